// The HPKE suites Proviso speaks, and the reference implementation (@hpke/core) of each.
// Browser-safe: the device opens and seals with the library; only the gateway has a fast path.

import { Chacha20Poly1305 } from '@hpke/chacha20poly1305';
import { Aes128Gcm, CipherSuite, DhkemX25519HkdfSha256, HkdfSha256 } from '@hpke/core';
import { utf8 } from './encoding.ts';
import { EnvelopeError } from './errors.ts';

/** Suite names as written in envelopes. Both use DHKEM(X25519, HKDF-SHA256) and HKDF-SHA256. */
export type SuiteName = 'X25519-SHA256-AES128GCM' | 'X25519-SHA256-CHACHA20POLY1305';

export const DEFAULT_SUITE: SuiteName = 'X25519-SHA256-AES128GCM';

export interface SuiteParams {
  kemId: 0x0020;
  kdfId: 0x0001;
  aeadId: 0x0001 | 0x0003;
  /** AEAD key length Nk in bytes. */
  nk: 16 | 32;
}

export const SUITES: Record<SuiteName, SuiteParams> = {
  'X25519-SHA256-AES128GCM': { kemId: 0x0020, kdfId: 0x0001, aeadId: 0x0001, nk: 16 },
  'X25519-SHA256-CHACHA20POLY1305': { kemId: 0x0020, kdfId: 0x0001, aeadId: 0x0003, nk: 32 },
};

export function suiteParams(name: unknown): SuiteParams {
  if (typeof name !== 'string' || !Object.hasOwn(SUITES, name)) {
    throw new EnvelopeError('unsupported_version', `HPKE suite ${String(name)} is not supported`);
  }
  return SUITES[name as SuiteName];
}

/**
 * HPKE `info` per direction: domain separation, so a bank→device envelope can never be opened
 * as a device→bank reply or the other way round, even with the same keys.
 */
export const INFO_ENVELOPE = utf8('proviso/envelope/v1');
export const INFO_REPLY = utf8('proviso/reply/v1');

const suites = new Map<SuiteName, CipherSuite>();

/** The library (reference) CipherSuite for a suite name; cached, the objects are stateless. */
export function librarySuite(name: SuiteName): CipherSuite {
  let suite = suites.get(name);
  if (!suite) {
    const aead = SUITES[name].aeadId === 0x0001 ? new Aes128Gcm() : new Chacha20Poly1305();
    suite = new CipherSuite({ kem: new DhkemX25519HkdfSha256(), kdf: new HkdfSha256(), aead });
    suites.set(name, suite);
  }
  return suite;
}

export function suiteNameFor(aeadId: number): SuiteName {
  for (const [name, p] of Object.entries(SUITES)) if (p.aeadId === aeadId) return name as SuiteName;
  throw new EnvelopeError('unsupported_version', `AEAD ${aeadId} is not supported`);
}
