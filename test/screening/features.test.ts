import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  type AuthorisationEvent,
  FEATURE_INDEX,
  FeatureEngine,
  type FeatureName,
  InMemoryStateStore,
} from '../../src/screening/index.ts';
import { syntheticRows } from './synthetic.ts';

const DAY = 86_400_000;
const T0 = Date.parse('2018-05-01T12:00:00Z');

function event(
  id: number,
  dayOffset: number,
  amount: string,
  terminal = 't1',
  card = 'c1',
): AuthorisationEvent {
  return {
    transactionId: String(id),
    bankId: 'b',
    cardId: card,
    customerId: card,
    terminalId: terminal,
    country: 'BE',
    channel: 'pos',
    amount,
    currency: 'EUR',
    time: new Date(T0 + dayOffset * DAY).toISOString(),
  };
}

const pick = (features: Float64Array, name: FeatureName) => features[FEATURE_INDEX[name]]!;

test('card windows count and average only earlier transactions', () => {
  const engine = new FeatureEngine();
  engine.process(event(1, 0, '10.00'));
  engine.process(event(2, 3, '20.00'));
  engine.process(event(3, 6.5, '30.00'));
  const f = engine.process(event(4, 7, '100.00', 't2'));
  assert.equal(pick(f, 'card_tx_count_1d'), 1);
  assert.equal(pick(f, 'card_tx_count_7d'), 3);
  assert.equal(pick(f, 'card_tx_count_30d'), 3);
  assert.equal(pick(f, 'card_amount_mean_30d'), 20);
  assert.equal(pick(f, 'card_amount_ratio_mean_30d'), 5);
  assert.equal(pick(f, 'card_amount_ratio_median_30d'), 5);
  assert.equal(pick(f, 'card_new_terminal'), 1);
  assert.equal(pick(f, 'terminal_tx_count_30d'), 0);
  const again = engine.process(event(5, 7.1, '20.00', 't2'));
  assert.equal(pick(again, 'card_new_terminal'), 0);
  assert.equal(pick(again, 'terminal_tx_count_1d'), 1);
  assert.equal(pick(again, 'card_high_amount_count_14d'), 1, 'the 100.00 is 5× the usual 20.00');
});

test('a label stays invisible until the delay has passed, then drives terminal risk', () => {
  const engine = new FeatureEngine({ labelDelayDays: 7 });
  engine.process(event(1, 0, '10.00', 'bad'));
  assert.ok(engine.recordLabel('b', '1', true, T0));
  const before = engine.process(event(2, 6.99, '10.00', 'bad', 'c2'));
  assert.equal(pick(before, 'terminal_known_fraud_28d'), 0);
  assert.equal(pick(before, 'terminal_fraud_streak'), 0);
  const after = engine.process(event(3, 7.01, '10.00', 'bad', 'c3'));
  assert.equal(pick(after, 'terminal_known_fraud_28d'), 1);
  assert.equal(pick(after, 'terminal_fraud_streak'), 1);
  assert.equal(pick(after, 'terminal_fraud_run_min_days'), 7);
});

test('a label learnt late is visible from when it was learnt, not earlier', () => {
  const engine = new FeatureEngine({ labelDelayDays: 7 });
  engine.process(event(1, 0, '10.00', 'bad'));
  engine.recordLabel('b', '1', true, T0 + 10 * DAY);
  assert.equal(pick(engine.process(event(2, 9, '10.00', 'bad', 'c2')), 'terminal_known_fraud_28d'), 0);
  assert.equal(pick(engine.process(event(3, 10.5, '10.00', 'bad', 'c3')), 'terminal_known_fraud_28d'), 1);
  assert.equal(engine.recordLabel('b', 'unknown-tx', true, T0), false);
});

test('state snapshot survives a JSON round trip and yields identical features', () => {
  const rows = syntheticRows({ days: 20 });
  const half = Math.floor(rows.length / 2);
  const store = new InMemoryStateStore();
  const engine = new FeatureEngine({ store });
  for (const row of rows.slice(0, half)) {
    engine.process(row.event);
    engine.recordLabel(row.event.bankId, row.event.transactionId, row.isFraud!, Date.parse(row.event.time));
  }
  const restored = new FeatureEngine({
    store: InMemoryStateStore.restore(JSON.parse(JSON.stringify(store.snapshot()))),
  });
  for (const row of rows.slice(half)) {
    const t = Date.parse(row.event.time);
    assert.deepEqual(restored.process(row.event), engine.process(row.event));
    engine.recordLabel(row.event.bankId, row.event.transactionId, row.isFraud!, t);
    restored.recordLabel(row.event.bankId, row.event.transactionId, row.isFraud!, t);
  }
});
