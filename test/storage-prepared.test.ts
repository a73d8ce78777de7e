// Hot statements as named ones on PostgreSQL (src/storage/prepared.ts): a text becomes a
// prepared statement after `hotAfter` calls, answers stay the same, at most `max` texts are
// ever named, and texts without parameters are never named.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { HotStatements, preparingPool } from '../src/storage/prepared.ts';
import { createPostgresDatabase, postgresSkip } from './support/backends.ts';

describe('which texts are named', () => {
  test('a text is named on its hotAfter-th call, with a name that depends only on the text', () => {
    const hot = new HotStatements({ hotAfter: 3, max: 10 });
    assert.equal(hot.nameFor('select $1'), undefined);
    assert.equal(hot.nameFor('select $1'), undefined);
    const name = hot.nameFor('select $1');
    assert.match(name ?? '', /^proviso_[A-Za-z0-9_-]{24}$/);
    assert.equal(hot.nameFor('select $1'), name);
    const other = new HotStatements({ hotAfter: 1, max: 10 });
    assert.equal(other.nameFor('select $1'), name);
    assert.notEqual(other.nameFor('select $2'), name);
  });

  test('no more than max texts are ever named', () => {
    const hot = new HotStatements({ hotAfter: 1, max: 2 });
    assert.ok(hot.nameFor('a $1'));
    assert.ok(hot.nameFor('b $1'));
    assert.equal(hot.nameFor('c $1'), undefined);
    assert.equal(hot.size, 2);
    assert.ok(hot.nameFor('a $1'), 'a named text keeps its name');
  });
});

const unavailable = await postgresSkip('named statements on PostgreSQL');

describe('named statements on PostgreSQL', { skip: unavailable ?? false }, () => {
  let database: Awaited<ReturnType<typeof createPostgresDatabase>>;
  let pool: pg.Pool;
  let db: Kysely<unknown>;
  before(async () => {
    database = await createPostgresDatabase();
    pool = new pg.Pool({ connectionString: database.url, max: 1 });
    db = new Kysely<unknown>({
      dialect: new PostgresDialect({ pool: preparingPool(pool, new HotStatements({ hotAfter: 2, max: 5 })) }),
    });
  });
  after(async () => {
    await db?.destroy();
    await database?.drop();
  });

  const prepared = async () =>
    (
      await sql<{
        n: number;
      }>`select count(*)::int as n from pg_prepared_statements where name like 'proviso_%'`.execute(db)
    ).rows[0]!.n;

  test('a hot text with parameters is prepared once on the connection; answers unchanged', async () => {
    for (let i = 0; i < 5; i++) {
      const r = await sql<{ v: number }>`select ${i}::int + 1 as v`.execute(db);
      assert.equal(r.rows[0]!.v, i + 1);
    }
    assert.equal(await prepared(), 1);
  });

  test('a text without parameters is never named', async () => {
    const before = await prepared();
    for (let i = 0; i < 5; i++) await sql`select 1 as one`.execute(db);
    assert.equal(await prepared(), before);
  });

  test('named statements inside a transaction that fails and one that commits', async () => {
    await sql`create table if not exists prepared_t (id int primary key)`.execute(db);
    for (let i = 0; i < 3; i++) await sql`insert into prepared_t values (${i})`.execute(db);
    await assert.rejects(
      db.transaction().execute(async (trx) => {
        await sql`insert into prepared_t values (${10})`.execute(trx);
        await sql`insert into prepared_t values (${0})`.execute(trx);
      }),
    );
    await db.transaction().execute(async (trx) => {
      await sql`insert into prepared_t values (${11})`.execute(trx);
    });
    const r = await sql<{ n: number }>`select count(*)::int as n from prepared_t`.execute(db);
    assert.equal(r.rows[0]!.n, 4);
  });
});
