// The bank's card authorisation event: the one input of the screening engine. The NATS
// ingest layer will reuse `validateAuthorisation`, so every error names its field.

export type Channel = 'pos' | 'ecom' | 'atm' | 'moto' | 'contactless';
export const CHANNELS: readonly Channel[] = ['pos', 'ecom', 'atm', 'moto', 'contactless'];

export interface AuthorisationEvent {
  readonly transactionId: string;
  readonly bankId: string;
  readonly cardId: string;
  readonly customerId: string;
  /** The merchant terminal (or the merchant when the acquirer gives no terminal). */
  readonly terminalId: string;
  readonly merchantId?: string;
  readonly merchantName?: string;
  /** ISO 18245 merchant category code, four digits. */
  readonly mcc?: string;
  /** ISO 3166-1 alpha-2 country of the terminal. */
  readonly country: string;
  readonly channel: Channel;
  /** Decimal string in major units ("42.10"); never a float, so no rounding on the wire. */
  readonly amount: string;
  /** ISO 4217 alphabetic code. */
  readonly currency: string;
  /** ISO 8601 instant of the authorisation request. */
  readonly time: string;
}

export interface ValidationError {
  readonly field: string;
  readonly code:
    | 'missing'
    | 'type'
    | 'format'
    | 'unknown_currency'
    | 'negative_amount'
    | 'precision'
    | 'unknown_field'
    | 'unknown_card'
    | 'card_customer_mismatch'
    | 'bank_mismatch'
    // Refused at ingest (event-validation.ts) before the domain rules run.
    | 'forbidden_key'
    | 'invalid_text'
    | 'too_long'
    | 'out_of_range';
  readonly message: string;
}

export type ValidationResult =
  | { readonly ok: true; readonly event: AuthorisationEvent }
  | { readonly ok: false; readonly errors: readonly ValidationError[] };

// Active ISO 4217 codes (list of 2024) with their minor-unit exponent when it is not 2.
// Kept inline: the engine must not depend on a network lookup to accept an event.
const CURRENCIES =
  'AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD:3 BIF:0 BMD BND BOB BRL BSD BTN BWP BYN ' +
  'BZD CAD CDF CHF CLP:0 CNY COP COU CRC CUP CVE CZK DJF:0 DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL ' +
  'GHS GIP GMD GNF:0 GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD:3 IRR ISK:0 JMD JOD:3 JPY:0 KES KGS KHR ' +
  'KMF:0 KPW KRW:0 KWD:3 KYD KZT LAK LBP LKR LRD LSL LYD:3 MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK ' +
  'MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR:3 PAB PEN PGK PHP PKR PLN PYG:0 QAR RON RSD RUB RWF:0 SAR SBD ' +
  'SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND:3 TOP TRY TTD TWD TZS UAH UGX:0 ' +
  'USD UYU UYW:4 UZS VED VES VND:0 VUV:0 WST XAF:0 XCD XOF:0 XPF:0 YER ZAR ZMW ZWG';

const MINOR_UNITS = new Map<string, number>(
  CURRENCIES.split(' ').map((entry) => {
    const [code, exponent] = entry.split(':');
    return [code!, exponent === undefined ? 2 : Number(exponent)];
  }),
);

export function isCurrencyCode(code: string): boolean {
  return MINOR_UNITS.has(code);
}

/** Decimal places of the currency's minor unit (EUR 2, JPY 0, KWD 3). */
export function minorUnitExponent(currency: string): number {
  const exponent = MINOR_UNITS.get(currency);
  if (exponent === undefined) throw new Error(`unknown currency ${currency}`);
  return exponent;
}

/** Integer minor units ("42.10" EUR → 4210) without going through a float. */
export function toMinorUnits(amount: string, currency: string): bigint {
  const exponent = minorUnitExponent(currency);
  const [whole = '0', fraction = ''] = amount.split('.');
  if (fraction.length > exponent) throw new Error(`${amount} has more decimals than ${currency} allows`);
  return BigInt(whole + fraction.padEnd(exponent, '0'));
}

/** Decimal string from integer minor units (4210n EUR → "42.10"). */
export function fromMinorUnits(minor: bigint, currency: string): string {
  const exponent = minorUnitExponent(currency);
  const negative = minor < 0n;
  const digits = (negative ? -minor : minor).toString().padStart(exponent + 1, '0');
  const whole = digits.slice(0, digits.length - exponent);
  const text = exponent === 0 ? whole : `${whole}.${digits.slice(digits.length - exponent)}`;
  return negative ? `-${text}` : text;
}

const REQUIRED = [
  'transactionId',
  'bankId',
  'cardId',
  'customerId',
  'terminalId',
  'country',
  'channel',
  'amount',
  'currency',
  'time',
] as const;
const OPTIONAL = ['merchantId', 'merchantName', 'mcc'] as const;
const KNOWN = new Set<string>([...REQUIRED, ...OPTIONAL]);
const DECIMAL = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?$/;
const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

/** Checks an incoming authorisation and lists every problem, each with its field. */
export function validateAuthorisation(input: unknown): ValidationResult {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return { ok: false, errors: [{ field: '', code: 'type', message: 'event must be a JSON object' }] };
  }
  const record = input as Record<string, unknown>;
  const errors: ValidationError[] = [];
  const fail = (field: string, code: ValidationError['code'], message: string) =>
    errors.push({ field, code, message });

  for (const field of Object.keys(record)) {
    if (!KNOWN.has(field)) fail(field, 'unknown_field', `unknown field ${field}`);
  }
  for (const field of REQUIRED) {
    const value = record[field];
    if (value === undefined || value === null || value === '') fail(field, 'missing', `${field} is required`);
    else if (typeof value !== 'string') fail(field, 'type', `${field} must be a string`);
  }
  for (const field of OPTIONAL) {
    const value = record[field];
    if (value !== undefined && typeof value !== 'string') fail(field, 'type', `${field} must be a string`);
  }
  if (errors.length > 0) return { ok: false, errors };

  const event = record as unknown as AuthorisationEvent;
  if (!/^[A-Z]{3}$/.test(event.currency)) {
    fail('currency', 'format', 'currency must be a three-letter upper-case ISO 4217 code');
  } else if (!isCurrencyCode(event.currency)) {
    fail('currency', 'unknown_currency', `${event.currency} is not an active ISO 4217 currency`);
  }
  if (!DECIMAL.test(event.amount)) {
    fail('amount', 'format', 'amount must be a decimal string such as "42.10"');
  } else if (event.amount.startsWith('-')) {
    fail('amount', 'negative_amount', 'amount must not be negative');
  } else if (isCurrencyCode(event.currency)) {
    const decimals = event.amount.split('.')[1]?.length ?? 0;
    if (decimals > minorUnitExponent(event.currency)) {
      fail(
        'amount',
        'precision',
        `${event.currency} has ${minorUnitExponent(event.currency)} decimal places`,
      );
    }
  }
  if (!/^[A-Z]{2}$/.test(event.country))
    fail('country', 'format', 'country must be an ISO 3166-1 alpha-2 code');
  if (!(CHANNELS as readonly string[]).includes(event.channel)) {
    fail('channel', 'format', `channel must be one of ${CHANNELS.join(', ')}`);
  }
  if (!INSTANT.test(event.time) || Number.isNaN(Date.parse(event.time))) {
    fail('time', 'format', 'time must be an ISO 8601 instant with a zone, e.g. 2018-04-01T00:00:31Z');
  }
  if (event.mcc !== undefined && !/^[0-9]{4}$/.test(event.mcc))
    fail('mcc', 'format', 'mcc must be four digits');
  return errors.length > 0 ? { ok: false, errors } : { ok: true, event };
}
