// The demo bank's card authorisation stream, with fraud injected the way the Fraud Detection
// Handbook simulates it, so the running demo raises real alerts:
//   big-ticket            an amount far above anything the card does (and above 220);
//   compromised terminal  a merchant terminal turns bad: every later purchase there, on any
//                         card, is fraud for `compromiseDays`;
//   leaked card           a card's details leak: for `leakDays`, a third of its purchases get
//                         an added fraudster purchase five times its usual ticket, online.
// Deterministic: the same customers and seed give the same stream, byte for byte. The seeding
// of the bank core (generate.ts) is untouched; this only reads its card transactions.
// Shape = the screening engine's AuthorisationEvent plus the injected scenario (for demos and
// tests only; the engine never sees it).
import type { SimCustomer } from './generate.ts';
import { Random } from './random.ts';

export type FraudScenario = 'big-ticket' | 'compromised-terminal' | 'leaked-card';

export interface SimAuthorisation {
  readonly transactionId: string;
  readonly bankId: string;
  readonly cardId: string;
  readonly customerId: string;
  readonly terminalId: string;
  readonly merchantName: string;
  readonly mcc: string;
  readonly country: string;
  readonly channel: 'pos' | 'ecom' | 'contactless';
  /** Decimal string in major units. */
  readonly amount: string;
  readonly currency: string;
  readonly time: string;
  /** The injected scenario, or null for the customer's own purchase. */
  readonly fraud: FraudScenario | null;
}

export interface FraudInjectionOptions {
  readonly seed: number;
  readonly bankId: string;
  readonly currency: string;
  /** Chance per card per day of a big-ticket fraud (default 0.002). */
  readonly bigTicketRate?: number;
  /** Terminals compromised per 1,000 terminals per day (default 1). */
  readonly compromisePerThousand?: number;
  readonly compromiseDays?: number;
  /** Chance per card per day of a leak (default 0.003). */
  readonly leakRate?: number;
  readonly leakDays?: number;
}

const DAY = 86_400_000;

/** A merchant's terminal: a few terminals per merchant name, fixed per card and merchant. */
function terminalOf(merchant: string, cardId: string): string {
  let h = 0x811c9dc5;
  for (const ch of `${merchant}/${cardId}`) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193);
  const slug = merchant
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
  return `${slug}-${(h >>> 0) % 4}`;
}

const major = (minor: number) => (minor / 100).toFixed(2);

/** The customers' card purchases as authorisations, time-ordered, with fraud injected. */
export function demoAuthorisations(
  customers: readonly SimCustomer[],
  options: FraudInjectionOptions,
): SimAuthorisation[] {
  const rng = Random.derive(options.seed, options.bankId, 'fraud');
  const genuine: SimAuthorisation[] = [];
  for (const customer of customers) {
    for (const tx of customer.transactions) {
      if (tx.cardId === null || tx.creditDebit !== 'Debit' || tx.merchantName === null) continue;
      if (tx.channel !== 'card_present' && tx.channel !== 'card_online' && tx.channel !== 'contactless')
        continue;
      genuine.push({
        transactionId: tx.id,
        bankId: options.bankId,
        cardId: tx.cardId,
        customerId: customer.id,
        terminalId: terminalOf(tx.merchantName, tx.cardId),
        merchantName: tx.merchantName,
        mcc: tx.mcc ?? '5999',
        country: tx.country ?? 'GB',
        channel: tx.channel === 'card_online' ? 'ecom' : tx.channel === 'contactless' ? 'contactless' : 'pos',
        amount: major(tx.amountMinor),
        currency: options.currency,
        time: tx.bookedAt.toISOString().replace(/\.\d{3}Z$/, 'Z'),
        fraud: null,
      });
    }
  }
  genuine.sort((a, b) => a.time.localeCompare(b.time) || a.transactionId.localeCompare(b.transactionId));
  if (genuine.length === 0) return [];

  const first = Date.parse(genuine[0]!.time);
  const last = Date.parse(genuine[genuine.length - 1]!.time);
  const terminals = [...new Set(genuine.map((a) => a.terminalId))].sort();
  const cards = [...new Set(genuine.map((a) => a.cardId))].sort();
  const usual = new Map<string, number>();
  for (const a of genuine) usual.set(a.cardId, Math.max(usual.get(a.cardId) ?? 0, Number(a.amount)));

  // Draw the scenarios day by day, always in the same order.
  const compromised = new Map<string, number>();
  const leaked = new Map<string, number>();
  const injected: SimAuthorisation[] = [];
  const compromiseDays = options.compromiseDays ?? 14;
  const leakDays = options.leakDays ?? 7;
  let n = 0;
  for (let day = first - (first % DAY); day <= last; day += DAY) {
    const toCompromise = rng.poisson(((options.compromisePerThousand ?? 1) * terminals.length) / 1000);
    for (let i = 0; i < toCompromise; i++) {
      const terminal = rng.pick(terminals);
      if (!compromised.has(terminal)) compromised.set(terminal, day + rng.int(0, DAY - 1));
    }
    for (const card of cards) {
      if (rng.chance(options.leakRate ?? 0.003) && !leaked.has(card)) leaked.set(card, day);
      if (rng.chance(options.bigTicketRate ?? 0.002)) {
        const template = genuine.find((a) => a.cardId === card)!;
        const t = day + rng.int(8 * 3_600_000, 22 * 3_600_000);
        if (t > last) continue;
        injected.push({
          ...template,
          transactionId: `fx-${options.bankId}-${n++}`,
          terminalId: `bigticket-${rng.int(0, 999)}`,
          merchantName: rng.pick(['Luxe Watches', 'ElectroMax Online', 'Jetset Travel']),
          mcc: '5944',
          channel: 'ecom',
          amount: major(Math.round(Math.max(25_000, (usual.get(card) ?? 100) * 300) * (1 + rng.next()))),
          time: new Date(t).toISOString().replace(/\.\d{3}Z$/, 'Z'),
          fraud: 'big-ticket',
        });
      }
    }
  }
  // Compromised terminals and leaked cards turn the genuine stream's own purchases.
  const out: SimAuthorisation[] = [];
  for (const a of genuine) {
    const t = Date.parse(a.time);
    const bad = compromised.get(a.terminalId);
    if (bad !== undefined && t >= bad && t < bad + compromiseDays * DAY) {
      out.push({ ...a, fraud: 'compromised-terminal' });
      continue;
    }
    out.push(a);
    const leak = leaked.get(a.cardId);
    if (leak !== undefined && t >= leak && t < leak + leakDays * DAY && rng.chance(1 / 3)) {
      out.push({
        ...a,
        transactionId: `fx-${options.bankId}-${n++}`,
        terminalId: `cnp-${rng.int(0, 49)}`,
        merchantName: rng.pick(['QuickShop Online', 'GiftCards24', 'GameCoins']),
        mcc: '5816',
        channel: 'ecom',
        amount: major(Math.round(Number(a.amount) * 100 * 5)),
        time: new Date(t + rng.int(60_000, 3_600_000)).toISOString().replace(/\.\d{3}Z$/, 'Z'),
        fraud: 'leaked-card',
      });
    }
  }
  out.push(...injected);
  out.sort((a, b) => a.time.localeCompare(b.time) || a.transactionId.localeCompare(b.transactionId));
  return out;
}
