// Public-key helpers for HPKE X25519 keys, shared by device and gateway (WebCrypto only).
// A key has three names: raw 32 bytes (what HPKE uses), a JWK {kty:'OKP',crv:'X25519',x}
// (what JSON APIs carry), the RFC 7638 thumbprint (what envelope headers carry in `rcpt`/`sndr`)
// and a short human fingerprint (what the consent screen shows).

import { asArrayBuffer, fromBase64Url, toBase64Url, toHex, utf8 } from './encoding.ts';

export interface X25519PublicJwk {
  kty: 'OKP';
  crv: 'X25519';
  x: string;
}

export type PublicKeyInput = Uint8Array | X25519PublicJwk | string;

/** Raw 32-byte public key from raw bytes, a JWK, or base64url text. */
export function rawPublicKey(input: PublicKeyInput): Uint8Array {
  let raw: Uint8Array;
  if (input instanceof Uint8Array) raw = input;
  else if (typeof input === 'string') raw = fromBase64Url(input);
  else {
    if (input.kty !== 'OKP' || input.crv !== 'X25519' || typeof input.x !== 'string') {
      throw new TypeError('not an X25519 public JWK');
    }
    raw = fromBase64Url(input.x);
  }
  if (raw.length !== 32) throw new TypeError('an X25519 public key is 32 bytes');
  return raw;
}

export function publicJwk(raw: Uint8Array): X25519PublicJwk {
  return { kty: 'OKP', crv: 'X25519', x: toBase64Url(rawPublicKey(raw)) };
}

/** The RFC 7638 thumbprint input: required members only, lexicographic order, no whitespace. */
export function thumbprintInput(raw: Uint8Array): string {
  return `{"crv":"X25519","kty":"OKP","x":"${toBase64Url(raw)}"}`;
}

/** RFC 7638 JWK thumbprint (SHA-256, base64url) — the key id used in envelope headers. */
export async function keyThumbprint(key: PublicKeyInput): Promise<string> {
  const digest = await crypto.subtle.digest(
    'SHA-256',
    asArrayBuffer(utf8(thumbprintInput(rawPublicKey(key)))),
  );
  return toBase64Url(new Uint8Array(digest));
}

/**
 * Short fingerprint for people: first 8 bytes of SHA-256 over the raw key, as four groups of
 * four hex digits ("3f2a 91c0 5b7e 0d44"). 64 bits is enough to notice a substituted key on a
 * consent screen; it is not used for any machine decision (those use the full thumbprint).
 */
export async function keyFingerprint(key: PublicKeyInput): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', asArrayBuffer(rawPublicKey(key))));
  return (toHex(digest.subarray(0, 8)).match(/.{4}/g) ?? []).join(' ');
}

export async function importX25519PublicKey(key: PublicKeyInput): Promise<CryptoKey> {
  return crypto.subtle.importKey('raw', asArrayBuffer(rawPublicKey(key)), { name: 'X25519' }, true, []);
}

export async function exportX25519PublicKey(key: CryptoKey): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.exportKey('raw', key));
}

/**
 * New HPKE key pair whose private half is NOT extractable: script (including an XSS payload)
 * can use it to open envelopes while the page runs, but can never copy it off the device.
 */
export async function generateHpkeKeyPair(): Promise<CryptoKeyPair> {
  return (await crypto.subtle.generateKey({ name: 'X25519' }, false, ['deriveBits'])) as CryptoKeyPair;
}
