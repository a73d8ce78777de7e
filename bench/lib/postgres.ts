// A throwaway database on the local PostgreSQL server for a benchmark run (a new
// key-encryption key must not meet keys sealed under an old one), dropped afterwards.
import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** A throwaway database on the PostgreSQL server, or null (with the reason on stderr). */
export async function postgresDatabase(): Promise<{ url: string; drop(): Promise<void> } | null> {
  const admin =
    process.env['DATABASE_URL'] ??
    process.env['TEST_DATABASE_URL'] ??
    'postgres://postgres@127.0.0.1:5432/test';
  const name = `proviso_bench_${randomBytes(5).toString('hex')}`;
  const client = new pg.Client({ connectionString: admin, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query(`create database ${name}`);
  } catch (error) {
    process.stderr.write(`  PostgreSQL skipped: ${error instanceof Error ? error.message : error}\n`);
    return null;
  } finally {
    await client.end().catch(() => {});
  }
  const url = new URL(admin);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: admin });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    },
  };
}
