// Proviso web chat: the device. It holds the HPKE private key (non-extractable, IndexedDB),
// registers with the relay, receives sealed envelopes over the relay's stream, opens them
// here — verifying the bank's signature against the bank's own JWKS — and renders them, one
// conversation per linked bank. Spending questions are answered here from opened data.
import {
  EnvelopeError,
  type JsonWebKeySet,
  openDeviceKeystore,
  openEnvelope,
  sealReply,
} from '../../src/seal/device.ts';
import {
  ApiError,
  api,
  type BankEntry,
  connectStream,
  type Frame,
  type LinkEntry,
  type Registration,
} from './api.ts';
import { brandOf } from './brands.ts';
import { type CardActions, cardTitle, h, renderPayload } from './cards.ts';
import { chooseDialog, confirmDialog } from './dialogs.ts';
import { dateTime, time } from './format.ts';
import { alertAnswer, type HistoryItem, loadHistory, recordAlertAnswer, remember } from './history.ts';
import { bankLogVerifier, checkInclusion, setInclusionVerifier } from './log.ts';
import { openReplayGuard } from './replay-guard.ts';
import { answerSpending, dataSince, Ledger, type SpendingQuestion, spendingQuestion } from './spending.ts';

const REG_KEY = 'proviso.device';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const conversations = $<HTMLDivElement>('messages');
const statusLine = $<HTMLParagraphElement>('connection');
const linkStatus = $<HTMLParagraphElement>('link-status');
const title = $<HTMLHeadingElement>('title');
const avatar = $<HTMLSpanElement>('avatar');
const picker = $<HTMLDialogElement>('bank-picker');

const state = {
  reg: undefined as Registration | undefined,
  banks: [] as BankEntry[],
  links: [] as LinkEntry[],
  bank: undefined as string | undefined,
  jwks: new Map<string, Promise<JsonWebKeySet>>(),
  seen: new Set<string>(),
  stream: undefined as ReturnType<typeof connectStream> | undefined,
  fingerprint: '',
};

const keystore = await openDeviceKeystore();
const guard = await openReplayGuard();
const ledger = new Ledger();

function bankName(id: string | undefined): string {
  return state.banks.find((b) => b.id === id)?.name ?? id ?? 'your bank';
}
const brand = (id: string) => brandOf(id, bankName(id));
const activeLink = (bank: string | undefined) =>
  state.links.find((l) => l.bank === bank && l.status === 'active');

// Conversations ---------------------------------------------------------------------------

function listFor(bank: string): HTMLOListElement {
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

function scroll(): void {
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

function bubble(bank: string, kind: string, ...content: (Node | string)[]): HTMLLIElement {
  const li = h('li', { class: `msg ${kind}` }, ...content);
  listFor(bank).append(li);
  if (bank === (state.bank ?? '')) scroll();
  else document.querySelector(`.convo[data-bank="${CSS.escape(bank)}"]`)?.classList.add('unread');
  return li;
}

function say(
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

function select(bank: string | undefined): void {
  state.bank = bank;
  for (const ol of conversations.querySelectorAll<HTMLOListElement>('ol.conversation'))
    ol.hidden = ol.dataset['bank'] !== (bank ?? '');
  listFor(bank ?? '');
  document.querySelector(`.convo[data-bank="${CSS.escape(bank ?? '')}"]`)?.classList.remove('unread');
  updateHeader();
  scroll();
}

function statusText(link: LinkEntry | undefined): string {
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

function updateHeader(): void {
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
  const linkLabel = state.links.some((l) => l.status === 'active') ? 'Link another bank' : 'Link my bank';
  $('link-button').setAttribute('aria-label', linkLabel);
  $('link-text').textContent = linkLabel;
  renderConvoList();
}

function renderConvoList(): void {
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
          class: `convo${link?.status === 'active' ? '' : ' ended'}`,
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

async function refreshLinks(): Promise<void> {
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

// Envelopes -------------------------------------------------------------------------------

function jwksFor(bankId: string): Promise<JsonWebKeySet> {
  let p = state.jwks.get(bankId);
  if (!p) {
    const bank = state.banks.find((b) => b.id === bankId);
    // Straight from the bank, not through the relay: the relay must not be able to vouch for a key.
    p = bank
      ? fetch(bank.jwks_uri, { headers: { accept: 'application/json' } }).then((r) => {
          if (!r.ok) throw new Error(`the bank's key set answered ${r.status}`);
          return r.json() as Promise<JsonWebKeySet>;
        })
      : Promise.reject(new Error(`unknown bank ${bankId}`));
    p.catch(() => state.jwks.delete(bankId));
    state.jwks.set(bankId, p);
  }
  return p;
}

function peekHeader(envelope: string): Record<string, unknown> | undefined {
  try {
    const b64 = (envelope.split('.')[1] ?? '').replaceAll('-', '+').replaceAll('_', '/');
    return JSON.parse(new TextDecoder().decode(Uint8Array.from(atob(b64), (c) => c.charCodeAt(0)))).hdr;
  } catch {
    return undefined;
  }
}

const alertContext = new Map<string, { bank: string; consent: string; purpose: string; log: number }>();

const actions: CardActions = {
  postback: (payload, label) => void send({ postback: payload }, label),
  answerAlert: (alertId, yes, card) => answerAlert(alertId, yes, card),
  alertAnswer,
  confirm: confirmDialog,
};

function marks(bank: string, kid: string, log: number, envelope: string, purpose: string): HTMLElement {
  const name = bankName(bank);
  // The log check can take a checkpoint interval or two: show the card now, the mark when known.
  const logMark = h(
    'span',
    { class: 'mark log pending', 'data-log': 'pending' },
    `Checking entry #${log} in the public log…`,
  );
  void checkInclusion(bank, log, envelope, purpose).then((r) => {
    logMark.className = `mark log ${r.state}`;
    logMark.dataset['log'] = r.state;
    logMark.textContent =
      r.state === 'included' ? `✓ Recorded in ${name}'s public log (entry #${log})` : r.detail;
  });
  return h(
    'footer',
    { class: 'marks' },
    h(
      'span',
      {
        class: 'mark verified',
        'data-verified': 'true',
        title: `Signature by key ${kid} checked against ${name}'s published keys`,
      },
      `✓ Verified by ${name}`,
    ),
    h(
      'details',
      { class: 'more' },
      h('summary', {}, 'Details'),
      h('p', {}, `Sealed so only this device can open it; signed by ${name} (key ${kid}).`),
      h('p', {}, logMark),
    ),
  );
}

/** Opens, checks for replay (live only) and shows one bank envelope. */
async function renderEnvelope(item: HistoryItem, live: boolean): Promise<'shown' | 'replay' | 'data'> {
  const envelope = item.envelope ?? '';
  const hdr = peekHeader(envelope);
  const link = state.links.find((l) => l.bank === item.bank && l.consent);
  const consent = link?.consent ?? (typeof hdr?.['consent'] === 'string' ? hdr['consent'] : '');
  let opened: Awaited<ReturnType<typeof openEnvelope>>;
  try {
    opened = await openEnvelope(envelope, {
      deviceKey: (t) => keystore.byThumbprint(t),
      bankKeys: await jwksFor(item.bank),
      expect: { bankId: item.bank, consentCommitment: consent },
      // History reopens as of when it arrived; live messages must be fresh now.
      now: live ? Date.now() : item.at,
    });
  } catch (e) {
    const reason = e instanceof EnvelopeError ? e.reason : e instanceof Error ? e.message : String(e);
    const code = e instanceof EnvelopeError ? e.code : 'error';
    const li = bubble(
      item.bank,
      'bot sealed',
      h(
        'article',
        { class: 'card' },
        h('h2', { class: 'card-title' }, 'Message could not be opened'),
        h('p', { class: 'rejected', 'data-reason': code }, `Rejected (${code}): ${reason}`),
        h(
          'footer',
          { class: 'marks' },
          h('span', { class: 'mark unverified', 'data-verified': 'false' }, '✗ Not verified'),
        ),
      ),
    );
    li.dataset['verified'] = 'false';
    return 'shown';
  }
  const { header, payload } = opened;
  // The same bank message twice (a relay resending it under a new message id) is refused.
  if (live && !(await guard.admit(header))) return 'replay';
  if (header.type === 'spending_data') {
    ledger.add(header.bank, payload, live ? Date.now() : item.at);
    return 'data';
  }
  if (header.type === 'alert')
    alertContext.set(String((payload as Record<string, unknown>)?.['alert_id'] ?? header.id), {
      bank: header.bank,
      consent: header.consent,
      purpose: header.purpose,
      log: header.log,
    });
  const card = h(
    'article',
    { class: `card ${header.type}` },
    h('h2', { class: 'card-title' }, cardTitle(header.type, payload)),
    renderPayload(header.type, payload, header.id, actions, bankName(header.bank)),
    marks(header.bank, opened.kid, header.log, envelope, header.purpose),
  );
  const li = bubble(item.bank, 'bot sealed', card, h('span', { class: 'time' }, time(item.at)));
  li.dataset['messageId'] = item.id;
  li.dataset['verified'] = 'true';
  li.dataset['type'] = header.type;
  return 'shown';
}

async function onFrame(f: Frame): Promise<void> {
  if (state.seen.has(f.id)) {
    state.stream?.ack([f.id]);
    return;
  }
  state.seen.add(f.id);
  const item: HistoryItem = { id: f.id, bank: f.bank, kind: f.kind, at: Date.now() };
  if (f.envelope !== undefined) item.envelope = f.envelope;
  if (f.text !== undefined) item.text = f.text;
  // A notice may mean a link ended; a message from a bank this device has not listed yet means
  // a link it has not seen: either way, the links (and the conversations) are refreshed first.
  if (f.kind === 'notice' || !state.links.some((l) => l.bank === f.bank)) await refreshLinks();
  const shown = await renderItem(item, true);
  if (shown === 'replay') {
    document.body.dataset['replaysRefused'] = String(
      Number(document.body.dataset['replaysRefused'] ?? 0) + 1,
    );
  } else remember(item);
  // Receipt only after it is stored on the device: the relay then drops its copy.
  state.stream?.ack([f.id]);
}

async function renderItem(item: HistoryItem, live: boolean): Promise<'shown' | 'replay' | 'data'> {
  if (item.kind === 'envelope') return renderEnvelope(item, live);
  if (item.kind === 'spending') {
    const q = spendingQuestion(item.text ?? '', new Date(item.at));
    if (q) showSpending(q, item.bank, item.at);
    return 'shown';
  }
  if (item.kind === 'notice') {
    const li = bubble(item.bank, 'bot notice', h('p', {}, item.text ?? ''));
    if (/link again/i.test(item.text ?? '')) {
      const b = h('button', { type: 'button', class: 'secondary' }, `Link ${bankName(item.bank)} again`);
      b.addEventListener('click', () => void startLink(item.bank));
      li.append(b);
    }
    return 'shown';
  }
  bubble(item.bank, item.kind === 'text' ? 'bot' : item.kind, h('p', {}, item.text ?? ''));
  return 'shown';
}

// Asking ----------------------------------------------------------------------------------

/** "fjordbank balance" → Fjordbank, "balance". */
function namedBank(text: string): { bank: string; rest: string } | undefined {
  const lower = text.toLowerCase();
  for (const b of state.banks) {
    const names = [b.name, b.id, b.name.replace(/\s+bank$/i, '')].map((n) => n.toLowerCase());
    for (const n of names)
      if (lower.startsWith(`${n} `) || lower.startsWith(`${n}:`) || lower.startsWith(`${n},`))
        return { bank: b.id, rest: text.slice(n.length + 1).trim() };
  }
  return undefined;
}

async function send(
  body: { text?: string; postback?: string; reply?: string },
  label: string,
  bank = state.bank,
): Promise<string | undefined> {
  if (!state.reg) return;
  if (!bank) {
    say('Link a bank first.', 'system', false);
    openPicker();
    return;
  }
  say(label, 'me', true, bank);
  try {
    return (await api.send(state.reg.token, { bank, ...body })).status;
  } catch (e) {
    if (e instanceof ApiError && e.type.endsWith(':not-linked'))
      say(`${bankName(bank)} is not linked yet.`, 'notice', true, bank);
    else say(`Could not send: ${e instanceof Error ? e.message : String(e)}`, 'notice', false, bank);
    return undefined;
  }
}

async function sendText(text: string): Promise<void> {
  let bank = state.bank;
  let rest = text;
  const named = namedBank(text);
  if (named) {
    bank = named.bank;
    rest = named.rest || text;
    if (!state.links.some((l) => l.bank === bank)) {
      say(`${bankName(bank)} is not linked to this chat yet.`, 'system', false);
      return;
    }
    if (bank !== state.bank) select(bank);
  }
  const q = spendingQuestion(rest);
  if (q && bank) return askSpending(q, bank, text);
  await send({ text: rest }, text, bank);
}

function showSpending(q: SpendingQuestion, bank: string, at: number): void {
  const { title: heading, body } = answerSpending(q, ledger.between(bank, q.period.from, q.period.to));
  const complete = ledger.complete(bank);
  const card = h(
    'article',
    { class: 'card local' },
    h('h2', { class: 'card-title' }, heading),
    body,
    complete ? null : h('p', { class: 'small' }, 'Based on your latest 1,000 payments.'),
    h(
      'footer',
      { class: 'marks' },
      h('span', { class: 'mark device', 'data-computed': 'device' }, '✓ Worked out on this device'),
      h(
        'details',
        { class: 'more' },
        h('summary', {}, 'Details'),
        h(
          'p',
          {},
          `From payments ${bankName(bank)} sealed to this device. The chat service passes on only sealed data: it never sees your question's answer.`,
        ),
      ),
    ),
  );
  const li = bubble(bank, 'bot local', card, h('span', { class: 'time' }, time(at)));
  li.dataset['type'] = `spending-${q.kind}`;
}

async function askSpending(q: SpendingQuestion, bank: string, text: string): Promise<void> {
  say(text, 'me', true, bank);
  const since = dataSince(q.period);
  if (!ledger.covers(bank, since)) {
    if (!activeLink(bank) || !state.reg) {
      say(
        `This chat has no current link to ${bankName(bank)}, so it cannot fetch your payments.`,
        'notice',
        false,
        bank,
      );
      return;
    }
    const waiting = say(
      `Getting your payments from ${bankName(bank)}, sealed to this device…`,
      'system',
      false,
      bank,
    );
    // Listen before asking: the sealed data can arrive before the answer to the request.
    const arrived = ledger.waitFor(bank, since, 60_000);
    const status = (
      await api.send(state.reg.token, { bank, postback: `SPENDING_DATA:${since}` }).catch(() => undefined)
    )?.status;
    if (status !== 'answered' || !(await arrived)) {
      waiting.querySelector('p')!.textContent =
        `${bankName(bank)} did not send your payments. Please try again.`;
      return;
    }
    waiting.remove();
  }
  showSpending(q, bank, Date.now());
  remember({ id: crypto.randomUUID(), bank, kind: 'spending', text, at: Date.now() });
}

async function answerAlert(alertId: string, yes: boolean, card: string): Promise<boolean> {
  const ctx = alertContext.get(alertId);
  if (!ctx) {
    say('This alert can no longer be answered here.', 'notice', false);
    return false;
  }
  try {
    const jwks = await jwksFor(ctx.bank);
    const hpke = jwks.keys.find(
      (k) => k.kty === 'OKP' && k.crv === 'X25519' && (k.use === undefined || k.use === 'enc'),
    );
    if (!hpke?.x) throw new Error('the bank publishes no sealing key');
    const key = await keystore.ensure();
    const reply = await sealReply({
      deviceKey: key.keyPair,
      bankPublicKey: hpke.x,
      bankId: ctx.bank,
      consentCommitment: ctx.consent,
      purpose: ctx.purpose,
      log: ctx.log,
      inReplyTo: alertId,
      payload: { answer: yes ? 'yes' : 'no' },
    });
    const status = await send(
      { postback: `ALERT_REPLY:${alertId}:${yes ? 'YES' : 'NO'}`, reply },
      yes ? 'Yes, it was me' : `No, it wasn't me — freeze my ${card}`,
      ctx.bank,
    );
    if (status !== 'answered') return false;
    recordAlertAnswer(alertId, yes ? 'yes' : 'no');
    return true;
  } catch (e) {
    say(`Could not answer: ${e instanceof Error ? e.message : String(e)}`, 'notice', false, ctx.bank);
    return false;
  }
}

// Linking, unlinking, the device key ------------------------------------------------------

async function startLink(bankId: string): Promise<void> {
  try {
    const { authorization_url } = await api.startLink(state.reg!.token, bankId);
    location.assign(authorization_url);
  } catch (e) {
    picker.close();
    say(
      `Could not start linking ${bankName(bankId)}: ${e instanceof Error ? e.message : String(e)}`,
      'notice',
      false,
    );
  }
}

function openPicker(): void {
  const ul = $<HTMLUListElement>('bank-list');
  ul.replaceChildren(
    ...state.banks.map((b) => {
      const br = brandOf(b.id, b.name);
      const linked = !!activeLink(b.id);
      const btn = h(
        'button',
        { type: 'button', class: 'secondary bank-choice', 'aria-label': b.name },
        h('span', { class: 'mark-logo', 'aria-hidden': 'true', style: `background:${br.colour}` }, br.mark),
        h('span', {}, b.name),
        linked ? h('small', {}, 'linked') : null,
      );
      btn.addEventListener('click', () => void startLink(b.id));
      return h('li', {}, btn);
    }),
  );
  if (state.banks.length === 0) ul.append(h('li', {}, 'No banks are available right now.'));
  $('picker-fingerprint').textContent = state.fingerprint;
  picker.showModal();
}

async function unlink(): Promise<void> {
  const active = state.links.filter((l) => l.status === 'active');
  if (!state.reg || active.length === 0) return void say('No bank is linked.', 'system', false);
  const bank =
    active.length === 1
      ? active[0]!.bank
      : await chooseDialog(
          'Unlink which bank?',
          'This chat will stop seeing that bank’s accounts and cards.',
          [...active]
            .sort((a, b) => (a.bank === state.bank ? -1 : b.bank === state.bank ? 1 : 0))
            .map((l) => ({ value: l.bank, label: bankName(l.bank) })),
        );
  if (!bank) return;
  const name = bankName(bank);
  const ok = await confirmDialog({
    title: `Unlink ${name}?`,
    text: `This chat will no longer see your ${name} accounts or cards, and ${name}'s alerts will reach you only through the bank. You can link again at any time.`,
    action: `Unlink ${name}`,
    danger: true,
  });
  if (!ok) return;
  select(bank);
  say(`Unlink ${name}`, 'me', true, bank);
  try {
    const r = await api.unlink(state.reg.token, bank);
    say(
      `Unlinked ${name}${r.revoked ? `; ${name} confirmed this chat's access has ended.` : '.'}`,
      'system',
      true,
      bank,
    );
  } catch (e) {
    say(`Could not unlink: ${e instanceof Error ? e.message : String(e)}`, 'notice', false, bank);
  }
  await refreshLinks();
}

function openDetails(): void {
  const bank = state.bank;
  if (!bank) return;
  const link = state.links.find((l) => l.bank === bank);
  const name = bankName(bank);
  const dialog = $<HTMLDialogElement>('link-details');
  const since = link?.linked_at ? dateTime(link.linked_at) : '—';
  $('details-title').textContent = name;
  $('details-list').replaceChildren(
    h('dt', {}, 'Status'),
    h('dd', {}, statusText(link)),
    h('dt', {}, 'Linked since'),
    h('dd', {}, since),
    h('dt', {}, 'This device’s key'),
    h(
      'dd',
      {},
      h('code', { id: 'device-fingerprint', 'data-fingerprint': state.fingerprint }, state.fingerprint),
    ),
  );
  $('details-unlink').hidden = link?.status !== 'active';
  dialog.showModal();
}

async function register(): Promise<Registration> {
  const key = await keystore.ensure();
  const saved = localStorage.getItem(REG_KEY);
  if (saved) {
    const reg = JSON.parse(saved) as Registration;
    if (reg.thumbprint === key.thumbprint) return reg;
  }
  const r = await api.register(key.publicKey.base64url);
  const reg = { deviceId: r.device_id, token: r.token, thumbprint: r.key_thumbprint };
  localStorage.setItem(REG_KEY, JSON.stringify(reg));
  return reg;
}

/** The consent page's grouping: four groups of four upper-case hex digits. */
const fingerprintText = (fp: string) => fp.toUpperCase();

/**
 * A new device key for every linked bank at once: each bank gets a request sealed with the
 * CURRENT key (HPKE auth mode), naming the new one; the relay passes them on and switches
 * only when every bank accepted. The old key stays on the device to open older messages.
 */
async function rotateKey(): Promise<void> {
  $<HTMLDialogElement>('link-details').close();
  if (!state.reg) return;
  const ok = await confirmDialog({
    title: 'Replace this device’s key?',
    text: 'Every linked bank will seal new messages to a new key. Do this if you think the old one was exposed.',
    action: 'Replace key',
  });
  if (!ok) return;
  const old = await keystore.ensure();
  const active = state.links.filter((l) => l.status === 'active' && l.consent);
  try {
    const { current } = await keystore.rotate();
    const requests = await Promise.all(
      active.map(async (l) => {
        const jwks = await jwksFor(l.bank);
        const hpke = jwks.keys.find((k) => k.kty === 'OKP' && k.crv === 'X25519');
        if (!hpke?.x) throw new Error(`${bankName(l.bank)} publishes no sealing key`);
        const request = await sealReply({
          deviceKey: old.keyPair,
          bankPublicKey: hpke.x,
          bankId: l.bank,
          consentCommitment: l.consent!,
          purpose: 'customer_service',
          log: 0,
          inReplyTo: l.consent!,
          type: 'device-key',
          payload: { new_device_key: current.publicKey.base64url },
        });
        return { bank: l.bank, request };
      }),
    );
    const r = await api.rotateKey(state.reg.token, current.publicKey.base64url, requests);
    state.reg = { ...state.reg, thumbprint: r.key_thumbprint };
    localStorage.setItem(REG_KEY, JSON.stringify(state.reg));
    state.fingerprint = fingerprintText(current.fingerprint);
    say(
      `This device has a new key (${state.fingerprint}); ${r.banks.length} bank(s) now seal to it.`,
      'system',
    );
  } catch (e) {
    say(`Could not replace the key: ${e instanceof Error ? e.message : String(e)}`, 'notice', false);
  }
}

function wireControls(): void {
  $('link-button').addEventListener('click', () => openPicker());
  $('details-button').addEventListener('click', () => openDetails());
  $('rotate-key').addEventListener('click', () => void rotateKey());
  $('details-unlink').addEventListener('click', () => {
    $<HTMLDialogElement>('link-details').close();
    void unlink();
  });
  $<HTMLFormElement>('composer').addEventListener('submit', (e) => {
    e.preventDefault();
    const input = $<HTMLInputElement>('composer-input');
    const text = input.value.trim();
    if (!text) return;
    input.value = '';
    void sendText(text);
  });
  for (const b of document.querySelectorAll<HTMLButtonElement>('.quick button')) {
    b.addEventListener('click', () => {
      const action = b.dataset['action']!;
      if (action === 'UNLINK') return void unlink();
      if (action === 'SPENDING') return void sendText('Spending by category this month');
      return void send({ postback: action }, b.textContent ?? action);
    });
  }
}

async function main(): Promise<void> {
  wireControls();
  state.reg = await register();
  state.fingerprint = fingerprintText((await keystore.ensure()).fingerprint);
  document.body.dataset['deviceId'] = state.reg.deviceId;
  state.banks = (await api.banks().catch(() => ({ banks: [] }))).banks;
  setInclusionVerifier(bankLogVerifier((bank) => state.banks.find((b) => b.id === bank)?.issuer));
  const params = new URLSearchParams(location.search);
  if (params.get('linked')) state.bank = params.get('linked')!;
  await refreshLinks();
  for (const item of loadHistory()) {
    state.seen.add(item.id);
    await renderItem(item, false);
  }
  if (params.get('linked')) {
    const name = bankName(params.get('linked')!);
    say(
      `You're linked to ${name}. Ask me for your balance, your recent payments, your cards — or how much you spent on groceries this month.`,
      'system',
    );
  }
  if (params.get('link_error'))
    say(
      `Linking ${bankName(params.get('bank') ?? undefined)} did not complete (${params.get('link_error')}).`,
      'notice',
    );
  if (params.size) history.replaceState(null, '', location.pathname);
  if (!state.bank && !listFor('').children.length)
    say(
      'Hi! Link your bank to check balances, payments and cards here — sealed so only this device can read them.',
      'system',
      false,
      '',
    );
  select(state.bank);
  state.stream = connectStream(state.reg.token, {
    onFrame,
    onState: (s) => {
      statusLine.textContent =
        s === 'online' ? 'Connected' : s === 'connecting' ? 'Connecting…' : 'Offline — reconnecting';
      document.body.dataset['stream'] = s;
    },
  });
  document.body.dataset['ready'] = 'true';
}

// For the lead's transparency-log wiring and for tests.
(window as unknown as { proviso: unknown }).proviso = { setInclusionVerifier, state };
void main().catch((e) => {
  statusLine.textContent = `Could not start: ${e instanceof Error ? e.message : String(e)}`;
  document.body.dataset['ready'] = 'error';
});
