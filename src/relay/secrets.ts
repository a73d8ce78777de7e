// The relay's own secrets: the relay key (seals OAuth credentials at rest), the webhook
// verify token, and each bank's webhook app secret. From the environment when set,
// otherwise generated once into the relay's data folder (mode 0600).
import { createCipheriv, createDecipheriv, createHmac, type KeyObject, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface RelaySecrets {
  /** 32-byte AES-256-GCM key for credentials at rest. */
  relayKey: Buffer;
  /** hub.verify_token the banks present at webhook subscription. */
  verifyToken: string;
  /** Explicit per-bank webhook app secrets (RELAY_APP_SECRETS); other banks get a derived one. */
  appSecrets: Record<string, string>;
}

export class SecretsError extends Error {
  override name = 'SecretsError';
}

const FILE = 'relay-secrets.json';

function b64key(value: string, name: string): Buffer {
  const key = Buffer.from(value, 'base64url');
  if (key.length !== 32 || !/^[A-Za-z0-9_-]{43}$/.test(value))
    throw new SecretsError(`${name} must be base64url of exactly 32 bytes`);
  return key;
}

/** Parses RELAY_APP_SECRETS: `bank=secret,bank2=secret2`. */
export function parseAppSecrets(raw: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!raw) return out;
  for (const part of raw.split(',')) {
    const i = part.indexOf('=');
    const bank = part.slice(0, i).trim();
    const secret = part.slice(i + 1).trim();
    if (i <= 0 || !/^[a-z0-9][a-z0-9-]{0,62}$/.test(bank) || secret.length < 16)
      throw new SecretsError(
        'RELAY_APP_SECRETS must be bank=secret pairs (secret ≥ 16 characters), comma-separated',
      );
    out[bank] = secret;
  }
  return out;
}

/** Loads secrets from env, else from `<dataDir>/relay-secrets.json`, generating it on first use. */
export function loadRelaySecrets(env: NodeJS.ProcessEnv, dataDir: string | undefined): RelaySecrets {
  let stored: { relayKey?: string; verifyToken?: string } = {};
  const path = dataDir ? join(dataDir, FILE) : undefined;
  if (path && existsSync(path)) stored = JSON.parse(readFileSync(path, 'utf8'));
  const fresh = {
    relayKey: stored.relayKey ?? randomBytes(32).toString('base64url'),
    verifyToken: stored.verifyToken ?? randomBytes(24).toString('base64url'),
  };
  if (path && (!stored.relayKey || !stored.verifyToken) && !(env['RELAY_KEY'] && env['RELAY_VERIFY_TOKEN'])) {
    mkdirSync(dataDir!, { recursive: true });
    writeFileSync(path, JSON.stringify(fresh), { mode: 0o600 });
  }
  return {
    relayKey: b64key(env['RELAY_KEY'] || fresh.relayKey, 'RELAY_KEY'),
    verifyToken: env['RELAY_VERIFY_TOKEN'] || fresh.verifyToken,
    appSecrets: parseAppSecrets(env['RELAY_APP_SECRETS']),
  };
}

/** The webhook app secret of a bank: explicit, or derived from the relay key (stable, per bank). */
export function appSecretFor(secrets: RelaySecrets, bankId: string): string {
  return (
    secrets.appSecrets[bankId] ??
    createHmac('sha256', secrets.relayKey)
      .update(`proviso relay webhook app secret\0${bankId}`)
      .digest('base64url')
  );
}

/** AES-256-GCM under the relay key; `aad` binds the ciphertext to its row and use. */
export function sealJson(key: Buffer | KeyObject, value: unknown, aad: string): string {
  const iv = randomBytes(12);
  const c = createCipheriv('aes-256-gcm', key, iv);
  c.setAAD(Buffer.from(aad));
  const ct = Buffer.concat([c.update(JSON.stringify(value), 'utf8'), c.final(), c.getAuthTag()]);
  return `v1.${iv.toString('base64url')}.${ct.toString('base64url')}`;
}

export function openJson<T = unknown>(key: Buffer | KeyObject, sealed: string, aad: string): T {
  const [v, ivB, ctB] = sealed.split('.');
  if (v !== 'v1' || !ivB || !ctB) throw new SecretsError('sealed value has an unknown format');
  const ct = Buffer.from(ctB, 'base64url');
  const d = createDecipheriv('aes-256-gcm', key, Buffer.from(ivB, 'base64url'));
  d.setAAD(Buffer.from(aad));
  d.setAuthTag(ct.subarray(ct.length - 16));
  return JSON.parse(
    Buffer.concat([d.update(ct.subarray(0, ct.length - 16)), d.final()]).toString('utf8'),
  ) as T;
}
