// Proviso web chat: the device. It holds the HPKE private key (non-extractable, IndexedDB),
// registers with the relay, receives sealed envelopes over the relay's stream, opens them
// here — verifying the bank's signature against the bank's own JWKS — and renders them.
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
import { type CardActions, h, renderPayload, TITLES } from './cards.ts';
import { bankLogVerifier, checkInclusion, setInclusionVerifier } from './log.ts';

const REG_KEY = 'proviso.device';
const HISTORY_KEY = 'proviso.history';
const HISTORY_MAX = 200;

interface HistoryItem {
  id: string;
  bank: string;
  kind: 'envelope' | 'text' | 'notice' | 'me' | 'system';
  envelope?: string;
  text?: string;
  at: number;
}

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const list = $<HTMLOListElement>('messages');
const statusLine = $<HTMLParagraphElement>('connection');
const linkStatus = $<HTMLParagraphElement>('link-status');
const title = $<HTMLHeadingElement>('title');
const picker = $<HTMLDialogElement>('bank-picker');

const state = {
  reg: undefined as Registration | undefined,
  banks: [] as BankEntry[],
  links: [] as LinkEntry[],
  bank: undefined as string | undefined,
  jwks: new Map<string, Promise<JsonWebKeySet>>(),
  seen: new Set<string>(),
  cards: new Set<string>(),
  stream: undefined as ReturnType<typeof connectStream> | undefined,
};

const keystore = await openDeviceKeystore();

// History (on this device only): envelopes stay sealed at rest and are reopened on load.
function loadHistory(): HistoryItem[] {
  try {
    return JSON.parse(localStorage.getItem(HISTORY_KEY) ?? '[]') as HistoryItem[];
  } catch {
    return [];
  }
}
function remember(item: HistoryItem): void {
  const all = loadHistory();
  all.push(item);
  localStorage.setItem(HISTORY_KEY, JSON.stringify(all.slice(-HISTORY_MAX)));
}

function bankName(id: string | undefined): string {
  return state.banks.find((b) => b.id === id)?.name ?? id ?? 'your bank';
}

function scroll(): void {
  list.lastElementChild?.scrollIntoView({ block: 'end' });
}

function bubble(kind: string, ...content: (Node | string)[]): HTMLLIElement {
  const li = h('li', { class: `msg ${kind}` }, ...content);
  list.append(li);
  scroll();
  return li;
}

function say(text: string, kind: 'me' | 'bot' | 'notice' | 'system' = 'system', persist = true): void {
  bubble(kind, h('p', {}, text));
  if (persist)
    remember({
      id: crypto.randomUUID(),
      bank: state.bank ?? '',
      kind: kind === 'bot' ? 'text' : kind === 'me' ? 'me' : kind === 'notice' ? 'notice' : 'system',
      text,
      at: Date.now(),
    });
}

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

const actions: CardActions = {
  postback: (payload, label) => void send({ postback: payload }, label),
  answerAlert: (alertId, yes) => void answerAlert(alertId, yes),
};

let alertContext = new Map<string, { bank: string; consent: string; purpose: string; log: number }>();

async function renderEnvelope(item: HistoryItem, live: boolean): Promise<void> {
  const envelope = item.envelope ?? '';
  const hdr = peekHeader(envelope);
  const link = state.links.find((l) => l.bank === item.bank && l.consent);
  const consent = link?.consent ?? (typeof hdr?.['consent'] === 'string' ? hdr['consent'] : '');
  const card = h('article', { class: 'card', 'aria-busy': 'true' });
  const li = bubble('bot sealed', card);
  li.dataset['messageId'] = item.id;
  try {
    const opened = await openEnvelope(envelope, {
      deviceKey: (t) => keystore.byThumbprint(t),
      bankKeys: await jwksFor(item.bank),
      expect: { bankId: item.bank, consentCommitment: consent },
      // History reopens as of when it arrived; live messages must be fresh now.
      now: live ? Date.now() : item.at,
    });
    const { header } = opened;
    if (header.type === 'alert')
      alertContext.set(String((opened.payload as Record<string, unknown>)?.['alert_id'] ?? header.id), {
        bank: header.bank,
        consent: header.consent,
        purpose: header.purpose,
        log: header.log,
      });
    // The log check can take a checkpoint interval or two: show the card now, the mark when known.
    const logMark = h(
      'span',
      { class: 'mark log pending', 'data-log': 'pending' },
      `Checking log entry #${header.log}…`,
    );
    void checkInclusion(header.bank, header.log, envelope, header.purpose).then((log) => {
      logMark.className = `mark log ${log.state}`;
      logMark.dataset['log'] = log.state;
      logMark.textContent = log.state === 'included' ? `✓ Logged #${header.log}` : log.detail;
    });
    card.append(
      h('h2', { class: 'card-title' }, TITLES[header.type] ?? header.type),
      renderPayload(header.type, opened.payload, header.id, actions, state.cards),
      h(
        'footer',
        { class: 'marks' },
        h(
          'span',
          {
            class: 'mark verified',
            'data-verified': 'true',
            title: `Signature by key ${opened.kid} verified against ${bankName(header.bank)}'s published keys`,
          },
          `✓ Verified: ${bankName(header.bank)}`,
        ),
        logMark,
      ),
    );
    li.dataset['verified'] = 'true';
  } catch (e) {
    const reason = e instanceof EnvelopeError ? e.reason : e instanceof Error ? e.message : String(e);
    const code = e instanceof EnvelopeError ? e.code : 'error';
    card.append(
      h('h2', { class: 'card-title' }, 'Message could not be opened'),
      h('p', { class: 'rejected', 'data-reason': code }, `Rejected (${code}): ${reason}`),
      h(
        'footer',
        { class: 'marks' },
        h('span', { class: 'mark unverified', 'data-verified': 'false' }, '✗ Not verified'),
      ),
    );
    li.dataset['verified'] = 'false';
  }
  card.setAttribute('aria-busy', 'false');
  scroll();
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
  remember(item);
  if (f.kind === 'notice') await refreshLinks();
  await renderItem(item, true);
  // Receipt only after it is stored on the device: the relay then drops its copy.
  state.stream?.ack([f.id]);
}

async function renderItem(item: HistoryItem, live: boolean): Promise<void> {
  if (item.kind === 'envelope') return renderEnvelope(item, live);
  if (item.kind === 'notice') {
    const li = bubble('bot notice', h('p', {}, item.text ?? ''));
    if (/link again/i.test(item.text ?? '')) {
      const b = h('button', { type: 'button', class: 'secondary' }, 'Link again');
      b.addEventListener('click', () => openPicker());
      li.append(b);
    }
    return;
  }
  bubble(item.kind === 'text' ? 'bot' : item.kind, h('p', {}, item.text ?? ''));
}

async function send(
  body: { text?: string; postback?: string; reply?: string },
  label: string,
): Promise<void> {
  if (!state.reg) return;
  if (!state.bank) {
    say('Link a bank first.', 'system', false);
    openPicker();
    return;
  }
  say(label, 'me');
  try {
    await api.send(state.reg.token, { bank: state.bank, ...body });
  } catch (e) {
    if (e instanceof ApiError && e.type.endsWith(':not-linked'))
      say(`${bankName(state.bank)} is not linked yet.`, 'notice');
    else say(`Could not send: ${e instanceof Error ? e.message : String(e)}`, 'notice', false);
  }
}

async function answerAlert(alertId: string, yes: boolean): Promise<void> {
  const ctx = alertContext.get(alertId);
  const bank = ctx?.bank ?? state.bank;
  if (!bank || !ctx) return say('This alert can no longer be answered here.', 'notice', false);
  try {
    const jwks = await jwksFor(bank);
    const hpke = jwks.keys.find(
      (k) => k.kty === 'OKP' && k.crv === 'X25519' && (k.use === undefined || k.use === 'enc'),
    );
    if (!hpke?.x) throw new Error('the bank publishes no sealing key');
    const key = await keystore.ensure();
    const reply = await sealReply({
      deviceKey: key.keyPair,
      bankPublicKey: hpke.x,
      bankId: bank,
      consentCommitment: ctx.consent,
      purpose: ctx.purpose,
      log: ctx.log,
      inReplyTo: alertId,
      payload: { answer: yes ? 'yes' : 'no' },
    });
    await send(
      { postback: `ALERT_REPLY:${alertId}:${yes ? 'YES' : 'NO'}`, reply },
      yes ? 'Yes, it was me' : 'No, it was not me',
    );
  } catch (e) {
    say(`Could not answer: ${e instanceof Error ? e.message : String(e)}`, 'notice', false);
  }
}

function updateHeader(): void {
  const active = state.links.filter((l) => l.status === 'active');
  if (!state.bank || !active.some((l) => l.bank === state.bank)) state.bank = active[0]?.bank ?? state.bank;
  const link = state.links.find((l) => l.bank === state.bank);
  title.textContent = state.bank ? bankName(state.bank) : 'Bank assistant';
  linkStatus.textContent = !link
    ? 'Not linked'
    : link.status === 'active'
      ? 'Linked · sealed to this device'
      : 'Link ended';
  $('link-button').textContent = link?.status === 'active' ? 'Link another bank' : 'Link my bank';
}

async function refreshLinks(): Promise<void> {
  if (!state.reg) return;
  try {
    state.links = (await api.links(state.reg.token)).links;
  } catch {
    // keep the last known links
  }
  updateHeader();
}

function openPicker(): void {
  const ul = $<HTMLUListElement>('bank-list');
  ul.replaceChildren(
    ...state.banks.map((b) => {
      const btn = h('button', { type: 'button' }, b.name);
      btn.addEventListener('click', async () => {
        try {
          const { authorization_url } = await api.startLink(state.reg!.token, b.id);
          location.assign(authorization_url);
        } catch (e) {
          picker.close();
          say(
            `Could not start linking ${b.name}: ${e instanceof Error ? e.message : String(e)}`,
            'notice',
            false,
          );
        }
      });
      return h('li', {}, btn);
    }),
  );
  if (state.banks.length === 0) ul.append(h('li', {}, 'No banks are available right now.'));
  picker.showModal();
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

/**
 * A new device key for every linked bank at once: each bank gets a request sealed with the
 * CURRENT key (HPKE auth mode), naming the new one; the relay passes them on and switches
 * only when every bank accepted. The old key stays on the device to open older messages.
 */
async function rotateKey(): Promise<void> {
  picker.close();
  if (!state.reg) return;
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
    say(
      `This device has a new key (${current.fingerprint}); ${r.banks.length} bank(s) now seal to it.`,
      'system',
    );
  } catch (e) {
    say(`Could not replace the key: ${e instanceof Error ? e.message : String(e)}`, 'notice', false);
  }
}

function wireControls(): void {
  $('link-button').addEventListener('click', () => openPicker());
  $('rotate-key').addEventListener('click', () => void rotateKey());
  $<HTMLFormElement>('composer').addEventListener('submit', (e) => {
    e.preventDefault();
    const input = $<HTMLInputElement>('composer-input');
    const text = input.value.trim();
    if (!text) return;
    input.value = '';
    void send({ text }, text);
  });
  for (const b of document.querySelectorAll<HTMLButtonElement>('.quick button')) {
    b.addEventListener('click', async () => {
      const action = b.dataset['action']!;
      const label = b.textContent ?? action;
      if (action === 'UNLINK') {
        if (!state.bank || !state.reg) return say('No bank is linked.', 'system', false);
        const bank = state.bank;
        say('Unlink', 'me');
        try {
          const r = await api.unlink(state.reg.token, bank);
          say(
            `Unlinked ${bankName(bank)}${r.revoked ? '; the bank confirmed access is revoked.' : '.'}`,
            'system',
          );
        } catch (e) {
          say(`Could not unlink: ${e instanceof Error ? e.message : String(e)}`, 'notice', false);
        }
        return refreshLinks();
      }
      if ((action === 'FREEZE_CARD' || action === 'UNFREEZE_CARD') && state.cards.size === 1)
        return send({ postback: `${action}:${[...state.cards][0]}` }, label);
      return send({ postback: action }, label);
    });
  }
}

async function main(): Promise<void> {
  wireControls();
  state.reg = await register();
  document.body.dataset['deviceId'] = state.reg.deviceId;
  state.banks = (await api.banks().catch(() => ({ banks: [] }))).banks;
  setInclusionVerifier(bankLogVerifier((bank) => state.banks.find((b) => b.id === bank)?.issuer));
  await refreshLinks();
  const params = new URLSearchParams(location.search);
  for (const item of loadHistory()) {
    state.seen.add(item.id);
    await renderItem(item, false);
  }
  if (params.get('linked'))
    say(`Linked ${bankName(params.get('linked')!)}. Ask me for your balance.`, 'system');
  if (params.get('link_error'))
    say(
      `Linking ${bankName(params.get('bank') ?? undefined)} did not complete (${params.get('link_error')}).`,
      'notice',
    );
  if (params.size) history.replaceState(null, '', location.pathname);
  if (!list.children.length)
    say(
      'Hi! Link your bank to check balances, transactions and cards — sealed so only this device can read them.',
      'system',
      false,
    );
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
alertContext = new Map();
void main().catch((e) => {
  statusLine.textContent = `Could not start: ${e instanceof Error ? e.message : String(e)}`;
  document.body.dataset['ready'] = 'error';
});
