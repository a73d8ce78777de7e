// One authorisation event parsed for the features (features.ts): bank-qualified entity keys,
// hashes of terminal / country / channel, the time, amount and local hour, read without a Date
// parse or a substring per field.
import type { AuthorisationEvent } from './event.ts';
import { DAY_MS } from './feature-names.ts';

/** Parsed view of an event: what the features need, numbers instead of strings. */
export interface Observation {
  /** Bank-qualified keys of the entities (state is per bank). */
  readonly key: string;
  readonly id: string;
  readonly card: string;
  readonly customer: string;
  readonly terminal: string;
  readonly terminalHash: number;
  readonly countryHash: number;
  readonly channelHash: number;
  readonly t: number;
  readonly amount: number;
  readonly hour: number;
  readonly weekend: boolean;
}

/** Entity keys carry the bank so two banks' card numbers never share state. */
export function observe(event: AuthorisationEvent): Observation {
  const t = Date.parse(event.time);
  if (Number.isNaN(t)) throw new Error(`transaction ${event.transactionId}: bad time`);
  // Local hour and weekday as written in the event (the cardholder's clock, not UTC).
  const time = event.time;
  const hour = digitsAt(time, 11, 2) + digitsAt(time, 14, 2) / 60;
  // Weekday of the written date, by arithmetic (1970-01-01 was a Thursday): no Date parse.
  const day = Date.UTC(digitsAt(time, 0, 4), digitsAt(time, 5, 2) - 1, digitsAt(time, 8, 2));
  const weekday = (((Math.floor(day / DAY_MS) + 4) % 7) + 7) % 7;
  return {
    key: transactionKey(event.bankId, event.transactionId),
    // Raw ids inside a card's own history: short flat strings compare fast.
    id: event.transactionId,
    terminalHash: hash32(event.terminalId),
    countryHash: hash32(event.country),
    channelHash: hash32(event.channel),
    card: `${event.bankId}\u001f${event.cardId}`,
    customer: `${event.bankId}\u001f${event.customerId}`,
    terminal: `${event.bankId}\u001f${event.terminalId}`,
    t,
    amount: Number(event.amount),
    hour,
    weekend: weekday === 0 || weekday === 6,
  };
}

/**
 * The number written by `length` decimal digits at `start`, read without a substring per
 * field; anything but plain digits goes through `Number` exactly as before.
 */
function digitsAt(text: string, start: number, length: number): number {
  let value = 0;
  for (let i = start; i < start + length; i++) {
    const digit = text.charCodeAt(i) - 48;
    if (!(digit >= 0 && digit <= 9)) return Number(text.slice(start, start + length));
    value = value * 10 + digit;
  }
  return value;
}

/** The key under which `recordLabel` finds a transaction of a bank. */
export function transactionKey(bankId: string, transactionId: string): string {
  return `${bankId}\u001f${transactionId}`;
}

/** FNV-1a: a card only asks "same terminal as before?", so a 32-bit hash is enough. */
export function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
