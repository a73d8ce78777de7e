// One batch = one transaction: the same decisions as screening the events one by one, a
// repeated transaction id within the batch is a duplicate of its first occurrence, calls
// to screen() made together are gathered without mixing up their answers, and batches that
// arrive while a transaction runs are grouped into the next one with the decisions they
// would have had one after the other.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  type AuthorisationEvent,
  ScreeningModel,
  ScreeningService,
  train,
} from '../../src/screening/index.ts';
import { storageBackends, type TestDatabase } from '../support/backends.ts';
import { syntheticRows } from './synthetic.ts';

const history = syntheticRows({ days: 30 });
const model = new ScreeningModel(await train(history, { warmupDays: 5, params: { trees: 20 } }));
const eventsFor = (bankId: string, count: number): AuthorisationEvent[] =>
  history.slice(0, count).map((row) => ({ ...row.event, bankId }));

for (const backend of await storageBackends('screening batches')) {
  describe(`screening batches on ${backend.name}`, () => {
    let db: TestDatabase;
    before(async () => {
      db = await backend.open();
    });
    after(async () => {
      await db.dispose();
    });

    test('a batch decides exactly as one event at a time, late events included', async () => {
      const service = new ScreeningService({ database: db.database, model });
      const events = eventsFor('one-a', 300);
      // Arrival order with late events: early events of busy cards come last.
      const later = new Set(
        events.slice(0, 60).filter((e, i) => events.slice(i + 1).some((x) => x.cardId === e.cardId)),
      );
      const order = [...events.filter((e) => !later.has(e)), ...later];
      const single = new Map<string, unknown>();
      for (const event of order) {
        const outcome = await service.screen('one-a', event);
        single.set(event.transactionId, outcome);
      }
      const batched = new Map<string, unknown>();
      for (let i = 0; i < order.length; i += 64) {
        const part = order.slice(i, i + 64).map((e) => ({ ...e, bankId: 'one-b' }));
        const outcomes = await service.screenBatch('one-b', part);
        for (const [k, e] of part.entries()) batched.set(e.transactionId, outcomes[k]);
      }
      const strip = (o: unknown) => ({ ...(o as object), alertId: null });
      for (const [id, outcome] of single) assert.deepEqual(strip(batched.get(id)), strip(outcome), id);
      assert.ok(
        [...single.values()].some((o) => (o as { late: boolean }).late),
        'some events were late',
      );
      const card = events[0]!.cardId;
      assert.deepEqual(await service.cardHistory('one-b', card), await service.cardHistory('one-a', card));
    });

    test('a transaction id twice in one batch: screened once, the repeat gets the first decision', async () => {
      const service = new ScreeningService({ database: db.database, model });
      await service.setThreshold('twice', 0);
      const [a, b] = eventsFor('twice', 2);
      const out = await service.screenBatch('twice', [a, b, { ...a!, amount: '9999.00' }, a]);
      assert.deepEqual(
        out.map((o) => o.status),
        ['screened', 'screened', 'duplicate', 'duplicate'],
      );
      const first = out[0]!;
      for (const repeat of [out[2]!, out[3]!]) assert.deepEqual({ ...repeat, status: 'screened' }, first);
      assert.equal((await service.counts('twice')).events, 2);
      assert.equal((await service.alerts('twice')).length, 2);
      // Redelivered as a whole: every one a duplicate with the first decisions.
      const again = await service.screenBatch('twice', [b, a]);
      assert.deepEqual(again, [
        { ...out[1]!, status: 'duplicate' },
        { ...first, status: 'duplicate' },
      ]);
    });

    test('screen() calls made together are gathered and each gets its own answer', async () => {
      const service = new ScreeningService({ database: db.database, model });
      const events = eventsFor('gather', 40);
      const outcomes = await Promise.all(events.map((event) => service.screen('gather', event)));
      assert.deepEqual(
        outcomes.map((o) => o.transactionId),
        events.map((e) => e.transactionId),
      );
      assert.ok(outcomes.every((o) => o.status === 'screened'));
      const bad = await Promise.all([
        service.screen('gather', { nope: 1 }),
        service.screen('gather', events[0]),
      ]);
      assert.equal(bad[0]!.status, 'rejected');
      assert.equal(bad[1]!.status, 'duplicate');
      assert.equal((await service.counts('gather')).events, 40);
    });

    test('batches arriving together are grouped and decide as one after the other', async () => {
      const service = new ScreeningService({ database: db.database, model });
      await service.setThreshold('group-a', 0);
      await service.setThreshold('group-b', 0);
      const events = eventsFor('group-a', 250);
      // Five batches; the fourth repeats two ids of the first, the fifth one of its own.
      const batches = [
        events.slice(0, 60),
        events.slice(60, 120),
        events.slice(120, 180),
        [...events.slice(180, 220), events[3]!, events[10]!],
        [...events.slice(220, 250), events[225]!],
      ];
      const sequential: unknown[][] = [];
      for (const batch of batches) sequential.push(await service.screenBatch('group-a', batch));
      const moved = batches.map((batch) => batch.map((e) => ({ ...e, bankId: 'group-b' })));
      const together = await Promise.all(moved.map((batch) => service.screenBatch('group-b', batch)));
      const strip = (o: unknown) => ({
        ...(o as object),
        alertId: (o as { alertId: unknown }).alertId !== null,
      });
      assert.deepEqual(
        together.map((list) => list.map(strip)),
        sequential.map((list) => list.map(strip)),
      );
      assert.deepEqual(
        together[3]!.slice(-2).map((o) => o.status),
        ['duplicate', 'duplicate'],
      );
      assert.equal(together[4]!.at(-1)!.status, 'duplicate');
      assert.equal((await service.counts('group-b')).events, 250);
      assert.equal((await service.alerts('group-b')).length, (await service.alerts('group-a')).length);
      assert.equal(
        (await service.alerts('group-b')).length,
        250,
        'one alert per screened event, none for a repeat',
      );
      const card = events[0]!.cardId;
      assert.deepEqual(
        await service.cardHistory('group-b', card),
        await service.cardHistory('group-a', card),
      );
    });
  });
}
