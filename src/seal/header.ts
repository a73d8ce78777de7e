// The envelope header: the fields bound into the HPKE ciphertext as associated data (AAD)
// and readable by the relay for routing. Its byte form is canonical (RFC 8785 JCS restricted
// to strings and safe integers: sorted keys, no whitespace), so the gateway and every device
// derive the same AAD bytes from the same header.

import { utf8 } from './encoding.ts';
import { EnvelopeError } from './errors.ts';

export const ENVELOPE_VERSION = 1;

export interface EnvelopeHeader {
  /** Format version, bound into the AAD so a header cannot be re-read under another version. */
  v: typeof ENVELOPE_VERSION;
  /** Bank id (the issuer; for replies, the bank the reply is for). */
  bank: string;
  /** Consent commitment: the opaque commitment string of the consent this message is under. */
  consent: string;
  /** Declared purpose the data was released for (e.g. "balance_check", "fraud_alert"). */
  purpose: string;
  /** Message type (e.g. "balance", "transactions", "alert", "receipt", "reply"). */
  type: string;
  /** Transparency-log index of the entry recording this release (for replies: the alert's). */
  log: number;
  /** Issued at, seconds since the Unix epoch. */
  iat: number;
  /** Optional hard expiry, seconds since the Unix epoch. */
  exp?: number;
  /** Message id (the alert id for alerts); replies answer it with `re`. */
  id: string;
  /** RFC 7638 JWK thumbprint of the recipient's HPKE public key (device key, or bank key for replies). */
  rcpt: string;
  /** Replies only: thumbprint of the device key that authenticated the reply (HPKE auth mode). */
  sndr?: string;
  /** Replies only: id of the message answered. */
  re?: string;
}

const STRING_FIELDS = ['bank', 'consent', 'purpose', 'type', 'id', 'rcpt'] as const;
const OPTIONAL_STRING_FIELDS = ['sndr', 're'] as const;
const INTEGER_FIELDS = ['log', 'iat'] as const;
const KNOWN_FIELDS = new Set<string>([
  'v',
  ...STRING_FIELDS,
  ...OPTIONAL_STRING_FIELDS,
  ...INTEGER_FIELDS,
  'exp',
]);
const MAX_STRING = 512;

// Printable, no control characters: keeps the canonical form free of escape-sequence ambiguity
// and keeps log/UI rendering of header fields safe.
function isPrintable(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return false;
  }
  return true;
}

function fail(reason: string): never {
  throw new EnvelopeError('malformed', reason);
}

function checkString(name: string, value: unknown): void {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_STRING || !isPrintable(value)) {
    fail(`header field "${name}" must be a non-empty printable string of at most ${MAX_STRING} characters`);
  }
}

function checkInteger(name: string, value: unknown): void {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    fail(`header field "${name}" must be a non-negative safe integer`);
  }
}

/** Validates an untrusted header object; unknown fields are refused (they would be unbound metadata). */
export function parseHeader(value: unknown): EnvelopeHeader {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    fail('header must be a JSON object');
  const h = value as Record<string, unknown>;
  for (const key of Object.keys(h)) if (!KNOWN_FIELDS.has(key)) fail(`unknown header field "${key}"`);
  if (h['v'] !== ENVELOPE_VERSION) {
    throw new EnvelopeError('unsupported_version', `header version ${String(h['v'])} is not supported`);
  }
  for (const f of STRING_FIELDS) checkString(f, h[f]);
  for (const f of OPTIONAL_STRING_FIELDS) if (h[f] !== undefined) checkString(f, h[f]);
  for (const f of INTEGER_FIELDS) checkInteger(f, h[f]);
  if (h['exp'] !== undefined) checkInteger('exp', h['exp']);
  return h as unknown as EnvelopeHeader;
}

/** Canonical AAD bytes of a header (validated first, so only canonicalisable values get here). */
export function headerAad(header: EnvelopeHeader): Uint8Array {
  return utf8(canonicalJson(parseHeader(header)));
}

// Every field a header may have, in RFC 8785 order (UTF-16 code units: ASCII names sort
// plainly), each with its serialised name made once.
const CANONICAL_ORDER = [...KNOWN_FIELDS].sort().map((k) => [k, `${JSON.stringify(k)}:`] as const);

function canonicalJson(h: EnvelopeHeader): string {
  const record = h as unknown as Record<string, string | number | undefined>;
  // parseHeader refused unknown fields, so walking the known ones in order covers the header.
  let out = '';
  for (const [k, name] of CANONICAL_ORDER) {
    const value = record[k];
    if (value === undefined) continue;
    // JSON.stringify of strings and safe integers is exactly RFC 8785's serialisation for them.
    out += `${out ? ',' : '{'}${name}${JSON.stringify(value)}`;
  }
  return `${out || '{'}}`;
}
