// The conversations: one list per bank (only the current one shown), the header with the
// bank's name, colour, mark and link status, and the bank switcher.
import { api, type LinkEntry } from './api.ts';
import { h } from './cards.ts';
import { remember } from './history.ts';
import { $, bankName, brand, state } from './state.ts';

const conversations = $<HTMLDivElement>('messages');
const linkStatus = $<HTMLParagraphElement>('link-status');
const title = $<HTMLHeadingElement>('title');
const avatar = $<HTMLSpanElement>('avatar');
/** Banks with messages the customer has not looked at yet (another conversation was open). */
const unread = new Set<string>();

export function listFor(bank: string): HTMLOListElement {
  let ol = conversations.querySelector<HTMLOListElement>(`ol[data-bank="${CSS.escape(bank)}"]`);
  if (!ol) {
    ol = h('ol', {
      class: 'conversation',
      'data-bank': bank,
      'aria-label': bank ? `Conversation with ${bankName(bank)}` : 'Welcome',
    });
    ol.hidden = bank !== (state.bank ?? '');
    conversations.append(ol);
  }
  return ol;
}

export function scroll(): void {
  const main = $('main');
  main.scrollTop = main.scrollHeight;
}

// Stay pinned to the newest message while the reader is at the bottom, also when a card grows
// after it was added (a log mark, an answer, a button): nothing hides under the reply bar.
let pinned = true;
$('main').addEventListener('scroll', () => {
  const main = $('main');
  pinned = main.scrollHeight - main.scrollTop - main.clientHeight < 48;
});
new MutationObserver(() => {
  if (pinned) scroll();
}).observe(conversations, { childList: true, subtree: true, characterData: true });

export function bubble(bank: string, kind: string, ...content: (Node | string)[]): HTMLLIElement {
  const li = h('li', { class: `msg ${kind}` }, ...content);
  listFor(bank).append(li);
  if (bank === (state.bank ?? '')) scroll();
  else {
    unread.add(bank);
    document.querySelector(`.convo[data-bank="${CSS.escape(bank)}"]`)?.classList.add('unread');
  }
  return li;
}

export function say(
  text: string,
  kind: 'me' | 'bot' | 'notice' | 'system' = 'system',
  persist = true,
  bank = state.bank ?? '',
): HTMLLIElement {
  const li = bubble(bank, kind, h('p', {}, text));
  if (persist)
    remember({
      id: crypto.randomUUID(),
      bank,
      kind: kind === 'bot' ? 'text' : kind,
      text,
      at: Date.now(),
    });
  return li;
}

/** After the stored history is shown: what was there before is not news. */
export function markAllRead(): void {
  unread.clear();
  renderConvoList();
}

export function select(bank: string | undefined): void {
  state.bank = bank;
  for (const ol of conversations.querySelectorAll<HTMLOListElement>('ol.conversation'))
    ol.hidden = ol.dataset['bank'] !== (bank ?? '');
  listFor(bank ?? '');
  unread.delete(bank ?? '');
  updateHeader();
  scroll();
}

export function statusText(link: LinkEntry | undefined): string {
  if (!link) return 'Not linked';
  if (link.status === 'active') return 'Linked · sealed to this device';
  switch (link.ended_reason) {
    case 'revoked-at-bank':
      return 'Link ended · you removed access at the bank';
    case 'expired-at-bank':
      return 'Link ended · it expired';
    case 'unlinked':
      return 'Link ended · you unlinked it';
    default:
      return 'Link ended';
  }
}

export function updateHeader(): void {
  const link = state.links.find((l) => l.bank === state.bank);
  const chat = $('chat');
  if (state.bank) {
    const b = brand(state.bank);
    chat.style.setProperty('--brand', b.colour);
    avatar.textContent = b.mark;
    avatar.classList.remove('app-mark');
    title.textContent = bankName(state.bank);
  } else {
    chat.style.removeProperty('--brand');
    avatar.textContent = '';
    avatar.classList.add('app-mark');
    title.textContent = 'Bank chat';
  }
  linkStatus.textContent = state.bank ? statusText(link) : 'Link a bank to start';
  linkStatus.dataset['status'] = link?.status ?? 'none';
  document.body.dataset['linkStatus'] = link?.status ?? 'none';
  $('details-button').hidden = !state.bank;
  // Nothing to ask before a bank is linked; and the compact "+" only once banks are listed.
  document.querySelector<HTMLElement>('.quick')!.hidden = !state.bank;
  $('convos').classList.toggle('has-links', state.links.length > 0);
  const linkLabel = state.links.some((l) => l.status === 'active') ? 'Link another bank' : 'Link my bank';
  $('link-button').setAttribute('aria-label', linkLabel);
  $('link-text').textContent = linkLabel;
  renderConvoList();
}

export function renderConvoList(): void {
  const ul = $<HTMLUListElement>('convo-list');
  const banks = state.links.map((l) => l.bank);
  ul.replaceChildren(
    ...banks.map((id) => {
      const link = state.links.find((l) => l.bank === id);
      const b = brand(id);
      const btn = h(
        'button',
        {
          type: 'button',
          class: `convo${link?.status === 'active' ? '' : ' ended'}${unread.has(id) ? ' unread' : ''}`,
          'data-bank': id,
          ...(id === state.bank ? { 'aria-current': 'true' } : {}),
        },
        h('span', { class: 'mark-logo', 'aria-hidden': 'true', style: `background:${b.colour}` }, b.mark),
        h(
          'span',
          { class: 'convo-text' },
          h('span', { class: 'convo-name' }, bankName(id)),
          h('span', { class: 'convo-status' }, link?.status === 'active' ? 'Linked' : 'Link ended'),
        ),
      );
      btn.addEventListener('click', () => select(id));
      return h('li', {}, btn);
    }),
  );
}

export async function refreshLinks(): Promise<void> {
  if (!state.reg) return;
  try {
    state.links = (await api.links(state.reg.token)).links;
  } catch {
    // keep the last known links
  }
  if (!state.bank && state.links.length)
    state.bank = (state.links.find((l) => l.status === 'active') ?? state.links[0])!.bank;
  select(state.bank);
}
