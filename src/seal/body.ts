// The sealed body: what the bank signs (as the JWS payload) and what a device reply carries.
//   { v, suite, hdr, enc, bind, ct }
// `bind` is the first HPKE message (sequence 0): an empty plaintext sealed with the header as
// AAD. It lets the receiver say precisely "this header is not the one the ciphertext was sealed
// with" (aad_mismatch) apart from "the ciphertext body was damaged" (decrypt_failed).
// `ct` is the second message (sequence 1): the JSON payload, same AAD.

import { fromBase64Url, fromUtf8, toBase64Url, utf8 } from './encoding.ts';
import { EnvelopeError } from './errors.ts';
import { ENVELOPE_VERSION, type EnvelopeHeader, parseHeader } from './header.ts';
import { type SuiteName, suiteParams } from './suite.ts';

export interface SealedBody {
  v: typeof ENVELOPE_VERSION;
  suite: SuiteName;
  hdr: EnvelopeHeader;
  /** HPKE encapsulated key (32 bytes), base64url. */
  enc: string;
  /** Header-binding tag: HPKE seal(seq 0, aad = header, pt = empty), base64url (16 bytes). */
  bind: string;
  /** HPKE seal(seq 1, aad = header, pt = JSON payload), base64url. */
  ct: string;
}

export interface DecodedBody {
  body: SealedBody;
  enc: Uint8Array;
  bind: Uint8Array;
  ct: Uint8Array;
}

const BODY_FIELDS = new Set(['v', 'suite', 'hdr', 'enc', 'bind', 'ct']);

export function encodeBody(b: SealedBody): string {
  // Fixed member order; the bytes are signed as they are, so no canonicalisation is needed here.
  return JSON.stringify({ v: b.v, suite: b.suite, hdr: b.hdr, enc: b.enc, bind: b.bind, ct: b.ct });
}

function bytesField(record: Record<string, unknown>, name: string, min: number, max?: number): Uint8Array {
  const value = record[name];
  let bytes: Uint8Array;
  try {
    if (typeof value !== 'string') throw new TypeError();
    bytes = fromBase64Url(value);
  } catch {
    throw new EnvelopeError('malformed', `field "${name}" must be base64url`);
  }
  if (bytes.length < min || (max !== undefined && bytes.length > max)) {
    throw new EnvelopeError('malformed', `field "${name}" has the wrong length`);
  }
  return bytes;
}

export function decodeBody(json: string | Uint8Array): DecodedBody {
  let parsed: unknown;
  try {
    parsed = JSON.parse(typeof json === 'string' ? json : fromUtf8(json));
  } catch {
    throw new EnvelopeError('malformed', 'body is not JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new EnvelopeError('malformed', 'body must be an object');
  const rec = parsed as Record<string, unknown>;
  if (rec['v'] !== ENVELOPE_VERSION) {
    throw new EnvelopeError('unsupported_version', `envelope version ${String(rec['v'])} is not supported`);
  }
  for (const k of Object.keys(rec))
    if (!BODY_FIELDS.has(k)) throw new EnvelopeError('malformed', `unknown field "${k}"`);
  suiteParams(rec['suite']);
  parseHeader(rec['hdr']); // validates the header schema; throws malformed / unsupported_version
  return {
    body: rec as unknown as SealedBody,
    enc: bytesField(rec, 'enc', 32, 32),
    bind: bytesField(rec, 'bind', 16, 16),
    ct: bytesField(rec, 'ct', 16),
  };
}

export function payloadBytes(payload: unknown): Uint8Array {
  const json = JSON.stringify(payload);
  if (json === undefined) throw new TypeError('payload must be JSON-serialisable');
  return utf8(json);
}

export { toBase64Url };
