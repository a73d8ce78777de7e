// Relay configuration from the environment, validated up front.
import { join, resolve } from 'node:path';

export interface RelayConfig {
  /** The relay's data folder: its own PGlite database (`pgdata/`) and `relay-secrets.json`. */
  dataDir: string;
  /** postgres:// URL of the relay's own database; PGlite in dataDir when absent. */
  databaseUrl: string | undefined;
  host: string;
  port: number;
  /** Public base URL of the relay (links, OAuth redirect URI, discovery); the listen address when absent. */
  publicUrl: string | undefined;
  /** Base URL of the bank gateway: `/.well-known/proviso` and `/banks/{id}/bot/events` live under it. */
  gatewayUrl: string;
  logLevel: string;
  /** Folder of the built web client; built with Vite at start when missing or stale (unless buildWeb is false). */
  webDist: string;
  buildWeb: boolean;
  /** Fallback poll for deliveries (ms) in case a NOTIFY is lost; 0 turns it off. */
  pollMs: number;
  /** The platform's OAuth client at the banks: its id and the folder of its private key. */
  platformClientId: string;
  platformKeyDir: string;
  /** Shops (merchant apps) the web chat may browse: their base URLs (CORS, connect-src). */
  shopUrls: string[];
  /** authorization_details the relay asks for at link time (besides the device key). */
  link: { purposes: string[]; clusters: string[]; durationDays: number };
}

export class RelayConfigError extends Error {
  override name = 'RelayConfigError';
}

const ROOT = resolve(new URL('../..', import.meta.url).pathname);

function int(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new RelayConfigError(`${name} must be an integer from ${min} to ${max}, got '${raw}'`);
  return n;
}

function url(env: NodeJS.ProcessEnv, name: string, fallback?: string): string | undefined {
  const raw = env[name] || fallback;
  if (raw && !/^https?:\/\/[^/]+$/.test(raw))
    throw new RelayConfigError(`${name} must be scheme://host[:port] without a path`);
  return raw;
}

export function readRelayConfig(env: NodeJS.ProcessEnv = process.env): RelayConfig {
  const databaseUrl = env['RELAY_DATABASE_URL'] || undefined;
  if (databaseUrl && !/^postgres(ql)?:\/\//.test(databaseUrl))
    throw new RelayConfigError('RELAY_DATABASE_URL must be a postgres:// URL');
  const gatewayPort = env['PORT'] || '4100';
  return {
    dataDir: join(resolve(env['PROVISO_DATA'] || '.proviso'), 'relay'),
    platformClientId: env['RELAY_CLIENT_ID'] || 'proviso-chat',
    platformKeyDir: resolve(env['RELAY_CLIENT_KEY_DIR'] || env['PROVISO_DATA'] || '.proviso'),
    databaseUrl,
    host: env['RELAY_HOST'] || env['HOST'] || '127.0.0.1',
    port: int(env, 'RELAY_PORT', 4200, 0, 65535),
    publicUrl: url(env, 'RELAY_PUBLIC_URL'),
    gatewayUrl: url(
      env,
      'PROVISO_GATEWAY_URL',
      env['PROVISO_PUBLIC_URL'] || `http://127.0.0.1:${gatewayPort}`,
    )!,
    logLevel: env['LOG_LEVEL'] || 'info',
    webDist: resolve(env['RELAY_WEB_DIST'] || join(ROOT, 'web', 'dist')),
    buildWeb: env['RELAY_BUILD_WEB'] !== '0',
    pollMs: int(env, 'RELAY_POLL_MS', 2000, 0, 600_000),
    shopUrls: (
      env['RELAY_SHOP_URLS'] ||
      env['PROVISO_MERCHANT_URL'] ||
      `http://127.0.0.1:${env['MERCHANT_PORT'] || '4300'}`
    )
      .split(',')
      .filter(Boolean)
      .map((u, i) => url({ [`RELAY_SHOP_URLS[${i}]`]: u.trim() }, `RELAY_SHOP_URLS[${i}]`)!),
    link: {
      purposes: (
        env['RELAY_LINK_PURPOSES'] || 'balance_inquiry,transaction_notifications,fraud_alerts,checkout'
      ).split(','),
      clusters: (env['RELAY_LINK_CLUSTERS'] || 'accounts,balances,transactions,card_controls,payments').split(
        ',',
      ),
      durationDays: int(env, 'RELAY_LINK_DAYS', 90, 1, 365),
    },
  };
}

export const PROJECT_ROOT = ROOT;
