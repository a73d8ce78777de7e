// Shared fixtures for the seal tests: a bank with an Ed25519 signing key and JWKS, an HPKE
// key for the bank (replies), a device with a non-extractable WebCrypto key, and a sealer.

import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import type { JWK } from 'jose';
import {
  createSealer,
  exportX25519PublicKey,
  generateHpkeKeyPair,
  type JsonWebKeySet,
  type Sealer,
} from '../../src/seal/index.ts';

export const BANK_ID = 'bank.example';
export const CONSENT = 'c1_6f2b0c3e9d4a41b2a7e5f0d8c3b2a190';
export const NOW = Date.UTC(2025, 5, 1, 12, 0, 0);

export interface Fixture {
  bankSigning: { privateKey: KeyObject; kid: string };
  jwks: JsonWebKeySet;
  bankHpke: CryptoKeyPair;
  bankHpkePublic: Uint8Array;
  device: CryptoKeyPair;
  devicePublic: Uint8Array;
  sealer: Sealer;
}

export function jwkFor(publicKey: KeyObject, kid: string, alg: string): JWK {
  return { ...(publicKey.export({ format: 'jwk' }) as JWK), kid, alg, use: 'sig' };
}

export async function fixture(alg: 'EdDSA' | 'ES256' = 'EdDSA'): Promise<Fixture> {
  const { privateKey, publicKey } =
    alg === 'EdDSA' ? generateKeyPairSync('ed25519') : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const kid = `bank-sig-${alg.toLowerCase()}-1`;
  const bankHpke = await generateHpkeKeyPair();
  const device = await generateHpkeKeyPair();
  return {
    bankSigning: { privateKey, kid },
    jwks: { keys: [jwkFor(publicKey, kid, alg)] },
    bankHpke,
    bankHpkePublic: await exportX25519PublicKey(bankHpke.publicKey),
    device,
    devicePublic: await exportX25519PublicKey(device.publicKey),
    sealer: createSealer({ signingKey: { key: privateKey, kid, alg }, bankId: BANK_ID, clock: () => NOW }),
  };
}

export const BALANCE = {
  accounts: [{ id: 'acc-1', name: 'Everyday', balance: { amount: '1204.56', currency: 'EUR' } }],
};

export function sealInput(f: Fixture, overrides: Record<string, unknown> = {}) {
  return {
    recipientPublicKey: f.devicePublic,
    consentCommitment: CONSENT,
    purpose: 'balance_check',
    type: 'balance',
    log: 4711,
    id: 'msg-1',
    payload: BALANCE,
    ...overrides,
  };
}

export function openOptions(f: Fixture, expect: Record<string, unknown> = {}) {
  return {
    deviceKey: f.device,
    bankKeys: f.jwks,
    expect: {
      bankId: BANK_ID,
      consentCommitment: CONSENT,
      purpose: 'balance_check',
      type: 'balance',
      ...expect,
    },
    now: NOW,
  };
}
