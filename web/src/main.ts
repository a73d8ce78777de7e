// Proviso web chat: the device. It holds the HPKE private key (non-extractable, IndexedDB),
// registers with the relay, receives sealed envelopes over the relay's stream, opens them
// here — verifying the bank's signature against the bank's own JWKS — and renders them, one
// conversation per linked bank. Spending questions are answered here from opened data.
import { sealReply } from '../../src/seal/device.ts';
import { ApiError, api, connectStream, type Frame } from './api.ts';
import { type CardActions, h } from './cards.ts';
import { bubble, listFor, markAllRead, refreshLinks, say, select } from './conversation.ts';
import { confirmDialog } from './dialogs.ts';
import { alertContext, jwksFor, renderEnvelope } from './envelopes.ts';
import { alertAnswer, type HistoryItem, loadHistory, recordAlertAnswer, remember } from './history.ts';
import {
  fingerprintText,
  openDetails,
  openPicker,
  register,
  rotateKey,
  startLink,
  unlink,
} from './linking.ts';
import { bankLogVerifier, setInclusionVerifier } from './log.ts';
import { isShopCommand, openShop } from './shop.ts';
import { spendingQuestion } from './spending.ts';
import { askSpending, showSpending } from './spending-view.ts';
import { $, bankName, keystore, state } from './state.ts';

const statusLine = $<HTMLParagraphElement>('connection');

const actions: CardActions = {
  postback: (payload, label) => void send({ postback: payload }, label),
  answerAlert: (alertId, yes, card) => answerAlert(alertId, yes, card),
  alertAnswer,
  confirm: confirmDialog,
};

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
  if (item.kind === 'envelope') return renderEnvelope(item, live, actions);
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
  if (bank && isShopCommand(rest)) {
    say(text, 'me', false, bank);
    return openShop(bank);
  }
  const q = spendingQuestion(rest);
  if (q && bank) return askSpending(q, bank, text);
  await send({ text: rest }, text, bank);
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
      if (action === 'SHOP') return void (state.bank && openShop(state.bank));
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
  markAllRead();
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
  if (!state.bank && !listFor('').children.length) {
    const start = h('button', { type: 'button' }, 'Get started');
    start.addEventListener('click', () => openPicker());
    bubble(
      '',
      'system welcome',
      h(
        'p',
        {},
        'Hi! Link your bank to check balances, payments and cards here — sealed so only this device can read them.',
      ),
      start,
    );
  }
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
