// The stored form of an entity state (state-codec.ts): time histories kept as differences
// from the entry before. Encoding then decoding gives back exactly the state (also histories
// out of order and values that are not integers, which stay as they are); the rows a group
// writes hold the differences and are smaller than the plain JSON; and a row in the plain
// form (written before this change, or by the warm-up) is read and decided on exactly as
// one in the stored form.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import {
  type AuthorisationEvent,
  ScreeningModel,
  ScreeningService,
  train,
} from '../../src/screening/index.ts';
import { decodeState, encodeState } from '../../src/screening/state-codec.ts';
import { storageBackends, type TestDatabase } from '../support/backends.ts';
import { syntheticRows } from './synthetic.ts';

const roundTrip = (state: object): object =>
  decodeState(JSON.parse(JSON.stringify(encodeState(state))) as object);

describe('state codec', () => {
  test('encodes time histories as differences and decodes them exactly', () => {
    const card = {
      id: ['a', 'b', 'c'],
      t: [1_764_560_000_000, 1_764_560_061_123, 1_764_559_000_000],
      amount: [12.5, 3.25, 100],
      hour: [13.5, 13.516666666666667, 13.2],
      label: [-1, 1, -1],
      labelAt: [0, 1_764_646_400_000, 0],
      terminal: [123, 456, 789],
      country: [1, 1, 1],
      channel: [2, 2, 2],
    };
    const stored = encodeState(card) as Record<string, unknown>;
    assert.deepEqual(stored['t'], { d: [1_764_560_000_000, 61_123, -1_061_123] });
    assert.deepEqual(stored['amount'], card.amount, 'only time histories are encoded');
    assert.deepEqual(card.t, [1_764_560_000_000, 1_764_560_061_123, 1_764_559_000_000], 'state untouched');
    assert.deepEqual(roundTrip(card), card);
    const terminal = {
      times: [5, 9, 9, 20],
      labelT: [1, 4],
      labelFraud: [1, 0],
      labelAt: [7, 8],
      labelId: ['x', 'y'],
    };
    assert.deepEqual(roundTrip(terminal), terminal);
    const customer = { times: [1_764_560_000_000], cards: { c1: 1_764_560_000_000 } };
    assert.deepEqual(roundTrip(customer), customer);
    assert.deepEqual(roundTrip({ times: [], cards: {} }), { times: [], cards: {} });
  });

  test('leaves a history that is not all safe integers as it is', () => {
    const odd = { times: [1.5, 2, 3] };
    assert.deepEqual(encodeState(odd), odd);
    const huge = { times: [-Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER] };
    assert.deepEqual(encodeState(huge), huge, 'a difference beyond the safe range');
    assert.deepEqual(roundTrip(huge), huge);
  });
});

const history = syntheticRows({ days: 30 });
const model = new ScreeningModel(await train(history, { warmupDays: 5, params: { trees: 20 } }));
const eventsFor = (bankId: string, count: number): AuthorisationEvent[] =>
  history.slice(0, count).map((row) => ({ ...row.event, bankId }));
const strip = (o: unknown) => ({ ...(o as object), alertId: null });

for (const backend of await storageBackends('screening state codec')) {
  describe(`stored screening states on ${backend.name}`, () => {
    let db: TestDatabase;
    before(async () => {
      db = await backend.open();
    });
    after(async () => {
      await db.dispose();
    });
    const rowsOf = async (bankId: string) =>
      (
        await sql<{ kind: string; key: string; state: string }>`select kind, key, state::text as state
          from screening_state where bank_id = ${bankId} order by kind, key`.execute(db.database.tables())
      ).rows;

    test('rows hold differences, and plain rows (written before) decide the same', async () => {
      const events = eventsFor('codec-a', 200);
      const onBank = (bankId: string, list: AuthorisationEvent[]) => list.map((e) => ({ ...e, bankId }));
      const [early, late] = [events.slice(0, 100), events.slice(100)];
      const reference = new ScreeningService({ database: db.database, model });
      const service = new ScreeningService({ database: db.database, model });
      await reference.screenBatch('codec-a', early);
      await service.screenBatch('codec-b', onBank('codec-b', early));

      // A label stores its card's and terminal's states in full (a group stores only its steps,
      // state-rows.ts): label, on both banks, a payment of the card paid most often.
      const paid = (e: AuthorisationEvent) => early.filter((other) => other.cardId === e.cardId).length;
      const twice = early.reduce((best, e) => (paid(e) > paid(best) ? e : best));
      assert.ok(paid(twice) > 2, 'a card paid more than twice');
      assert.ok(await reference.recordLabel('codec-a', twice.transactionId, false));
      assert.ok(await service.recordLabel('codec-b', twice.transactionId, false));

      const stored = await rowsOf('codec-b');
      const cardRow = stored.find((row) => row.kind === 'card' && row.key === twice.cardId);
      assert.ok(cardRow !== undefined);
      assert.ok(
        'd' in (JSON.parse(cardRow.state) as { t: object }).t,
        'the card history is stored as differences',
      );

      // Rewrite bank b's rows in the plain form (as before this change) and move their
      // versions on, so `service` reads them back instead of using its cache.
      let plainBytes = 0;
      let storedBytes = 0;
      for (const row of stored) {
        const plain = JSON.stringify(decodeState(JSON.parse(row.state) as object));
        if (row === cardRow) {
          plainBytes += plain.length;
          storedBytes += row.state.length;
        }
        await sql`update screening_state set state = ${plain}::json, version = version + 1
          where bank_id = 'codec-b' and kind = ${row.kind} and key = ${row.key}`.execute(
          db.database.tables(),
        );
      }
      assert.ok(storedBytes < plainBytes, `stored ${storedBytes} bytes, plain ${plainBytes}`);

      const expected = await reference.screenBatch('codec-a', late);
      const got = await service.screenBatch('codec-b', onBank('codec-b', late));
      assert.deepEqual(got.map(strip), expected.map(strip));
      for (const card of new Set(events.map((e) => e.cardId)))
        assert.deepEqual(
          await service.cardHistory('codec-b', card),
          await reference.cardHistory('codec-a', card),
          card,
        );
    });
  });
}
