// The relay's shared rounds (batcher.ts, delivery-queue.ts): concurrent deliveries and
// receipts share statements, and one bad caller never costs the others theirs.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Batcher } from '../../src/relay/batcher.ts';
import { deliveryNotices, readDeliveryNotice } from '../../src/relay/delivery-queue.ts';
import type { RunningRelay } from '../../src/relay/index.ts';
import { storageBackends } from '../support/backends.ts';
import { linkDevice, registerDevice, relayDatabase, startTestRelay, type TestDevice } from './support.ts';

describe('Batcher', () => {
  it('gathers concurrent calls into shared rounds, each caller answered with its own result', async () => {
    const rounds: number[][] = [];
    const batcher = new Batcher<number, number>(async (items) => {
      rounds.push(items);
      await new Promise((r) => setTimeout(r, 5));
      return items.map((n) => n * 10);
    }, 100);
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => batcher.submit(i)));
    assert.deepEqual(
      answers,
      Array.from({ length: 20 }, (_, i) => i * 10),
    );
    // The first call runs alone at once; the 19 that arrived while it ran share the next round.
    assert.deepEqual(
      rounds.map((r) => r.length),
      [1, 19],
    );
  });

  it('rejects only the bad item when a shared round fails', async () => {
    const batcher = new Batcher<string, string>(async (items) => {
      await new Promise((r) => setTimeout(r, 1));
      if (items.includes('bad')) throw new Error('bad item in the round');
      return items.map((s) => s.toUpperCase());
    }, 100);
    const settled = await Promise.allSettled(['a', 'b', 'bad', 'c'].map((s) => batcher.submit(s)));
    assert.deepEqual(
      settled.map((s) => (s.status === 'fulfilled' ? s.value : 'rejected')),
      ['A', 'B', 'rejected', 'C'],
    );
  });

  it('keeps a round within its weight', async () => {
    const rounds: number[] = [];
    const batcher = new Batcher<number[], number>(
      async (items) => {
        rounds.push(items.reduce((n, rows) => n + rows.length, 0));
        return items.map((rows) => rows.length);
      },
      10,
      (rows) => rows.length,
    );
    await Promise.all([
      batcher.submit([1]),
      ...Array.from({ length: 6 }, () => batcher.submit([1, 2, 3, 4])),
    ]);
    assert.ok(
      rounds.every((rows) => rows <= 10),
      `rounds of ${rounds.join(', ')} rows`,
    );
  });
});

describe('delivery notices', () => {
  it('name the instance and the devices, within the NOTIFY payload limit, and read back', () => {
    const devices = Array.from({ length: 400 }, (_, i) => `d_${String(i).padStart(36, '0')}`);
    const payloads = deliveryNotices('inst-1', devices);
    assert.ok(payloads.length > 1);
    assert.ok(payloads.every((p) => Buffer.byteLength(p) < 8000));
    const read = payloads.map(readDeliveryNotice);
    assert.ok(read.every((r) => r.instance === 'inst-1'));
    assert.deepEqual(
      read.flatMap((r) => r.deviceIds),
      devices,
    );
    assert.deepEqual(readDeliveryNotice('d_old-format'), {
      instance: undefined,
      deviceIds: ['d_old-format'],
    });
  });
});

for (const backend of await storageBackends('relay batching')) {
  describe(`relay delivery queue, shared rounds (${backend.name})`, () => {
    let db: Awaited<ReturnType<typeof relayDatabase>>;
    let relay: RunningRelay;
    let a: TestDevice;
    let b: TestDevice;

    before(async () => {
      db = await relayDatabase(backend);
      relay = await startTestRelay(db.database);
      a = await registerDevice(relay);
      b = await registerDevice(relay);
      await linkDevice(relay, a.id, { sub: 'sub-a' });
      await linkDevice(relay, b.id, { sub: 'sub-b' });
    });
    after(async () => {
      await relay.close();
      await db.dispose();
    });

    it('stores concurrent callers in shared inserts; a repeated mid is stored once; a bad caller fails alone', async () => {
      const queue = relay.store.deliveries;
      const before = queue.stats().inserts;
      const message = (deviceId: string, mid: string) => ({
        deviceId,
        bankId: 'northwind',
        kind: 'envelope' as const,
        mid,
        envelope: `sealed-${mid}`,
      });
      const calls = [
        [message(a.id, 'x1'), message(b.id, 'x1')],
        [message(a.id, 'x2')],
        [message(a.id, 'x2')], // the same (device, bank, mid) as the call before it
        [message('d_no-such-device', 'x3')], // refused by the database (no such device)
        [message(b.id, 'x4')],
      ];
      const settled = await Promise.allSettled(calls.map((c) => relay.store.enqueue(c)));
      const after = queue.stats().inserts;
      // The first call runs at once, alone; the four that came while it ran share one round.
      assert.equal(after.rounds - before.rounds, 2, 'calls shared rounds');
      assert.equal(settled[0]!.status, 'fulfilled');
      assert.equal((settled[0] as PromiseFulfilledResult<string[]>).value.length, 2);
      const x2 = [settled[1], settled[2]].map((s) => (s as PromiseFulfilledResult<string[]>).value.length);
      assert.deepEqual(x2.sort(), [0, 1], 'a retried mid is stored once');
      assert.equal(settled[3]!.status, 'rejected', 'the bad call fails');
      assert.equal(settled[4]!.status, 'fulfilled', 'the good call beside it is stored');
      const rows = await relay.store.db
        .selectFrom('relay_message')
        .select(['device_id', 'mid'])
        .where('mid', 'in', ['x1', 'x2', 'x3', 'x4'])
        .execute();
      assert.equal(rows.length, 4);
    });

    it('reads several devices after their own positions in one statement, and acks only own messages', async () => {
      const [first] = await relay.store.enqueue([
        { deviceId: a.id, bankId: 'northwind', kind: 'text', text: 'one' },
      ]);
      await relay.store.enqueue([
        { deviceId: a.id, bankId: 'northwind', kind: 'text', text: 'two' },
        { deviceId: b.id, bankId: 'northwind', kind: 'text', text: 'three' },
      ]);
      const all = await relay.store.deliveries.unackedFor(
        [
          { deviceId: a.id, afterSeq: 0 },
          { deviceId: b.id, afterSeq: 0 },
        ],
        1000,
      );
      const seqOfFirst = all.find((m) => m.id === first)!.seq;
      const after = await relay.store.deliveries.unackedFor(
        [
          { deviceId: a.id, afterSeq: seqOfFirst },
          { deviceId: b.id, afterSeq: 0 },
        ],
        1000,
      );
      assert.ok(!after.some((m) => m.id === first));
      assert.ok(after.some((m) => m.deviceId === a.id && m.text === 'two'));
      assert.ok(after.some((m) => m.deviceId === b.id && m.text === 'three'));
      for (let i = 1; i < after.length; i++) assert.ok(after[i]!.seq > after[i - 1]!.seq, 'oldest first');

      const ofA = all.filter((m) => m.deviceId === a.id).map((m) => m.id);
      const ofB = all.filter((m) => m.deviceId === b.id).map((m) => m.id);
      const [byB, byA] = await Promise.all([
        relay.store.ack(b.id, [...ofA, ...ofB]), // b cannot ack a's messages
        relay.store.ack(a.id, ofA),
      ]);
      assert.deepEqual(byB.sort(), ofB.sort());
      assert.deepEqual(byA.sort(), ofA.sort());
      const left = await relay.store.deliveries.unackedFor(
        [
          { deviceId: a.id, afterSeq: 0 },
          { deviceId: b.id, afterSeq: 0 },
        ],
        1000,
      );
      assert.equal(left.length, 0);
    });
  });
}
