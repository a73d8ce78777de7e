// Entity states as a stored state plus steps (entity-steps.ts, state-rows.ts): a screening group
// appends each entity's steps to its row instead of writing the whole state again. These tests
// hold the replay to the engine itself: the state rebuilt from a stored state and its steps is
// the engine's state exactly — across pruning at the 30-day window, late events, labels and the
// rows stored in full again once they keep MAX_STEPS steps.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { cardStep, replayCard, replayCustomer, replayTerminal } from '../../src/screening/entity-steps.ts';
import {
  type AuthorisationEvent,
  DAY_MS,
  FeatureEngine,
  InMemoryStateStore,
  ScreeningModel,
  ScreeningService,
  train,
} from '../../src/screening/index.ts';
import { MAX_STEPS, MAX_STEPS_BYTES, readState } from '../../src/screening/state-rows.ts';
import { storageBackends, type TestDatabase } from '../support/backends.ts';
import { syntheticRows } from './synthetic.ts';

const LABEL_DELAY_DAYS = 7;
const history = syntheticRows({ days: 45 });

/** The events in time order, with every 17th swapped with the one before it (late events). */
function eventsOf(bankId: string): AuthorisationEvent[] {
  const events = history.map((row) => ({ ...row.event, bankId }));
  for (let i = 17; i < events.length; i += 17) [events[i - 1], events[i]] = [events[i]!, events[i - 1]!];
  return events;
}

test('replaying the steps onto a stored state gives the engine’s state exactly', () => {
  const events = eventsOf('steps');
  const store = new InMemoryStateStore();
  const steps = {
    card: new Map<string, unknown[]>(),
    customer: new Map<string, unknown[]>(),
    terminal: new Map<string, unknown[]>(),
  };
  let recording = false;
  const engine = new FeatureEngine({
    labelDelayDays: LABEL_DELAY_DAYS,
    store,
    onAdded: (o) => {
      if (!recording) return;
      const add = (map: Map<string, unknown[]>, key: string, value: unknown) =>
        map.set(key, [...(map.get(key) ?? []), value]);
      add(steps.card, o.card, cardStep(o));
      add(steps.customer, o.customer, [o.t, o.card]);
      add(steps.terminal, o.terminal, o.t);
    },
  });
  const half = Math.floor(events.length / 2);
  // The first half, with labels on some of it (labels live on cards and terminals).
  events.slice(0, half).forEach((event, i) => {
    engine.process(event);
    if (i % 5 === 0) engine.recordLabel('steps', event.transactionId, i % 10 === 0, Date.parse(event.time));
  });
  // A copy: a snapshot shares its states with the store, which goes on changing them.
  const stored = structuredClone(store.snapshot());
  recording = true;
  for (const event of events.slice(half)) engine.process(event);
  const final = store.snapshot();

  const rebuilt = InMemoryStateStore.restore(stored).snapshot();
  let replayed = 0;
  for (const [key, taken] of steps.card) {
    const card = rebuilt.cards[key] ?? new InMemoryStateStore().card(key);
    replayCard(card, taken as never);
    assert.deepEqual(card, final.cards[key], key);
    replayed += taken.length;
  }
  for (const [key, taken] of steps.customer) {
    const customer = rebuilt.customers[key] ?? new InMemoryStateStore().customer(key);
    replayCustomer(customer, taken as never);
    assert.deepEqual(customer, final.customers[key], key);
  }
  for (const [key, taken] of steps.terminal) {
    const terminal = rebuilt.terminals[key] ?? new InMemoryStateStore().terminal(key);
    replayTerminal(terminal, taken as never, LABEL_DELAY_DAYS * DAY_MS);
    assert.deepEqual(terminal, final.terminals[key], key);
  }
  assert.equal(replayed, events.length - half, 'every event of the second half replayed on its card');
  // The 45 days prune: some card forgot payments of the first half, and replay did the same.
  const first = store.card(`steps\u001f${events[0]!.cardId}`);
  assert.ok(first.t.every((t) => t >= Date.parse(events.at(-1)!.time) - 31 * DAY_MS));
});

const model = new ScreeningModel(
  await train(syntheticRows({ days: 30 }), { warmupDays: 5, params: { trees: 20 } }),
);

for (const backend of await storageBackends('screening state steps')) {
  describe(`screening state steps on ${backend.name}`, () => {
    let db: TestDatabase;
    before(async () => {
      db = await backend.open();
    });
    after(async () => {
      await db.dispose();
    });

    test('rows keep at most MAX_STEPS steps, and each reads back as the engine’s state', async () => {
      const bankId = 'steps-rows';
      const events = eventsOf(bankId).slice(0, 1_500);
      const service = new ScreeningService({
        database: db.database,
        model,
        labelDelayDays: LABEL_DELAY_DAYS,
      });
      for (let i = 0; i < events.length; i += 50) await service.screenBatch(bankId, events.slice(i, i + 50));

      const engine = new FeatureEngine({ labelDelayDays: LABEL_DELAY_DAYS });
      for (const event of events) engine.process(event);
      const expected = (engine.store as InMemoryStateStore).snapshot();

      const { rows } = await sql<{
        kind: 'card' | 'customer' | 'terminal';
        key: string;
        state: unknown;
        steps: unknown;
      }>`
        select kind, key, state, steps from screening_state where bank_id = ${bankId}`.execute(
        db.database.tables(),
      );
      const stepsOf = (row: { steps: unknown }) =>
        (typeof row.steps === 'string' ? JSON.parse(row.steps) : row.steps) as unknown[];
      assert.ok(rows.length > 0);
      let inFull = 0;
      let withSteps = 0;
      for (const row of rows) {
        const kept = stepsOf(row).length;
        assert.ok(kept <= MAX_STEPS, `${row.kind} ${row.key} keeps ${kept} steps`);
        if (kept > 0) withSteps++;
        const stateText = typeof row.state === 'string' ? row.state : JSON.stringify(row.state);
        if (stateText !== '{}') inFull++;
        const key = `${bankId}\u001f${row.key}`;
        const engineState =
          row.kind === 'card'
            ? expected.cards[key]
            : row.kind === 'customer'
              ? expected.customers[key]
              : expected.terminals[key];
        assert.deepEqual(
          readState(row.kind, row.state, row.steps, LABEL_DELAY_DAYS * DAY_MS),
          engineState,
          key,
        );
      }
      assert.ok(inFull > 0, 'some rows were stored in full again');
      assert.ok(withSteps > 0, 'some rows hold steps');

      // A second instance (nothing cached) goes on from the rows exactly as the first would.
      const more = eventsOf(bankId).slice(1_500, 1_700);
      const second = new ScreeningService({ database: db.database, model, labelDelayDays: LABEL_DELAY_DAYS });
      const reference = new ScreeningService({
        database: db.database,
        model,
        labelDelayDays: LABEL_DELAY_DAYS,
      });
      const copy = (list: AuthorisationEvent[]) => list.map((e) => ({ ...e, bankId: 'steps-reference' }));
      for (let i = 0; i < events.length; i += 50)
        await reference.screenBatch('steps-reference', copy(events.slice(i, i + 50)));
      const strip = (o: unknown) => ({ ...(o as object), alertId: null });
      assert.deepEqual(
        (await second.screenBatch(bankId, more)).map(strip),
        (await reference.screenBatch('steps-reference', copy(more))).map(strip),
      );
    });

    test('steps stay under MAX_STEPS_BYTES whatever the ids’ lengths', async () => {
      const bankId = 'steps-long';
      const base = eventsOf(bankId).slice(0, 60);
      // The longest ids there are (128 characters): every step of the card is long.
      const card = 'c'.repeat(128);
      const events = base.map((e, i) => ({
        ...e,
        cardId: card,
        customerId: 'u'.repeat(127) + 'x',
        transactionId: `${String(i).padStart(4, '0')}${'t'.repeat(124)}`,
      }));
      const service = new ScreeningService({
        database: db.database,
        model,
        labelDelayDays: LABEL_DELAY_DAYS,
      });
      const engine = new FeatureEngine({ labelDelayDays: LABEL_DELAY_DAYS });
      for (let i = 0; i < events.length; i += 4) {
        await service.screenBatch(bankId, events.slice(i, i + 4));
        for (const event of events.slice(i, i + 4)) engine.process(event);
        const { rows } = await sql<{ state: unknown; steps: unknown; bytes: number }>`
          select state, steps, pg_column_size(steps) as bytes from screening_state
           where bank_id = ${bankId} and kind = 'card' and key = ${card}`.execute(db.database.tables());
        const row = rows[0]!;
        // One group's steps at most beyond the bound, and far inside a page (8 kB).
        assert.ok(Number(row.bytes) <= MAX_STEPS_BYTES + 1_500, `steps of ${row.bytes} bytes`);
        assert.ok(Number(row.bytes) <= 4_096, `steps of ${row.bytes} bytes`);
        assert.deepEqual(
          readState('card', row.state, row.steps, LABEL_DELAY_DAYS * DAY_MS),
          (engine.store as InMemoryStateStore).card(`${bankId}\u001f${card}`),
        );
      }
    });
  });
}
