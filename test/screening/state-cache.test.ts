// The scoring cache (StateCache, state-rows.ts): an instance remembers the entity states it
// wrote and is sent a state again only when its row's version moved on. Two instances taking
// turns on the same cards — each writing rows the other has cached — decide exactly as one
// instance alone, and the cards' histories hold every event once; a state changed by a label
// is read again.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
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
const strip = (o: unknown) => ({ ...(o as object), alertId: null });

for (const backend of await storageBackends('screening state cache')) {
  describe(`screening state cache on ${backend.name}`, () => {
    let db: TestDatabase;
    before(async () => {
      db = await backend.open();
    });
    after(async () => {
      await db.dispose();
    });

    test('two instances alternating on the same cards decide as one instance alone', async () => {
      const alone = new ScreeningService({ database: db.database, model });
      const first = new ScreeningService({ database: db.database, model });
      const second = new ScreeningService({ database: db.database, model });
      const reference = eventsFor('cache-alone', 240);
      const shared = eventsFor('cache-shared', 240);
      const expected: unknown[] = [];
      const got: unknown[] = [];
      for (let i = 0; i < reference.length; i += 20) {
        expected.push(...(await alone.screenBatch('cache-alone', reference.slice(i, i + 20))));
        // Batches alternate between the instances: each finds rows the other has written
        // since it cached them.
        const instance = (i / 20) % 2 === 0 ? first : second;
        got.push(...(await instance.screenBatch('cache-shared', shared.slice(i, i + 20))));
      }
      assert.deepEqual(got.map(strip), expected.map(strip));
      for (const card of new Set(reference.map((e) => e.cardId))) {
        assert.deepEqual(
          await first.cardHistory('cache-shared', card),
          await alone.cardHistory('cache-alone', card),
          card,
        );
      }
    });

    test('a state changed by a label is read again, not taken from the cache', async () => {
      const service = new ScreeningService({ database: db.database, model });
      const fresh = new ScreeningService({ database: db.database, model });
      const events = eventsFor('cache-label', 120);
      const [early, late] = [events.slice(0, 60), events.slice(60)];
      const onRef = (list: AuthorisationEvent[]) => list.map((e) => ({ ...e, bankId: 'cache-label-ref' }));
      await service.screenBatch('cache-label', early);
      await fresh.screenBatch('cache-label-ref', onRef(early));
      // The same labels on both banks; `service` has the labelled states cached.
      for (const [bankId, owner] of [
        ['cache-label', service],
        ['cache-label-ref', fresh],
      ] as const) {
        for (const event of early.slice(0, 10)) {
          const at = new Date(Date.parse(event.time) + 86_400_000);
          assert.ok(await owner.recordLabel(bankId, event.transactionId, true, at));
        }
      }
      // The reference reads every state from the database (a new instance, nothing cached).
      const reread = new ScreeningService({ database: db.database, model });
      const got = await service.screenBatch('cache-label', late);
      const expected = await reread.screenBatch('cache-label-ref', onRef(late));
      assert.deepEqual(got.map(strip), expected.map(strip));
      // The labelled cards written again by the late batch keep their labels: had the cached
      // (unlabelled) state been used, saving it would have dropped them.
      const labelled = [...new Set(early.slice(0, 10).map((e) => e.cardId))].filter((card) =>
        late.some((e) => e.cardId === card),
      );
      assert.ok(labelled.length > 0, 'a labelled card pays again in the late batch');
      const stateOf = async (bankId: string, card: string) =>
        (
          await sql<{ state: string }>`select state::text as state from screening_state
            where bank_id = ${bankId} and kind = 'card' and key = ${card}`.execute(db.database.tables())
        ).rows[0]?.state;
      for (const card of labelled)
        assert.deepEqual(await stateOf('cache-label', card), await stateOf('cache-label-ref', card), card);
    });
  });
}
