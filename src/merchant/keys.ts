// The merchants' own secrets, generated at first start and kept in the merchant data folder
// (owner-only files): each merchant's client-authentication key at the banks (ES256,
// private_key_jwt; banks register only the public JWK) and its staff password.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadOrCreatePlatformKeys, type PlatformKeys } from '../platform-client/index.ts';
import type { Merchant } from './catalogue.ts';

export interface MerchantSecrets {
  keys: Map<string, PlatformKeys>;
  staffPasswords: Map<string, string>;
  /** The owner-only file that holds the staff passwords (printed at start, never the passwords). */
  staffFile: string;
}

/** The key file name the bank side reads the public half from (docs/checkout.md). */
export const merchantKeyFile = (merchantId: string) => `merchant-${merchantId}.jwk.json`;

/**
 * Keys live in `keyDir` (the shared data folder, where the gateway registers their public
 * halves); staff passwords in the merchant's own `dataDir`.
 */
export async function loadMerchantSecrets(
  keyDir: string,
  dataDir: string,
  merchants: readonly Merchant[],
): Promise<MerchantSecrets> {
  mkdirSync(dataDir, { recursive: true });
  const keys = new Map<string, PlatformKeys>();
  for (const m of merchants) keys.set(m.id, await loadOrCreatePlatformKeys(keyDir, merchantKeyFile(m.id)));
  const staffFile = join(dataDir, 'staff-passwords.txt');
  const staffPasswords = new Map<string, string>();
  if (existsSync(staffFile))
    for (const line of readFileSync(staffFile, 'utf8').split('\n')) {
      const [id, password] = line.split(':');
      if (id && password) staffPasswords.set(id, password);
    }
  let added = false;
  for (const m of merchants)
    if (!staffPasswords.has(m.id)) {
      staffPasswords.set(m.id, randomBytes(12).toString('base64url'));
      added = true;
    }
  if (added)
    writeFileSync(staffFile, [...staffPasswords].map(([id, p]) => `${id}:${p}\n`).join(''), { mode: 0o600 });
  return { keys, staffPasswords, staffFile };
}

/** The client id a merchant has at every demo bank. */
export const merchantClientId = (merchantId: string) => `merchant-${merchantId}`;
