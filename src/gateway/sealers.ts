// One envelope sealer per bank, signing with the bank's active Ed25519 key (published in
// its JWKS), created on first use and shared by the bot and the alert loop. With a sealing
// pool, what the outbox seals in bulk (sealSoon) goes in batches to its worker threads; the
// bank's private key reaches them as a KeyObject cloned inside this process, nowhere else.
import { createPublicKey } from 'node:crypto';
import type { KeyStore } from '../keys/index.ts';
import { createPooledSealer, createSealer, type Sealer, SealingPool } from '../seal/index.ts';

export type BankSealers = (bankId: string) => Promise<Sealer>;

/** The gateway's sealing pool; a worker's death is a warning in the gateway's log. */
export function gatewaySealingPool(log: () => { warn(fields: object, message: string): void }): SealingPool {
  return new SealingPool({
    onWorkerDeath: ({ error, batches }) =>
      log().warn({ error, batches }, 'a sealing worker died; its batches go once more to a new one'),
  });
}

export function bankSealers(keyStore: KeyStore, pool?: SealingPool): BankSealers {
  const sealers = new Map<string, Promise<Sealer>>();
  return (bankId) => {
    let s = sealers.get(bankId);
    if (!s) {
      s = keyStore.active(bankId, 'sign', 'EdDSA').then((k) => {
        const signingKey = { key: k.privateKey, kid: k.kid, alg: 'EdDSA' } as const;
        return pool ? createPooledSealer({ pool, bankId, signingKey }) : createSealer({ bankId, signingKey });
      });
      s.catch(() => sealers.delete(bankId));
      sealers.set(bankId, s);
    }
    return s;
  };
}

/** The bank's HPKE key pair (replies and device requests are sealed to it), as WebCrypto keys. */
export async function bankReplyKey(keyStore: KeyStore, bankId: string): Promise<CryptoKeyPair> {
  const key = await keyStore.active(bankId, 'seal', 'X25519');
  return {
    privateKey: key.privateKey.toCryptoKey('X25519', false, ['deriveBits']) as CryptoKey,
    publicKey: createPublicKey(key.privateKey).toCryptoKey('X25519', true, []) as CryptoKey,
  };
}
