// Configuration from the environment, read in one place and validated up front so a
// mistake fails at start with a message, not later with a stack trace.

import { resolve } from 'node:path';
import type { FastifyListenOptions } from 'fastify';
import { parseBankKeys } from '../screening/index.ts';

export interface GatewayConfig {
  dataDir: string;
  databaseUrl: string | undefined;
  host: string;
  port: number;
  publicUrl: string | undefined;
  logLevel: string;
  seedCustomers: number;
  seedDays: number;
  seed: number;
  /** Host part of the transparency logs' origins (stable for the life of the logs). */
  logOriginHost: string;
  /** Witnesses the logs ask for cosignatures: `url|verifierKey`, comma-separated in PROVISO_WITNESSES. */
  witnesses: { url: string; verifierKey: string }[];
  witnessQuorum: number;
  witnessAlarmSeconds: number;
  /** Releases stop after this many seconds of entries no witness quorum cosigned (0: never); fail-closed policy. */
  uncosignedLimitSeconds: number;
  /** Run a local demo witness when no witnesses are configured (the one-machine default). */
  demoWitness: boolean;
  /** The demo platform's relay (its OAuth redirect and discovery entry); PROVISO_RELAY_URL. */
  relayUrl: string;
  /** App secrets of the relay's webhook per bank (PROVISO_RELAY_APP_SECRETS=bank=secret,…); in-process relays connect directly. */
  relayAppSecrets: Map<string, string>;
  /** Ingest keys per bank (PROVISO_INGEST_KEYS=bank:key,…); default: generated per bank, kept sealed in the database. */
  ingestKeys: Map<string, string>;
  /** Bank staff keys for the investigator view (PROVISO_STAFF_KEYS=bank:key,…); default: the ingest keys. */
  staffKeys: Map<string, string>;
  /** NATS server for the JetStream authorisation consumer (PROVISO_NATS_URL); none by default. */
  natsUrl: string | undefined;
  /** Seconds a customer has to answer "Was this you?" before the alert goes to the bank's queue. */
  alertReplySeconds: number;
  /**
   * Gateway processes serving the one port (PROVISO_INSTANCES, default 1; PostgreSQL only): each
   * listens with SO_REUSEPORT and the kernel spreads connections over them (src/cli/instances.ts).
   */
  instances: number;
}

function bankKeys(name: string, raw: string | undefined): Map<string, string> {
  try {
    return parseBankKeys(raw);
  } catch (error) {
    throw new ConfigError(`${name}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

function pairs(raw: string | undefined, separator: string, name: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const item of (raw ?? '')
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean)) {
    const at = item.indexOf(separator);
    if (at <= 0 || at === item.length - 1)
      throw new ConfigError(`${name} entries are 'bank${separator}secret'; got an entry without one`);
    map.set(item.slice(0, at), item.slice(at + 1));
  }
  return map;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

function int(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new ConfigError(`${name} must be an integer from ${min} to ${max}, got '${raw}'`);
  return n;
}

export function readConfig(env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  const databaseUrl = env['DATABASE_URL'] || undefined;
  if (databaseUrl && !/^postgres(ql)?:\/\//.test(databaseUrl))
    throw new ConfigError('DATABASE_URL must be a postgres:// URL');
  const publicUrl = env['PROVISO_PUBLIC_URL'] || undefined;
  if (publicUrl && !/^https?:\/\/[^/]+$/.test(publicUrl)) {
    throw new ConfigError('PROVISO_PUBLIC_URL must be scheme://host[:port] without a path');
  }
  const witnesses = (env['PROVISO_WITNESSES'] ?? '')
    .split(',')
    .map((w) => w.trim())
    .filter(Boolean)
    .map((w) => {
      const [url, verifierKey] = w.split('|');
      if (!url || !verifierKey || !/^https?:\/\//.test(url)) {
        throw new ConfigError(`PROVISO_WITNESSES entries are 'url|verifierKey'; got '${w}'`);
      }
      return { url, verifierKey };
    });
  const quorum = int(env, 'PROVISO_WITNESS_QUORUM', witnesses.length || 1, 1, 100);
  if (witnesses.length && quorum > witnesses.length) {
    throw new ConfigError(
      `PROVISO_WITNESS_QUORUM ${quorum} is more than the ${witnesses.length} configured witnesses`,
    );
  }
  const relayUrl = env['PROVISO_RELAY_URL'] || `http://127.0.0.1:${env['RELAY_PORT'] || '4200'}`;
  if (!/^https?:\/\/[^/]+$/.test(relayUrl))
    throw new ConfigError('PROVISO_RELAY_URL must be scheme://host[:port] without a path');
  const logOriginHost = env['PROVISO_LOG_ORIGIN'] || 'proviso.localhost';
  if (!/^[a-z0-9.-]+(:\d+)?$/i.test(logOriginHost))
    throw new ConfigError('PROVISO_LOG_ORIGIN must be a host name');
  return {
    logOriginHost,
    relayUrl,
    relayAppSecrets: pairs(env['PROVISO_RELAY_APP_SECRETS'], '=', 'PROVISO_RELAY_APP_SECRETS'),
    ingestKeys: bankKeys('PROVISO_INGEST_KEYS', env['PROVISO_INGEST_KEYS']),
    staffKeys: bankKeys('PROVISO_STAFF_KEYS', env['PROVISO_STAFF_KEYS']),
    natsUrl: env['PROVISO_NATS_URL'] || undefined,
    alertReplySeconds: int(env, 'PROVISO_ALERT_REPLY_SECONDS', 600, 5, 86_400),
    witnesses,
    witnessQuorum: quorum,
    witnessAlarmSeconds: int(env, 'PROVISO_WITNESS_ALARM_SECONDS', 60, 1, 86_400),
    uncosignedLimitSeconds: int(env, 'PROVISO_UNCOSIGNED_MAX_SECONDS', 300, 0, 604_800),
    demoWitness: (env['PROVISO_DEMO_WITNESS'] ?? 'true') !== 'false',
    dataDir: resolve(env['PROVISO_DATA'] || '.proviso'),
    databaseUrl,
    host: env['HOST'] || '127.0.0.1',
    port: int(env, 'PORT', 4100, 0, 65535),
    publicUrl,
    logLevel: env['LOG_LEVEL'] || 'info',
    seedCustomers: int(env, 'PROVISO_SEED_CUSTOMERS', 1000, 1, 10_000_000),
    seedDays: int(env, 'PROVISO_SEED_DAYS', 90, 1, 3650),
    seed: int(env, 'PROVISO_SEED', 1, 0, 2 ** 31),
    instances: gatewayInstances(env, databaseUrl),
  };
}

/** PROVISO_INSTANCES: several processes need a shared database; PGlite has one owner. */
function gatewayInstances(env: NodeJS.ProcessEnv, databaseUrl: string | undefined): number {
  const instances = int(env, 'PROVISO_INSTANCES', 1, 1, 64);
  if (instances > 1 && !databaseUrl)
    throw new ConfigError(
      'PROVISO_INSTANCES above 1 needs DATABASE_URL (PostgreSQL): the embedded database has a single owner',
    );
  return instances;
}

/**
 * Where and how the gateway listens. Several instances on one port (PROVISO_INSTANCES): each
 * socket is bound with SO_REUSEPORT and the kernel hands each new connection to one of them
 * (fastify passes the option on to node's net.Server).
 */
export function listenOptions(
  config: Pick<GatewayConfig, 'host' | 'port' | 'instances'>,
): FastifyListenOptions & { reusePort?: boolean } {
  return { host: config.host, port: config.port, ...(config.instances > 1 ? { reusePort: true } : {}) };
}
