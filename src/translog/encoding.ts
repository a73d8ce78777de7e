// Strict text encodings used by the C2SP formats: standard padded base64 and canonical
// decimal. Lenient decoders would let two different texts denote the same note.
import { FormatError } from './errors.ts';

/** RFC 4648 §4 base64 with padding; rejects URL-safe letters, missing padding and non-canonical tails. */
export function decodeBase64(text: string, what = 'base64'): Uint8Array {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) {
    throw new FormatError(`${what} is not canonical base64`);
  }
  const bytes = Buffer.from(text, 'base64');
  if (bytes.toString('base64') !== text) throw new FormatError(`${what} is not canonical base64`);
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

export function encodeBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

/** ASCII decimal, no sign, no leading zeros, as bigint (sizes are uint64). */
export function parseDecimal(text: string, what = 'number'): bigint {
  if (!/^(0|[1-9][0-9]*)$/.test(text)) throw new FormatError(`${what} is not a canonical decimal`);
  const value = BigInt(text);
  if (value > 0xffff_ffff_ffff_ffffn) throw new FormatError(`${what} exceeds 2^64-1`);
  return value;
}

/**
 * Canonical decimal as a JS number. Sizes above 2^53 cannot be represented exactly, so they
 * are rejected rather than silently rounded (a rounded size would verify a different tree).
 */
export function parseSafeDecimal(text: string, what = 'number'): number {
  const value = parseDecimal(text, what);
  if (value > BigInt(Number.MAX_SAFE_INTEGER))
    throw new FormatError(`${what} is larger than this log supports`);
  return Number(value);
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  return new Uint8Array(Buffer.concat(parts));
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0;
}

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}
