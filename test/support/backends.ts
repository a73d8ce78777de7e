// The storage backends every storage-touching suite runs on: PGlite always, PostgreSQL
// when reachable. Outside CI a missing server skips those suites with a plain message;
// in CI (CI=true) a missing server is a failure, never a skip.
import { randomBytes } from 'node:crypto';
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

/** null when PostgreSQL answers; otherwise why not. */
export function postgresUnavailable(): Promise<string | null> {
  postgresProbe ??= (async () => {
    const client = new pg.Client({ connectionString: POSTGRES_ADMIN_URL, connectionTimeoutMillis: 2000 });
    try {
      await client.connect();
      await client.query('select 1');
      return null;
    } catch (error) {
      return error instanceof Error ? error.message : String(error);
    } finally {
      await client.end().catch(() => {});
    }
  })();
  return postgresProbe;
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
 * When PostgreSQL is down outside CI, prints why and how to enable it, and leaves it out.
 */
export async function storageBackends(suite = 'this suite'): Promise<Backend[]> {
  const why = await postgresUnavailable();
  if (why === null) return [pgliteBackend, postgresBackend];
  if (process.env['CI'] === 'true') {
    throw new Error(`PostgreSQL is required in CI but unreachable at ${POSTGRES_ADMIN_URL}: ${why}`);
  }
  process.stderr.write(
    `SKIPPED ${suite} on PostgreSQL: ${why}. Start a server (trust auth, database "test" on 127.0.0.1:5432) ` +
      `or set TEST_DATABASE_URL to enable it.\n`,
  );
  return [pgliteBackend];
}
