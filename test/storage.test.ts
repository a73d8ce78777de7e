import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { migrate } from '../src/storage/index.ts';
import { storageBackends, type TestDatabase } from './support/backends.ts';

for (const backend of await storageBackends('storage')) {
  describe(`storage on ${backend.name}`, () => {
    let t: TestDatabase;
    before(async () => {
      t = await backend.open();
    });
    after(() => t.dispose());

    test('migrations are applied once and a second run is a no-op', async () => {
      assert.deepEqual(await migrate(t.database), []);
      const db = t.database.tables<{ proviso_migration: { name: string } }>();
      const rows = await db.selectFrom('proviso_migration').select('name').execute();
      assert.ok(rows.some((r) => r.name === '0001_foundation'));
    });

    test('int8 comes back as number and numeric as an exact string', async () => {
      const r = await sql<{
        n: number;
        m: string;
      }>`select 9007199254740991::int8 as n, 12.30::numeric(18,2) as m`.execute(t.database.tables());
      assert.deepEqual(r.rows[0], { n: 9007199254740991, m: '12.30' });
    });

    test('a failed transaction leaves nothing behind', async () => {
      const db = t.database.tables<{ bank: { id: string; name: string } }>();
      await assert.rejects(
        db.transaction().execute(async (trx) => {
          await trx.insertInto('bank').values({ id: 'tx-test', name: 'T' }).execute();
          await trx.insertInto('bank').values({ id: 'tx-test', name: 'duplicate' }).execute();
        }),
      );
      const rows = await db.selectFrom('bank').selectAll().where('id', '=', 'tx-test').execute();
      assert.equal(rows.length, 0);
    });

    test('concurrent transactions do not interleave', async () => {
      const db = t.database.tables<{ bank: { id: string; name: string } }>();
      await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          db.transaction().execute(async (trx) => {
            await trx
              .insertInto('bank')
              .values({ id: `c-${i}`, name: `n${i}` })
              .execute();
            await trx
              .updateTable('bank')
              .set({ name: `m${i}` })
              .where('id', '=', `c-${i}`)
              .execute();
          }),
        ),
      );
      const rows = await db.selectFrom('bank').select('name').where('id', 'like', 'c-%').execute();
      assert.equal(rows.length, 20);
      assert.ok(rows.every((r) => r.name.startsWith('m')));
    });

    test('NOTIFY reaches a listener', async () => {
      const got = new Promise<string>((resolve) => {
        void t.database
          .listen('proviso_test', resolve)
          .then(() => t.database.notify('proviso_test', 'hello'));
      });
      assert.equal(await got, 'hello');
    });
  });
}
