// Validation of one ingested authorisation as it arrives over HTTP or NATS, on top of the
// domain rules of validateAuthorisation (event.ts): everything a client can put in an event
// that the database or the engine could not take is refused here, per event, so that a bad
// value can never make PostgreSQL refuse a row (and with it a whole batch):
//   - keys that name prototype machinery (`__proto__`, `constructor`, `prototype`);
//   - NUL characters (text and jsonb refuse them) and lone UTF-16 surrogates (jsonb refuses
//     the `\udXXX` escape JSON.stringify writes for them) in any key or string value;
//   - strings longer than an index entry can hold (ids are primary and index keys);
//   - amounts larger than the alert table's numeric(20, 4) and instants outside the years a
//     card authorisation can have.
// Error messages name the field and the rule, never the value: they are returned to the
// bank and may reach logs.
import {
  type AuthorisationEvent,
  type ValidationError,
  type ValidationResult,
  validateAuthorisation,
} from './event.ts';

/** Keys refused in an event: they name prototype machinery, never data. */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
/** Longest identifier (transaction, card, customer, terminal, merchant id, bank id). */
export const MAX_ID_LENGTH = 128;
/** Longest free text (merchant name). */
export const MAX_TEXT_LENGTH = 256;
/** Most digits before the decimal point (numeric(20, 4) holds 16). */
export const MAX_AMOUNT_DIGITS = 15;
const FIRST_YEAR = 1970;
const LAST_YEAR = 9999;
const FREE_TEXT = new Set(['merchantName']);

/** Why a string cannot be stored as text/jsonb, or null when it can. */
export function unstorableText(text: string): 'nul' | 'lone_surrogate' | null {
  if (text.includes('\u0000')) return 'nul';
  // isWellFormed: no lone surrogate (Node 20+).
  return text.isWellFormed() ? null : 'lone_surrogate';
}

function hygiene(record: Record<string, unknown>): ValidationError[] {
  const errors: ValidationError[] = [];
  for (const key of Object.keys(record)) {
    const field = unstorableText(key) === null ? key : '(unprintable key)';
    if (FORBIDDEN_KEYS.has(key)) {
      errors.push({ field, code: 'forbidden_key', message: `${key} is not allowed as a field name` });
      continue;
    }
    if (unstorableText(key) !== null) {
      errors.push({ field, code: 'invalid_text', message: 'a field name holds a NUL or a lone surrogate' });
      continue;
    }
    const value = record[key];
    if (typeof value !== 'string') continue;
    const bad = unstorableText(value);
    if (bad !== null) {
      errors.push({
        field,
        code: 'invalid_text',
        message: `${key} holds ${bad === 'nul' ? 'a NUL character' : 'a lone UTF-16 surrogate'}`,
      });
      continue;
    }
    const limit = FREE_TEXT.has(key) ? MAX_TEXT_LENGTH : MAX_ID_LENGTH;
    if (value.length > limit) {
      errors.push({ field, code: 'too_long', message: `${key} is longer than ${limit} characters` });
    }
  }
  return errors;
}

function ranges(event: AuthorisationEvent): ValidationError[] {
  const errors: ValidationError[] = [];
  const whole = event.amount.split('.')[0] ?? '';
  if (whole.length > MAX_AMOUNT_DIGITS) {
    errors.push({
      field: 'amount',
      code: 'out_of_range',
      message: `amount has more than ${MAX_AMOUNT_DIGITS} digits before the decimal point`,
    });
  }
  const year = new Date(Date.parse(event.time)).getUTCFullYear();
  if (!(year >= FIRST_YEAR && year <= LAST_YEAR)) {
    errors.push({
      field: 'time',
      code: 'out_of_range',
      message: `time must fall between the years ${FIRST_YEAR} and ${LAST_YEAR}`,
    });
  }
  return errors;
}

/**
 * Checks one ingested event: storable text, bounded sizes and ranges, then the domain rules.
 * Any input (not only objects) is answered with a result; it never throws.
 */
export function validateIngestedEvent(input: unknown): ValidationResult {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return { ok: false, errors: [{ field: '', code: 'type', message: 'event must be a JSON object' }] };
  }
  const record = input as Record<string, unknown>;
  const unsafe = hygiene(record);
  if (unsafe.length > 0) return { ok: false, errors: unsafe };
  const result = validateAuthorisation(record);
  if (!result.ok) return result;
  const outOfRange = ranges(result.event);
  return outOfRange.length > 0 ? { ok: false, errors: outOfRange } : result;
}

/** The event's transaction id when it is a storable string, for per-item reports. */
export function reportableTransactionId(input: unknown): string | null {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return null;
  if (!Object.hasOwn(input, 'transactionId')) return null;
  const id = (input as { transactionId?: unknown }).transactionId;
  return typeof id === 'string' && unstorableText(id) === null && id.length <= MAX_ID_LENGTH ? id : null;
}
