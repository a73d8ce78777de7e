// Seeding rate of the simulator into the embedded database (and PostgreSQL when
// BENCH_DATABASE_URL or a local server is available).

import pg from 'pg';
import { BankDirectory, regionFor, seedBank } from '../src/bank/index.ts';
import { type Database, migrate, openDatabase } from '../src/storage/index.ts';
import type { Measurement } from './lib/results.ts';

const CUSTOMERS = Number(process.env['BENCH_SEED_CUSTOMERS'] ?? 3000);

async function measure(database: Database, label: string): Promise<Measurement[]> {
  await migrate(database);
  await new BankDirectory(database).ensure({ id: 'northwind', name: 'Northwind Bank' });
  process.stderr.write(`  seed: ${CUSTOMERS} customers into ${label}…\n`);
  const started = performance.now();
  const r = await seedBank(database, {
    bankId: 'northwind',
    region: regionFor('northwind'),
    customers: CUSTOMERS,
    days: 90,
    seed: 1,
    end: new Date('2026-11-01T00:00:00Z'),
  });
  const seconds = (performance.now() - started) / 1000;
  return [
    {
      benchmark: 'seed',
      metric: `customers seeded (${label})`,
      value: r.customers / seconds,
      unit: 'customers/s',
    },
    {
      benchmark: 'seed',
      metric: `transactions written (${label})`,
      value: r.transactions / seconds,
      unit: 'rows/s',
    },
    {
      benchmark: 'seed',
      metric: `100,000 customers, projected (${label})`,
      value: 100_000 / (r.customers / seconds) / 60,
      unit: 'min',
    },
  ];
}

export async function run(): Promise<Measurement[]> {
  const lite = await openDatabase();
  const out = await measure(lite, 'pglite');
  await lite.close();
  const admin = process.env['BENCH_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
  const client = new pg.Client({ connectionString: admin, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
  } catch {
    process.stderr.write('  seed: PostgreSQL not reachable; measuring PGlite only\n');
    return out;
  }
  const name = `proviso_bench_${process.pid}`;
  await client.query(`create database ${name}`);
  const url = new URL(admin);
  url.pathname = `/${name}`;
  const database = await openDatabase({ url: url.toString() });
  try {
    out.push(...(await measure(database, 'postgres')));
  } finally {
    await database.close();
    await client.query(`drop database ${name} with (force)`);
    await client.end();
  }
  return out;
}
