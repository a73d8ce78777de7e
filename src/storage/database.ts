// One storage handle for the whole system: Kysely over PGlite (embedded default, in a
// data folder) or over `pg` when DATABASE_URL is set. Both run the same migrations.
import { mkdirSync } from 'node:fs';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { startEmbeddedVacuum } from './embedded-vacuum.ts';
import { PGliteDialect, PGliteWorkerClient } from './pglite-driver.ts';
import { INT8_OID, NUMERIC_OID, parseInt8 } from './pglite-protocol.ts';
import { preparingPool } from './prepared.ts';
import { type TakeTurn, turnQueue, withoutTurns } from './turns.ts';

export type StorageKind = 'pglite' | 'postgres';

export interface Database {
  readonly kind: StorageKind;
  /** Where the data lives, without credentials (safe to log). */
  readonly location: string;
  /** Typed view of the shared database for one bounded context's tables. */
  tables<T>(): Kysely<T>;
  /** Subscribes to a PostgreSQL NOTIFY channel; returns an unsubscribe function. */
  listen(channel: string, onPayload: (payload: string) => void): Promise<() => Promise<void>>;
  notify(channel: string, payload: string): Promise<void>;
  /**
   * Runs a task of several statements in one turn at the database (turns.ts): on the embedded
   * database, whose one session a transaction owns to its end, the task then waits for the
   * others once instead of once per statement. On PostgreSQL it runs at once.
   */
  readonly turn: TakeTurn;
  close(): Promise<void>;
}

export interface OpenOptions {
  /** postgres:// URL; when absent PGlite is used. */
  url?: string | undefined;
  /** PGlite data folder; when absent (and no url) the database lives in memory. */
  dataDir?: string | undefined;
  /** Pool size for `pg`. */
  poolSize?: number;
  /**
   * PGlite only: how often to look for tables due for VACUUM or ANALYZE (embedded-vacuum.ts;
   * PostgreSQL has autovacuum). Off when absent: long-running processes turn it on.
   */
  vacuumEveryMs?: number | undefined;
}

export async function openDatabase(options: OpenOptions = {}): Promise<Database> {
  return options.url
    ? openPostgres(options.url, options.poolSize ?? 10)
    : openPGlite(options.dataDir, options.vacuumEveryMs);
}

// PGlite runs in a worker thread (pglite-driver.ts): its statements are CPU work that would
// otherwise run on the event loop.
async function openPGlite(dataDir: string | undefined, vacuumEveryMs: number | undefined): Promise<Database> {
  if (dataDir) mkdirSync(dataDir, { recursive: true });
  const lite = new PGliteWorkerClient(dataDir);
  await lite.ready;
  const kysely = new Kysely<unknown>({ dialect: new PGliteDialect(lite) });
  const turn = turnQueue();
  const vacuum = vacuumEveryMs === undefined ? undefined : startEmbeddedVacuum(kysely, turn, vacuumEveryMs);
  return {
    kind: 'pglite',
    location: dataDir ? `pglite:${dataDir}` : 'pglite:memory',
    tables: <T>() => kysely as unknown as Kysely<T>,
    listen: (channel, onPayload) => lite.listen(channel, onPayload),
    async notify(channel, payload) {
      await lite.request(0, { op: 'notify', channel, payload });
    },
    turn,
    async close() {
      await vacuum?.stop();
      await kysely.destroy();
      await lite.close();
    },
  };
}

function redact(url: string): string {
  const u = new URL(url);
  u.password = '';
  return `postgres:${u.host}${u.pathname}`;
}

async function openPostgres(url: string, poolSize: number): Promise<Database> {
  const types = {
    getTypeParser(oid: number, format?: 'text' | 'binary') {
      if (oid === INT8_OID) return parseInt8;
      if (oid === NUMERIC_OID) return (v: string) => v;
      return pg.types.getTypeParser(oid, format);
    },
  };
  const pool = new pg.Pool({ connectionString: url, max: poolSize, types });
  // An idle client dropped by the server (restart, failover) must not crash the process;
  // the pool replaces it on the next checkout.
  pool.on('error', () => {});
  // Fail fast with a clear message instead of on the first request.
  const probe = await pool.connect();
  probe.release();
  // Hot statements go as named ones: PostgreSQL parses and plans them once per connection.
  const kysely = new Kysely<unknown>({ dialect: new PostgresDialect({ pool: preparingPool(pool) }) });
  const listeners = new Set<pg.Client>();
  return {
    kind: 'postgres',
    location: redact(url),
    tables: <T>() => kysely as unknown as Kysely<T>,
    async listen(channel, onPayload) {
      // A dedicated connection: LISTEN on a pooled one would be lost when it is recycled.
      const client = new pg.Client({ connectionString: url, types });
      await client.connect();
      client.on('notification', (msg) => {
        if (msg.channel === channel) onPayload(msg.payload ?? '');
      });
      client.on('error', () => {});
      await client.query(`listen "${channel.replaceAll('"', '""')}"`);
      listeners.add(client);
      return async () => {
        listeners.delete(client);
        await client.end().catch(() => {});
      };
    },
    async notify(channel, payload) {
      await pool.query('select pg_notify($1, $2)', [channel, payload]);
    },
    turn: withoutTurns,
    async close() {
      await Promise.all([...listeners].map((c) => c.end().catch(() => {})));
      await kysely.destroy();
    },
  };
}
