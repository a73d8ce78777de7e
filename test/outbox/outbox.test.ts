// The outbox on every backend: a message commits (and wakes the worker) with the caller's
// transaction or not at all; a failing delivery is retried with backoff and delivered once
// the far side recovers; out of attempts it is dead and visible; two workers on one table
// never deliver the same message at once.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  Outbox,
  type OutboxMessage,
  OutboxWorker,
  PermanentFailure,
  retryDelayMs,
} from '../../src/outbox/index.ts';
import { openDatabase } from '../../src/storage/index.ts';
import { storageBackends, type TestDatabase } from '../support/backends.ts';

async function until(cond: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  assert.fail(`timed out waiting for ${what}`);
}

const FAST = { baseMs: 5, maxMs: 20 };

test('backoff is exponential with full jitter, capped', () => {
  const policy = { baseMs: 100, maxMs: 1_000 };
  assert.equal(
    retryDelayMs(1, policy, () => 1),
    100,
  );
  assert.equal(
    retryDelayMs(3, policy, () => 1),
    400,
  );
  assert.equal(
    retryDelayMs(10, policy, () => 1),
    1_000,
  );
  assert.equal(
    retryDelayMs(3, policy, () => 0),
    0,
  );
  assert.equal(
    retryDelayMs(3, policy, () => 0.5),
    200,
  );
});

for (const backend of await storageBackends('outbox')) {
  describe(`outbox on ${backend.name}`, () => {
    let db: TestDatabase;
    before(async () => {
      db = await backend.open();
    });
    after(async () => {
      await db.dispose();
    });

    test('a message enqueued in a transaction wakes the worker when it commits, not when it rolls back', async () => {
      const outbox = new Outbox(db.database);
      const seen: unknown[] = [];
      // A long sweep: only the NOTIFY of the commit can wake this worker in time.
      const worker = new OutboxWorker({
        database: db.database,
        sweepMs: 3_600_000,
        handlers: new Map([['t.commit', async (m: OutboxMessage) => void seen.push(m.payload)]]),
      });
      await worker.start();
      try {
        const kysely = db.database.tables<unknown>();
        await kysely
          .transaction()
          .execute(async (trx) => {
            await outbox.enqueue({ topic: 't.commit', bankId: 'b', payload: { n: 'rolled back' } }, trx);
            throw new Error('roll back');
          })
          .catch(() => {});
        await kysely.transaction().execute(async (trx) => {
          await outbox.enqueue({ topic: 't.commit', bankId: 'b', payload: { n: 'committed' } }, trx);
        });
        await until(() => seen.length > 0, 'the committed message');
        assert.deepEqual(seen, [{ n: 'committed' }]);
      } finally {
        await worker.stop();
      }
    });

    test('a failing delivery is retried with backoff until the far side recovers', async () => {
      const outbox = new Outbox(db.database);
      let down = true;
      let attempts = 0;
      const delivered: unknown[] = [];
      const worker = new OutboxWorker({
        database: db.database,
        backoff: FAST,
        sweepMs: 10,
        handlers: new Map([
          [
            't.retry',
            async (m: OutboxMessage) => {
              attempts++;
              if (down) throw new Error('HTTP 500');
              delivered.push(m.payload);
            },
          ],
        ]),
      });
      await outbox.enqueue({ topic: 't.retry', bankId: 'b', payload: 'push' });
      await worker.start();
      try {
        await until(() => attempts >= 3, 'three failed attempts');
        assert.deepEqual(delivered, []);
        down = false;
        await until(() => delivered.length === 1, 'the delivery after recovery');
        assert.deepEqual(delivered, ['push']);
      } finally {
        await worker.stop();
      }
      const left = await db.database
        .tables<{ outbox_message: { topic: string } }>()
        .selectFrom('outbox_message')
        .select('topic')
        .where('topic', '=', 't.retry')
        .execute();
      assert.equal(left.length, 0, 'a delivered message leaves the table');
    });

    test('out of attempts (or a permanent failure) a message is dead, visible, and not retried', async () => {
      const outbox = new Outbox(db.database);
      let attempts = 0;
      const worker = new OutboxWorker({
        database: db.database,
        backoff: FAST,
        maxAttempts: 3,
        handlers: new Map([
          [
            't.dead',
            async (m: OutboxMessage) => {
              attempts++;
              if (m.payload === 'bad request') throw new PermanentFailure('HTTP 400');
              throw new Error('HTTP 503');
            },
          ],
        ]),
      });
      await outbox.enqueue([
        { topic: 't.dead', bankId: 'dead-bank', payload: 'unavailable' },
        { topic: 't.dead', bankId: 'dead-bank', payload: 'bad request' },
      ]);
      await until(async () => {
        await worker.drain();
        return (await outbox.dead('dead-bank')).length === 2;
      }, 'both messages dead');
      assert.equal(attempts, 4, 'three attempts for the unavailable one, one for the bad request');
      const dead = await outbox.dead('dead-bank');
      assert.deepEqual(dead.map((m) => m.lastError).sort(), ['HTTP 400', 'HTTP 503']);
      await new Promise((r) => setTimeout(r, 50));
      await worker.drain();
      assert.equal(attempts, 4, 'a dead message is never tried again');
    });

    test('two workers on one table never deliver the same message at once', async () => {
      const second = db.url ? await openDatabase({ url: db.url }) : db.database;
      const outbox = new Outbox(db.database);
      const inFlight = new Set<string>();
      const deliveries = new Map<string, number>();
      let overlaps = 0;
      const handler = async (m: OutboxMessage) => {
        if (inFlight.has(m.id)) overlaps++;
        inFlight.add(m.id);
        await new Promise((r) => setTimeout(r, 2));
        inFlight.delete(m.id);
        deliveries.set(m.id, (deliveries.get(m.id) ?? 0) + 1);
      };
      const workers = [db.database, second].map(
        (database) => new OutboxWorker({ database, batchSize: 8, handlers: new Map([['t.pair', handler]]) }),
      );
      const total = 200;
      await outbox.enqueue(
        Array.from({ length: total }, (_, n) => ({ topic: 't.pair', bankId: 'b', payload: n })),
      );
      try {
        await Promise.all(workers.map((w) => w.start()));
        await until(() => deliveries.size === total, 'every message delivered');
        assert.equal(overlaps, 0);
        assert.ok(
          [...deliveries.values()].every((n) => n === 1),
          'each message delivered once',
        );
      } finally {
        await Promise.all(workers.map((w) => w.stop()));
        if (second !== db.database) await second.close();
      }
    });
  });
}
