// Checks shared by the device (openEnvelope) and the bank (openReply): expectations on the
// header, freshness, then HPKE open with the header as AAD. Browser-safe (library path only).

import type { DecodedBody } from './body.ts';
import { fromUtf8 } from './encoding.ts';
import { EnvelopeError } from './errors.ts';
import { type EnvelopeHeader, headerAad } from './header.ts';
import { importX25519PublicKey, type PublicKeyInput } from './keys.ts';
import { librarySuite } from './suite.ts';

export interface Expectations {
  bankId: string;
  consentCommitment: string;
  purpose?: string;
  type?: string;
}

export interface Freshness {
  /** Current time (Date or milliseconds); defaults to Date.now(). */
  now?: Date | number;
  /** Oldest acceptable `iat`, in seconds before now. Default 86 400 (one day). */
  maxAgeSeconds?: number;
  /** Tolerated clock skew for an `iat` in the future, seconds. Default 120. */
  clockSkewSeconds?: number;
}

export const DEFAULT_MAX_AGE_SECONDS = 86_400;

/** Binding checks come before decryption: data sealed for another consent/purpose is never opened. */
export function checkExpectations(h: EnvelopeHeader, expect: Expectations, f: Freshness): void {
  if (h.bank !== expect.bankId) {
    throw new EnvelopeError('wrong_bank', `sealed by or for bank "${h.bank}", expected "${expect.bankId}"`);
  }
  if (h.consent !== expect.consentCommitment) {
    throw new EnvelopeError(
      'wrong_consent',
      'sealed under another consent than the one this conversation is bound to',
    );
  }
  if (expect.purpose !== undefined && h.purpose !== expect.purpose) {
    throw new EnvelopeError(
      'wrong_purpose',
      `sealed for purpose "${h.purpose}", expected "${expect.purpose}"`,
    );
  }
  if (expect.type !== undefined && h.type !== expect.type) {
    throw new EnvelopeError('wrong_type', `message type "${h.type}", expected "${expect.type}"`);
  }
  const nowMs = f.now === undefined ? Date.now() : typeof f.now === 'number' ? f.now : f.now.getTime();
  const now = Math.floor(nowMs / 1000);
  const maxAge = f.maxAgeSeconds ?? DEFAULT_MAX_AGE_SECONDS;
  const skew = f.clockSkewSeconds ?? 120;
  if (h.iat > now + skew) throw new EnvelopeError('expired', 'issued in the future (check the device clock)');
  if (now - h.iat > maxAge) throw new EnvelopeError('expired', `older than the accepted ${maxAge} s`);
  if (h.exp !== undefined && now >= h.exp) throw new EnvelopeError('expired', 'past its expiry time');
}

export async function hpkeOpen(
  decoded: DecodedBody,
  recipientKey: CryptoKeyPair,
  info: Uint8Array,
  senderPublicKey?: PublicKeyInput,
): Promise<unknown> {
  const suite = librarySuite(decoded.body.suite);
  const aad = headerAad(decoded.body.hdr);
  let ctx: Awaited<ReturnType<typeof suite.createRecipientContext>>;
  try {
    ctx = await suite.createRecipientContext({
      recipientKey,
      enc: decoded.enc.slice().buffer,
      info: info.slice().buffer,
      senderPublicKey:
        senderPublicKey === undefined ? undefined : await importX25519PublicKey(senderPublicKey),
    });
  } catch (e) {
    throw new EnvelopeError('decrypt_failed', 'the key encapsulation does not open with this key', {
      cause: e,
    });
  }
  try {
    await ctx.open(decoded.bind.slice().buffer, aad.slice().buffer);
  } catch {
    throw new EnvelopeError(
      'aad_mismatch',
      senderPublicKey === undefined
        ? 'the header is not the one the ciphertext was sealed with'
        : 'the header is not the one the ciphertext was sealed with, or another key sealed it',
    );
  }
  let plaintext: ArrayBuffer;
  try {
    plaintext = await ctx.open(decoded.ct.slice().buffer, aad.slice().buffer);
  } catch {
    throw new EnvelopeError('decrypt_failed', 'the ciphertext does not authenticate (modified in transit?)');
  }
  try {
    return JSON.parse(fromUtf8(new Uint8Array(plaintext)));
  } catch {
    throw new EnvelopeError('malformed', 'decrypted payload is not JSON');
  }
}
