// One envelope sealer per bank, signing with the bank's active Ed25519 key (published in
// its JWKS), created on first use and shared by the bot and the alert loop.
import type { KeyStore } from '../keys/index.ts';
import { createSealer, type Sealer } from '../seal/index.ts';

export type BankSealers = (bankId: string) => Promise<Sealer>;

export function bankSealers(keyStore: KeyStore): BankSealers {
  const sealers = new Map<string, Promise<Sealer>>();
  return (bankId) => {
    let s = sealers.get(bankId);
    if (!s) {
      s = keyStore
        .active(bankId, 'sign', 'EdDSA')
        .then((k) => createSealer({ bankId, signingKey: { key: k.privateKey, kid: k.kid, alg: 'EdDSA' } }));
      s.catch(() => sealers.delete(bankId));
      sealers.set(bankId, s);
    }
    return s;
  };
}
