// The platform's client-authentication key (private_key_jwt, ES256). The platform keeps the
// private key; banks register only the public JWK. For the one-machine demo it lives in a
// file in the data folder (owner-only), so `npm start` and the relay share it across runs.
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { calculateJwkThumbprint, type JWK } from 'jose';

export interface PlatformKeys {
  privateJwk: JWK;
  publicJwk: JWK;
}

export async function generatePlatformKeys(): Promise<PlatformKeys> {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = privateKey.export({ format: 'jwk' }) as JWK;
  const kid = await calculateJwkThumbprint(jwk);
  const privateJwk = { ...jwk, kid, alg: 'ES256', use: 'sig' };
  const { d: _d, ...publicJwk } = privateJwk;
  return { privateJwk, publicJwk };
}

export async function loadOrCreatePlatformKeys(
  dataDir: string,
  fileName = 'platform-demo.jwk.json',
): Promise<PlatformKeys> {
  const file = join(dataDir, fileName);
  if (!existsSync(file)) {
    mkdirSync(dataDir, { recursive: true });
    const keys = await generatePlatformKeys();
    try {
      writeFileSync(file, JSON.stringify(keys.privateJwk), { mode: 0o600, flag: 'wx' });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
  const privateJwk = JSON.parse(readFileSync(file, 'utf8')) as JWK;
  const { d: _d, ...publicJwk } = privateJwk;
  return { privateJwk, publicJwk };
}
