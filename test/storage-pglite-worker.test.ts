// PGlite in a worker thread (src/storage/pglite-driver.ts, pglite-worker.ts): the gateway's
// event loop keeps running while a statement does, transactions still never interleave with
// other callers, errors keep their PostgreSQL fields, and an idle database does not keep the
// process alive while one with a statement in flight does.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import { type Database, migrate, openDatabase } from '../src/storage/index.ts';

interface Tables {
  bank: { id: string; name: string };
}

describe('PGlite in a worker thread', () => {
  let database: Database;
  before(async () => {
    database = await openDatabase();
    await migrate(database);
  });
  after(() => database.close());

  test('the event loop keeps turning while a long statement runs', async () => {
    let turns = 0;
    let done = false;
    const query = sql<{ n: number }>`select count(*)::int8 as n from generate_series(1, 3000000)`
      .execute(database.tables())
      .finally(() => {
        done = true;
      });
    while (!done) {
      await new Promise((resolve) => setImmediate(resolve));
      turns++;
    }
    assert.equal((await query).rows[0]?.n, 3_000_000);
    // In-process PGlite ran the statement on this thread: not one turn until it finished.
    assert.ok(turns > 10, `only ${turns} event-loop turns during the statement`);
  });

  test('a statement issued during a transaction waits for its end (rollback: it never sees the row)', async () => {
    const db = database.tables<Tables>();
    let outside: Promise<unknown[]> | undefined;
    await assert.rejects(
      db.transaction().execute(async (trx) => {
        await trx.insertInto('bank').values({ id: 'w-uncommitted', name: 'T' }).execute();
        outside = db.selectFrom('bank').selectAll().where('id', '=', 'w-uncommitted').execute();
        // Give the outside statement every chance to run inside this transaction if it could.
        await new Promise((resolve) => setTimeout(resolve, 50));
        await trx.selectFrom('bank').selectAll().execute();
        throw new Error('roll back');
      }),
      /roll back/,
    );
    assert.deepEqual(await outside, []);
  });

  test('a NOTIFY awaited inside a transaction callback is not held up by the transaction', async () => {
    const db = database.tables<Tables>();
    const heard = new Promise<string>((resolve) => {
      void database.listen('w_channel', resolve);
    });
    await db.transaction().execute(async (trx) => {
      await trx.insertInto('bank').values({ id: 'w-notify', name: 'N' }).execute();
      await database.notify('w_channel', 'from inside');
    });
    assert.equal(await heard, 'from inside');
  });

  test('errors keep their PostgreSQL code and detail', async () => {
    const db = database.tables<Tables>();
    await db.insertInto('bank').values({ id: 'w-dup', name: 'A' }).execute();
    const error = await db
      .insertInto('bank')
      .values({ id: 'w-dup', name: 'B' })
      .execute()
      .then(
        () => assert.fail('a duplicate key was accepted'),
        (e: unknown) => e as Error & { code?: string; detail?: string },
      );
    assert.equal(error.code, '23505');
    assert.match(error.message, /duplicate key/);
    assert.match(error.detail ?? '', /w-dup/);
  });

  test('an int8 past 2^53 is refused by the parser in the worker, as a RangeError', async () => {
    await assert.rejects(
      sql`select 9007199254740993::int8 as n`.execute(database.tables()),
      (e: unknown) => e instanceof RangeError && /exceeds 2\^53/.test(e.message),
    );
  });

  test('a parameterless script with several statements runs as one', async () => {
    const r = await sql<{ n: number }>`
      create temporary table w_script (x int);
      insert into w_script values (1), (2);
      select count(*)::int8 as n from w_script`.execute(database.tables());
    assert.deepEqual(r.rows, [{ n: 2 }]);
  });

  test('bytea and timestamps come back as Uint8Array and Date', async () => {
    const r = await sql<{
      b: Uint8Array;
      t: Date;
    }>`select ${Buffer.from([1, 2, 255])}::bytea as b, ${new Date(0)}::timestamptz as t`.execute(
      database.tables(),
    );
    assert.ok(r.rows[0]?.b instanceof Uint8Array);
    assert.deepEqual([...(r.rows[0]?.b ?? [])], [1, 2, 255]);
    assert.ok(r.rows[0]?.t instanceof Date);
    assert.equal(r.rows[0]?.t.getTime(), 0);
  });
});

describe('the worker and the process lifetime', () => {
  const script = (close: boolean) => `
    import { sql } from ${JSON.stringify(fileURLToPath(new URL('../node_modules/kysely/dist/esm/index.js', import.meta.url)))};
    import { openDatabase } from ${JSON.stringify(fileURLToPath(new URL('../src/storage/index.ts', import.meta.url)))};
    const database = await openDatabase();
    const r = await sql\`select 41 + 1 as n\`.execute(database.tables());
    process.stdout.write(String(r.rows[0].n));
    ${close ? 'await database.close();' : ''}
  `;
  for (const close of [false, true]) {
    test(`a process ${close ? 'that closes' : 'that forgets to close'} the database gets its answer and exits`, async () => {
      const file = join(mkdtempSync(join(tmpdir(), 'proviso-worker-')), 'main.mjs');
      writeFileSync(file, script(close));
      const child = spawn(process.execPath, [file], {
        cwd: fileURLToPath(new URL('..', import.meta.url)),
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let out = '';
      child.stdout.on('data', (chunk) => {
        out += chunk;
      });
      const timer = setTimeout(() => child.kill(), 120_000);
      const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
      clearTimeout(timer);
      assert.equal(out, '42');
      assert.equal(code, 0);
    });
  }
});
