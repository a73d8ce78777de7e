// The outbox beside screening's back-to-back transactions (issue #10): on the embedded
// database, whose one session a transaction owns to its end, a delivery takes one turn for
// its claim and its database stages instead of waiting behind one transaction per statement;
// a push that hangs (a relay that does not answer) holds no turn, so it never holds up the
// transactions; and a delivery cut off between the commit and the push (a crash) is
// delivered by another instance once its lease runs out. Counts, never clocks.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type Kysely, sql } from 'kysely';
import { Outbox, type OutboxHandler, type OutboxMessage, OutboxWorker } from '../../src/outbox/index.ts';
import { storageBackends, type TestDatabase } from '../support/backends.ts';

async function until(cond: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 800; i++) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  assert.fail(`timed out waiting for ${what}`);
}

/**
 * Screening's shape: transactions back to back, each a turn of several statements, until
 * stopped; `committed` counts them.
 */
function busyTransactions(db: TestDatabase, onEach?: (trx: Kysely<unknown>, n: number) => Promise<void>) {
  const kysely = db.database.tables<unknown>();
  const state = { committed: 0, stopped: false, done: Promise.resolve() };
  state.done = (async () => {
    while (!state.stopped) {
      await db.database.turn(() =>
        kysely.transaction().execute(async (trx) => {
          for (let i = 0; i < 3; i++) await sql`select count(*) from generate_series(1, 2000)`.execute(trx);
          await onEach?.(trx, state.committed);
        }),
      );
      state.committed++;
    }
  })();
  return state;
}

for (const backend of await storageBackends('outbox beside back-to-back transactions')) {
  describe(`outbox turns on ${backend.name}`, () => {
    let db: TestDatabase;
    before(async () => {
      db = await backend.open();
    });
    after(async () => {
      await db.dispose();
    });

    test('a delivery of many statements waits for one transaction, not one per statement', {
      // On PostgreSQL the worker's statements never wait for another session's transaction,
      // so there is nothing to count; the property is the embedded database's.
      skip: backend.name === 'postgres' ? 'PostgreSQL sessions do not wait for each other' : false,
    }, async () => {
      const STATEMENTS = 6;
      let enqueuedAt = -1;
      let preparedAt = -1;
      const outbox = new Outbox(db.database);
      const worker = new OutboxWorker({
        database: db.database,
        sweepMs: 3_600_000, // only the commit's NOTIFY wakes it
        databaseTopics: new Set(['t.prepare']),
        handlers: new Map<string, OutboxHandler>([
          [
            't.prepare',
            async () => {
              // An alert's preparation: several statements one after the other.
              for (let i = 0; i < STATEMENTS; i++) await sql`select 1`.execute(db.database.tables());
              preparedAt = busy.committed;
              return { next: { topic: 't.push', payload: {} } };
            },
          ],
          ['t.push', async () => {}],
        ]),
      });
      await worker.start();
      const busy = busyTransactions(db, async (trx, n) => {
        if (n === 3) {
          await outbox.enqueue({ topic: 't.prepare', bankId: 'b', payload: {} }, trx);
          enqueuedAt = n + 1; // counted once this transaction commits
        }
      });
      try {
        await until(() => preparedAt >= 0, 'the message prepared');
        // Without turns each of its statements (and the claim) would wait for a transaction.
        assert.ok(
          preparedAt - enqueuedAt <= 2,
          `prepared ${preparedAt - enqueuedAt} transactions after its commit (at most 2 expected)`,
        );
      } finally {
        busy.stopped = true;
        await busy.done;
        await worker.stop();
      }
    });

    test('a push that does not answer holds no turn: the transactions go on, then it is delivered', async () => {
      let release!: () => void;
      const held = new Promise<void>((r) => {
        release = r;
      });
      let pushing = false;
      const delivered: unknown[] = [];
      const worker = new OutboxWorker({
        database: db.database,
        sweepMs: 20,
        databaseTopics: new Set(['t.prepare']),
        handlers: new Map<string, OutboxHandler>([
          ['t.prepare', async (m: OutboxMessage) => ({ next: { topic: 't.push', payload: m.payload } })],
          [
            't.push',
            async (m: OutboxMessage) => {
              pushing = true;
              await held; // the relay holds its answer
              delivered.push(m.payload);
            },
          ],
        ]),
      });
      await new Outbox(db.database).enqueue({ topic: 't.prepare', bankId: 'b', payload: { n: 1 } });
      await worker.start();
      try {
        await until(() => pushing, 'the push under way');
        // While the push hangs, transactions in turns still commit (it would wait forever if
        // the push held a turn).
        const busy = busyTransactions(db);
        await until(() => busy.committed >= 5, 'transactions committed while the push hangs');
        busy.stopped = true;
        await busy.done;
        assert.deepEqual(delivered, [], 'the push has not answered yet');
        release();
        await until(() => delivered.length === 1, 'the push delivered');
        await until(async () => {
          const { rows } = await sql<{ n: number }>`select count(*)::int as n from outbox_message`.execute(
            db.database.tables(),
          );
          return rows[0]!.n === 0;
        }, 'the delivered message deleted');
      } finally {
        release();
        await worker.stop();
      }
    });

    test('cut off between the commit and the push, the message is delivered by another instance', async () => {
      // Instance A claims and prepares, then never finishes its push (as if killed); its short
      // lease runs out and instance B delivers the message.
      let releaseA!: () => void;
      const aHangs = new Promise<void>((r) => {
        releaseA = r;
      });
      let aPushing = 0;
      const deliveredByB: unknown[] = [];
      const prepare = async (m: OutboxMessage) => ({ next: { topic: 't.push', payload: m.payload } });
      const a = new OutboxWorker({
        database: db.database,
        sweepMs: 3_600_000,
        leaseMs: 200,
        databaseTopics: new Set(['t.prepare']),
        handlers: new Map<string, OutboxHandler>([
          ['t.prepare', prepare],
          [
            't.push',
            async () => {
              aPushing++;
              await aHangs;
              throw new Error('instance A is gone');
            },
          ],
        ]),
      });
      const b = new OutboxWorker({
        database: db.database,
        sweepMs: 25,
        leaseMs: 30_000,
        databaseTopics: new Set(['t.prepare']),
        handlers: new Map<string, OutboxHandler>([
          ['t.prepare', prepare],
          ['t.push', async (m: OutboxMessage) => void deliveredByB.push(m.payload)],
        ]),
      });
      const kysely = db.database.tables<unknown>();
      await kysely.transaction().execute(async (trx) => {
        await new Outbox(db.database).enqueue(
          { topic: 't.prepare', bankId: 'b', payload: { n: 'crash' } },
          trx,
        );
      });
      const aRound = a.drain(); // it waits for its push: awaited once A is let go
      try {
        await until(() => aPushing === 1, 'instance A pushing');
        await b.start();
        await until(() => deliveredByB.length === 1, 'instance B delivering after the lease');
        assert.deepEqual(deliveredByB, [{ n: 'crash' }]);
      } finally {
        releaseA();
        await aRound;
        await b.stop();
        await a.stop();
      }
    });
  });
}
