// Bank envelopes on the device: opened with the device key and checked against the bank's
// own published keys, refused when replayed, then shown as a card with the bank's badge.
import { EnvelopeError, type JsonWebKeySet, openEnvelope } from '../../src/seal/device.ts';
import { type CardActions, cardTitle, h, renderPayload } from './cards.ts';
import { bubble } from './conversation.ts';
import { time } from './format.ts';
import type { HistoryItem } from './history.ts';
import { checkInclusion } from './log.ts';
import { bankName, guard, keystore, ledger, state } from './state.ts';

export function jwksFor(bankId: string): Promise<JsonWebKeySet> {
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

export const alertContext = new Map<
  string,
  { bank: string; consent: string; purpose: string; log: number }
>();

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
export async function renderEnvelope(
  item: HistoryItem,
  live: boolean,
  actions: CardActions,
): Promise<'shown' | 'replay' | 'data'> {
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
