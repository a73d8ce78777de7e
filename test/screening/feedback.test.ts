// Customers' replies are labels the same day, and a retrain is safe while ingest runs.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { DEMO_BANKS, demoAuthorisations, generateCustomer } from '../../src/bank/index.ts';
import {
  type AuthorisationEvent,
  type BankAuthorisation,
  customerReasons,
  FEATURE_COUNT,
  FEATURE_INDEX,
  ModelRegistry,
  NEVER_DAYS,
  ScreeningModel,
  ScreeningService,
  type TrainedBankModel,
  trainBankModel,
} from '../../src/screening/index.ts';
import { storageBackends, type TestDatabase } from '../support/backends.ts';

const BANK = 'northwind';
const END = new Date('2026-11-01T00:00:00Z');
const region = DEMO_BANKS.find((b) => b.id === BANK)!.region;
const people = Array.from({ length: 400 }, (_, i) =>
  generateCustomer(i, { seed: 3, bankId: BANK, region, days: 60, end: END }),
);
const history: BankAuthorisation[] = demoAuthorisations(people, {
  seed: 3,
  bankId: BANK,
  currency: 'GBP',
}).map(({ fraud, ...event }) => ({ event, fraud }));
const trained: TrainedBankModel = trainBankModel(history, { trees: 60, validationDays: 10 });
const model = new ScreeningModel(trained.model);

const payment = (
  id: string,
  card: string,
  terminal: string,
  at: Date,
  amount = '24.50',
): AuthorisationEvent => ({
  transactionId: id,
  bankId: BANK,
  cardId: card,
  customerId: `cus-${card}`,
  terminalId: terminal,
  merchantName: 'Corner Shop',
  mcc: '5411',
  country: 'GB',
  channel: 'pos',
  amount,
  currency: 'GBP',
  time: at.toISOString(),
});

test('customer reasons: at most two, in plain words, with the amount in the currency', () => {
  const x = new Float64Array(FEATURE_COUNT);
  x[FEATURE_INDEX.card_tx_count_30d] = 20;
  x[FEATURE_INDEX.card_amount_ratio_median_30d] = 60;
  x[FEATURE_INDEX.card_new_terminal] = 1;
  x[FEATURE_INDEX.terminal_days_since_known_fraud] = 2;
  x[FEATURE_INDEX.card_hour_deviation] = 3;
  const said = customerReasons(payment('r1', 'c', 't', END, '2499.00'), x, [
    { feature: 'card_amount_zscore_30d', text: '', weight: 2 },
    { feature: 'card_amount_ratio_median_30d', text: '', weight: 1 },
    { feature: 'terminal_days_since_known_fraud', text: '', weight: 0.5 },
    { feature: 'card_hour_deviation', text: '', weight: 0.2 },
  ]);
  assert.deepEqual(said, [
    '£2,499.00 is far above what you usually spend with this card',
    'first payment at this shop, which other customers reported as fraud this week',
  ]);
  x[FEATURE_INDEX.terminal_days_since_known_fraud] = NEVER_DAYS;
  assert.deepEqual(customerReasons(payment('r2', 'c', 't', END), x, []), [
    'this payment is unlike the ones you usually make with this card',
  ]);
});

for (const backend of await storageBackends('screening feedback')) {
  describe(`replies and retraining on ${backend.name}`, () => {
    let db: TestDatabase;
    before(async () => {
      db = await backend.open();
    });
    after(async () => {
      await db.dispose();
    });

    test('a reply "No" raises the risk of the terminal for other cards at once', async () => {
      const t0 = new Date('2026-11-10T12:00:00Z');
      let now = new Date(t0.getTime() + 2 * 60_000);
      const service = new ScreeningService({ database: db.database, model, now: () => now });
      await service.setThreshold(BANK, 0); // every payment alerts: we need one to answer
      const first = await service.screen(BANK, payment('fb-a', 'card-a', 'T-NEW', t0));
      assert.equal(first.status, 'screened');
      const alertId = first.status === 'screened' ? first.alertId : null;
      assert.ok(alertId);
      // Another card at the same terminal before the answer, and a card elsewhere after it.
      const before = await service.screen(
        BANK,
        payment('fb-b', 'card-b', 'T-NEW', new Date(t0.getTime() + 60_000)),
      );
      now = new Date(t0.getTime() + 5 * 60_000);
      const replied = await service.reply(alertId, 'no');
      assert.equal(replied?.status, 'confirmed_fraud');
      const later = new Date(t0.getTime() + 10 * 60_000);
      const after = await service.screen(BANK, payment('fb-c', 'card-c', 'T-NEW', later));
      const control = await service.screen(BANK, payment('fb-d', 'card-d', 'T-OTHER', later));
      assert.ok(before.status === 'screened' && after.status === 'screened' && control.status === 'screened');
      // The terminal's state holds the confirmed fraud, usable from the reply on (not 7 days later).
      const { rows } = await sql<{ state: unknown }>`
        select state from screening_state where bank_id = ${BANK} and kind = 'terminal' and key = 'T-NEW'`.execute(
        db.database.tables<unknown>(),
      );
      const state = (typeof rows[0]!.state === 'string' ? JSON.parse(rows[0]!.state) : rows[0]!.state) as {
        labelFraud: number[];
        labelAt: number[];
      };
      assert.deepEqual(state.labelFraud, [1]);
      assert.equal(state.labelAt[0], now.getTime());
      assert.ok(
        after.score > before.score + 0.1 && after.score > control.score + 0.1,
        `score at the reported terminal ${after.score.toFixed(3)}, before the reply ${before.score.toFixed(3)}, elsewhere ${control.score.toFixed(3)}`,
      );
    });

    test('retraining while ingest runs loses nothing and counts nothing twice', async () => {
      const bank = 'retrain-bank';
      const registry = new ModelRegistry(db.database);
      const service = new ScreeningService({ database: db.database, model, models: registry });
      const events = history.slice(0, 1200).map(({ event }) => ({ ...event, bankId: bank }));
      const batches: AuthorisationEvent[][] = [];
      for (let i = 0; i < events.length; i += 40) batches.push(events.slice(i, i + 40));
      // Ingest in batches (with every 5th batch sent twice) while new versions are installed.
      const ingest = (async () => {
        const outcomes = [];
        for (const [i, batch] of batches.entries()) {
          outcomes.push(...(await service.screenBatch(bank, batch)));
          if (i % 5 === 0) outcomes.push(...(await service.screenBatch(bank, batch)));
        }
        return outcomes;
      })();
      const installs = (async () => {
        const versions = [];
        for (let v = 0; v < 3; v++) {
          await new Promise((resolve) => setTimeout(resolve, 20));
          versions.push(
            (await registry.install(bank, trained, { source: 'test', trainingSeconds: 0 })).version,
          );
        }
        return versions;
      })();
      const [outcomes, versions] = await Promise.all([ingest, installs]);
      assert.deepEqual(versions, [1, 2, 3]);
      const screened = outcomes.filter((o) => o.status === 'screened').length;
      const duplicates = outcomes.filter((o) => o.status === 'duplicate').length;
      assert.equal(screened, events.length);
      assert.equal(duplicates, outcomes.length - events.length);
      assert.equal((await service.counts(bank)).events, events.length);
      const byCard = new Map<string, string[]>();
      for (const event of events)
        byCard.set(event.cardId, [...(byCard.get(event.cardId) ?? []), event.transactionId]);
      for (const [card, ids] of byCard) {
        const held = await service.cardHistory(bank, card);
        assert.deepEqual([...held].sort(), [...ids].sort(), `card ${card}: each payment once`);
      }
      assert.deepEqual(
        (await registry.versions(bank)).map((v) => v.status),
        ['active', 'retired', 'retired'],
      );
    });
  });
}
