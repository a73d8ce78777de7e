// Merchant app configuration from the environment, validated up front.
import { join, resolve } from 'node:path';

export interface MerchantConfig {
  /** Its own data folder: PGlite database (`pgdata/`) and staff passwords. */
  dataDir: string;
  /** Where the merchants' client keys live (the shared data folder the banks register them from). */
  keyDir: string;
  databaseUrl: string | undefined;
  host: string;
  port: number;
  publicUrl: string | undefined;
  /** The bank gateway (discovery at /.well-known/proviso). */
  gatewayUrl: string;
  /** The chat's URL (CORS origin, "back to the chat" link). */
  chatUrl: string;
  logLevel: string;
  /** The banks the merchants hold accounts at, and each one's currency (MERCHANT_BANKS=id:CUR,…). */
  banks: { id: string; currency: string }[];
  /** How long a shopper has to approve at the bank before the order is given up. */
  approvalWindowSeconds: number;
}

export class MerchantConfigError extends Error {
  override name = 'MerchantConfigError';
}

function origin(env: NodeJS.ProcessEnv, name: string, fallback: string): string {
  const raw = env[name] || fallback;
  if (!/^https?:\/\/[^/]+$/.test(raw))
    throw new MerchantConfigError(`${name} must be scheme://host[:port] without a path`);
  return raw;
}

function int(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new MerchantConfigError(`${name} must be an integer from ${min} to ${max}, got '${raw}'`);
  return n;
}

function banks(raw: string): { id: string; currency: string }[] {
  return raw.split(',').map((pair) => {
    const m = /^([a-z0-9][a-z0-9-]*):([A-Z]{3})$/.exec(pair.trim());
    if (!m) throw new MerchantConfigError(`MERCHANT_BANKS: '${pair}' is not bank-id:CUR`);
    return { id: m[1]!, currency: m[2]! };
  });
}

export function readMerchantConfig(env: NodeJS.ProcessEnv = process.env): MerchantConfig {
  const databaseUrl = env['MERCHANT_DATABASE_URL'] || undefined;
  if (databaseUrl && !/^postgres(ql)?:\/\//.test(databaseUrl))
    throw new MerchantConfigError('MERCHANT_DATABASE_URL must be a postgres:// URL');
  const publicUrl = env['PROVISO_MERCHANT_URL'] ? origin(env, 'PROVISO_MERCHANT_URL', '') : undefined;
  return {
    dataDir: join(resolve(env['PROVISO_DATA'] || '.proviso'), 'merchant'),
    keyDir: resolve(env['PROVISO_DATA'] || '.proviso'),
    databaseUrl,
    host: env['MERCHANT_HOST'] || env['HOST'] || '127.0.0.1',
    port: int(env, 'MERCHANT_PORT', 4300, 0, 65535),
    publicUrl,
    gatewayUrl: origin(
      env,
      'PROVISO_GATEWAY_URL',
      env['PROVISO_PUBLIC_URL'] || `http://127.0.0.1:${env['PORT'] || '4100'}`,
    ),
    chatUrl: origin(env, 'PROVISO_RELAY_URL', `http://127.0.0.1:${env['RELAY_PORT'] || '4200'}`),
    logLevel: env['LOG_LEVEL'] || 'info',
    banks: banks(env['MERCHANT_BANKS'] || 'northwind:GBP,fjord:EUR'),
    approvalWindowSeconds: int(env, 'MERCHANT_APPROVAL_SECONDS', 600, 5, 86_400),
  };
}
