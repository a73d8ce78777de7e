// The embedded database's autovacuum (src/storage/embedded-vacuum.ts): PGlite runs no
// autovacuum, so a table rewritten over and over keeps its dead row versions until this
// vacuums it — and only tables past the threshold are touched; closing the database stops it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sql } from 'kysely';
import { openDatabase } from '../src/storage/index.ts';

interface Counters {
  relname: string;
  n_dead_tup: string | number;
  vacuum_count: string | number;
}

async function counters(database: Awaited<ReturnType<typeof openDatabase>>): Promise<Map<string, Counters>> {
  // The counters reach the shared statistics when asked for (see embedded-vacuum.ts).
  await sql`select pg_stat_force_next_flush()`.execute(database.tables());
  const { rows } = await sql<Counters>`
    select relname, n_dead_tup, vacuum_count from pg_stat_user_tables`.execute(database.tables());
  return new Map(rows.map((row) => [row.relname, row]));
}

async function churn(database: Awaited<ReturnType<typeof openDatabase>>, rounds: number): Promise<void> {
  for (let i = 0; i < rounds; i++) await sql`update churned set v = v + 1`.execute(database.tables());
}

test('PGlite: a table full of dead rows is vacuumed, a quiet one is left alone', async () => {
  const database = await openDatabase({ vacuumEveryMs: 50 });
  try {
    const db = database.tables();
    await sql`create table churned (id int primary key, v int not null)`.execute(db);
    await sql`create table quiet (id int primary key)`.execute(db);
    await sql`insert into churned select g, 0 from generate_series(1, 500) g`.execute(db);
    await sql`insert into quiet select g from generate_series(1, 10) g`.execute(db);
    await churn(database, 10);
    let seen: Map<string, Counters> | undefined;
    for (let waited = 0; waited < 10_000; waited += 50) {
      seen = await counters(database);
      if (Number(seen.get('churned')?.vacuum_count ?? 0) > 0) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.ok(Number(seen?.get('churned')?.vacuum_count) > 0, 'the churned table was vacuumed');
    assert.equal(Number(seen?.get('quiet')?.vacuum_count), 0, 'the quiet table was not');
  } finally {
    await database.close();
  }
});

test('PGlite without the option: nothing is vacuumed', async () => {
  const database = await openDatabase();
  try {
    await sql`create table churned (id int primary key, v int not null)`.execute(database.tables());
    await sql`insert into churned select g, 0 from generate_series(1, 500) g`.execute(database.tables());
    await churn(database, 10);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const seen = await counters(database);
    assert.equal(Number(seen.get('churned')?.vacuum_count), 0);
    assert.ok(Number(seen.get('churned')?.n_dead_tup) > 1_000, 'dead rows stay');
  } finally {
    await database.close();
  }
});
