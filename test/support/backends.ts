// The storage backends every storage-touching suite runs on: PGlite always, PostgreSQL
// when reachable. Outside CI a missing server skips those suites, counted as skipped with
// the reason; in CI (CI=true) a missing server is a failure, never a skip.
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import pg from 'pg';
import { type Database, migrate, openDatabase } from '../../src/storage/index.ts';

export const POSTGRES_ADMIN_URL =
  process.env['TEST_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface Backend {
  readonly name: 'pglite' | 'postgres';
  /** A fresh, migrated, empty database. */
  open(): Promise<TestDatabase>;
}

export interface TestDatabase {
  readonly database: Database;
  /** postgres:// URL of this database (postgres backend only), for a second instance. */
  readonly url?: string;
  dispose(): Promise<void>;
}

let postgresProbe: Promise<string | null> | undefined;

/** Waits for a connection per attempt; a loaded machine can take seconds to accept one. */
const PROBE_TIMEOUTS_MS = [5_000, 15_000, 30_000];

async function probeOnce(timeoutMs: number): Promise<void> {
  const client = new pg.Client({ connectionString: POSTGRES_ADMIN_URL, connectionTimeoutMillis: timeoutMs });
  try {
    await client.connect();
    await client.query('select 1');
  } finally {
    await client.end().catch(() => {});
  }
}

/** A refused connection means no server; anything else (timeout, starting up) is worth a retry. */
const serverAbsent = (error: unknown): boolean =>
  ['ECONNREFUSED', 'ENOENT', 'EADDRNOTAVAIL', '28P01', '3D000'].includes(
    String((error as { code?: unknown }).code ?? ''),
  );

/** null when PostgreSQL answers; otherwise why not (after retries with longer timeouts). */
export function postgresUnavailable(): Promise<string | null> {
  postgresProbe ??= (async () => {
    let last: unknown;
    for (const timeoutMs of PROBE_TIMEOUTS_MS) {
      try {
        await probeOnce(timeoutMs);
        return null;
      } catch (error) {
        last = error;
        if (serverAbsent(error)) break;
      }
    }
    const why = last instanceof Error ? last.message : String(last);
    return `${why} (${POSTGRES_ADMIN_URL})`;
  })();
  return postgresProbe;
}

/**
 * For a suite that runs on PostgreSQL only: null when the server answers. When it does not,
 * CI (CI=true) fails; elsewhere a skipped test "<suite> on PostgreSQL" is registered, so the
 * run's summary counts the skip and prints why and how to enable it, and the reason is
 * returned for the suite's own `{ skip }`.
 */
export async function postgresSkip(suite: string): Promise<string | null> {
  const why = await postgresUnavailable();
  if (why === null) return null;
  if (process.env['CI'] === 'true') {
    throw new Error(`PostgreSQL is required in CI but unreachable: ${why}`);
  }
  const reason =
    `PostgreSQL unreachable: ${why}. Start a server (trust auth, database "test" on 127.0.0.1:5432) ` +
    'or set TEST_DATABASE_URL to run it';
  test(/postgres/i.test(suite) ? suite : `${suite} on PostgreSQL`, { skip: reason }, () => {});
  return reason;
}

export const pgliteBackend: Backend = {
  name: 'pglite',
  async open() {
    const database = await openDatabase();
    await migrate(database);
    return { database, dispose: () => database.close() };
  },
};

/** Creates a throwaway database on the server, migrated; dropped on dispose. */
export async function createPostgresDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `proviso_t_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(POSTGRES_ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    },
  };
}

export const postgresBackend: Backend = {
  name: 'postgres',
  async open() {
    const created = await createPostgresDatabase();
    const database = await openDatabase({ url: created.url });
    await migrate(database);
    return {
      database,
      url: created.url,
      async dispose() {
        await database.close();
        await created.drop();
      },
    };
  },
};

/**
 * The backends to run a suite on. Use as:
 *   for (const backend of await storageBackends()) describe(backend.name, () => { ... })
 * When PostgreSQL is down outside CI, it is left out and a skipped test says so (counted in
 * the summary, with the reason and how to enable it); in CI that is a failure.
 */
export async function storageBackends(suite = 'this suite'): Promise<Backend[]> {
  return (await postgresSkip(suite)) === null ? [pgliteBackend, postgresBackend] : [pgliteBackend];
}
