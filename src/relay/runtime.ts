// Brings a relay up from configuration: its own database (PGlite in <data>/relay/pgdata, or
// RELAY_DATABASE_URL), migrations from src/relay/migrations, secrets, the web client build,
// delivery fan-out (LISTEN/NOTIFY + fallback poll) and the HTTP app. Used by `proviso start`
// (same process, own port) and `proviso relay` (standalone).
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { loadOrCreatePlatformKeys } from '../platform-client/index.ts';
import { type Database, EMBEDDED_VACUUM_MS, migrate, openDatabase } from '../storage/index.ts';
import { buildRelay, type RelayInfo, relayInfo } from './app.ts';
import type { RelayConfig } from './config.ts';
import { type BankDirectory, discoveryDirectory } from './directory.ts';
import { DeliveryHub } from './hub.ts';
import { oauthPlatform } from './oauth.ts';
import {
  dpopAuthorizer,
  type GatewayCaller,
  httpGatewayCaller,
  type PlatformClient,
  unconfiguredPlatformClient,
} from './platform.ts';
import { appSecretFor, loadRelaySecrets, type RelaySecrets } from './secrets.ts';
import { RelayStore } from './store.ts';
import { ensureWebClient } from './web.ts';

export const RELAY_VERSION = '0.1.0';
export const RELAY_MIGRATIONS = new URL('./migrations/', import.meta.url);

export interface RelayRuntimeOptions {
  /** Use this database instead of the configured one (tests); not closed by close(). */
  database?: Database;
  secrets?: RelaySecrets;
  /** The platform OAuth client (src/platform-client); linking answers 503 without one. */
  platform?: PlatformClient;
  /** How bot events reach the bank; default: fetch with a DPoP authorizer. */
  gateway?: GatewayCaller;
  directory?: BankDirectory;
  logStream?: NodeJS.WritableStream;
}

export interface RunningRelay {
  app: FastifyInstance;
  url: string;
  info: RelayInfo;
  database: Database;
  store: RelayStore;
  hub: DeliveryHub;
  secrets: RelaySecrets;
  /** The app secret a bank signs its webhook calls with (hand it to the bank's gateway). */
  webhookSecret(bankId: string): string;
  close(): Promise<void>;
}

export async function openRelayDatabase(config: RelayConfig): Promise<Database> {
  const database = await openDatabase({
    url: config.databaseUrl,
    dataDir: join(config.dataDir, 'pgdata'),
    vacuumEveryMs: EMBEDDED_VACUUM_MS,
  });
  await migrate(database, { folder: RELAY_MIGRATIONS, table: 'relay_migration' });
  return database;
}

export async function startRelay(
  config: RelayConfig,
  options: RelayRuntimeOptions = {},
): Promise<RunningRelay> {
  const database = options.database ?? (await openRelayDatabase(config));
  if (options.database) await migrate(database, { folder: RELAY_MIGRATIONS, table: 'relay_migration' });
  const secrets = options.secrets ?? loadRelaySecrets(process.env, config.dataDir);
  const store = new RelayStore(database);
  let url = config.publicUrl ?? '';
  if (config.buildWeb) await ensureWebClient(config.webDist, (m) => process.stderr.write(`relay: ${m}\n`));
  const hub = new DeliveryHub(store);
  // The reference platform client, unless a test brings its own seams.
  const oauth =
    options.platform && options.gateway
      ? undefined
      : oauthPlatform({
          clientId: config.platformClientId,
          privateJwk: (await loadOrCreatePlatformKeys(config.platformKeyDir)).privateJwk,
          allowInsecure: config.gatewayUrl.startsWith('http:'),
        });
  const app = await buildRelay({
    version: RELAY_VERSION,
    store,
    hub,
    secrets,
    directory: options.directory ?? discoveryDirectory(config.gatewayUrl),
    platform: options.platform ?? oauth?.platform ?? unconfiguredPlatformClient,
    gateway: options.gateway ?? oauth?.gateway ?? httpGatewayCaller(dpopAuthorizer),
    publicUrl: () => url,
    connectSrc: [new URL(config.gatewayUrl).origin, ...config.shopUrls.map((u) => new URL(u).origin)],
    shopUrls: config.shopUrls,
    webDist: config.webDist,
    link: config.link,
    logLevel: config.logLevel === 'silent' ? false : config.logLevel,
    ...(options.logStream ? { logStream: options.logStream } : {}),
  });
  await hub.start(database, config.pollMs);
  const listening = await app.listen({ host: config.host, port: config.port });
  if (!config.publicUrl) url = listening.replace('[::1]', 'localhost');
  return {
    app,
    url,
    info: relayInfo(url),
    database,
    store,
    hub,
    secrets,
    webhookSecret: (bankId) => appSecretFor(secrets, bankId),
    async close() {
      await hub.stop();
      await app.close();
      if (!options.database) await database.close();
    },
  };
}
