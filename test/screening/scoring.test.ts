import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  DAY_MS,
  type LabelledAuthorisation,
  Screener,
  ScreeningModel,
  scoreRows,
  train,
} from '../../src/screening/index.ts';
import { syntheticRows } from './synthetic.ts';

const rows = syntheticRows({ days: 45 });
const modelJson = await train(rows, { warmupDays: 10, params: { trees: 40 } });
const model = new ScreeningModel(modelJson);

async function scores(
  input: readonly LabelledAuthorisation[],
  labelDelayDays = 7,
): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for await (const { transactionId, score } of scoreRows(input, model, { labelDelayDays }))
    out.set(transactionId, score);
  return out;
}

test('the trained model separates fraud from genuine on its synthetic history', async () => {
  const scored = await scores(rows);
  const late = rows.filter(
    (row) => Date.parse(row.event.time) >= Date.parse(rows[0]!.event.time) + 10 * DAY_MS,
  );
  const mean = (fraud: boolean) => {
    const picked = late
      .filter((row) => row.isFraud === fraud)
      .map((row) => scored.get(row.event.transactionId)!);
    return picked.reduce((a, b) => a + b, 0) / picked.length;
  };
  assert.ok(mean(true) > 3 * mean(false), `fraud ${mean(true)} vs genuine ${mean(false)}`);
  assert.equal(scored.size, rows.length, 'every row gets a score');
});

test('scoring never uses a label before it is older than the delay: flipping them changes no earlier score', async () => {
  const baseline = await scores(rows);
  const start = Date.parse(rows[0]!.event.time);
  for (const cutDay of [15, 25, 35]) {
    const cut = start + cutDay * DAY_MS;
    // Every label the scorer may not know before `cut` (transactions after cut − delay) is flipped.
    const flipped = rows.map((row) =>
      Date.parse(row.event.time) >= cut - 7 * DAY_MS ? { ...row, isFraud: !row.isFraud } : row,
    );
    const changed = await scores(flipped);
    let later = 0;
    for (const row of rows) {
      const id = row.event.transactionId;
      if (Date.parse(row.event.time) < cut)
        assert.equal(changed.get(id), baseline.get(id), `row ${id} before cut`);
      else if (changed.get(id) !== baseline.get(id)) later++;
    }
    assert.ok(later > 0, 'labels do matter once old enough (else the test proves nothing)');
  }
});

test('removing the labels altogether changes nothing inside the first delay window', async () => {
  const unlabelled = rows.map((row) => ({ ...row, isFraud: undefined }));
  const a = await scores(rows);
  const b = await scores(unlabelled);
  const start = Date.parse(rows[0]!.event.time);
  for (const row of rows) {
    if (Date.parse(row.event.time) < start + 7 * DAY_MS)
      assert.equal(a.get(row.event.transactionId), b.get(row.event.transactionId));
  }
});

test('unsorted input is scored in time order', async () => {
  const shuffled = [...rows].reverse();
  assert.deepEqual(await scores(shuffled), await scores(rows));
});

test('the screener alerts with plain-words reasons and honours rules and per-bank thresholds', () => {
  const screener = new Screener({
    model,
    thresholds: new Map([['test-bank', 0.5]]),
    rules: [
      {
        id: 'big-ecom',
        when: [{ field: 'amount', op: '>', value: 1000 }],
        action: 'alert',
        reason: 'amount above 1000 (bank rule)',
      },
      {
        id: 'trusted',
        when: [{ field: 'event.terminalId', op: '==', value: 'trusted-1' }],
        action: 'suppress',
        reason: 'trusted merchant',
      },
    ],
  });
  let alerts = 0;
  let reasonTexts = 0;
  for (const row of rows) {
    const decision = screener.screen(row.event);
    if (decision.alert) {
      alerts++;
      assert.ok(decision.score >= 0.5 || decision.rules.includes('big-ecom'));
      reasonTexts += decision.reasons.length;
      for (const reason of decision.reasons) assert.match(reason.text, /\w/);
    } else assert.equal(decision.reasons.length, 0);
    screener.recordLabel(row.event.bankId, row.event.transactionId, row.isFraud!, Date.parse(row.event.time));
  }
  assert.ok(alerts > 0 && reasonTexts > 0);
  const big = screener.screen({
    ...rows[0]!.event,
    transactionId: 'x1',
    amount: '5000.00',
    time: '2018-06-01T10:00:00Z',
  });
  assert.equal(big.alert, true);
  assert.equal(big.reasons[0]?.text, 'amount above 1000 (bank rule)');
  const trusted = screener.screen({
    ...rows[0]!.event,
    transactionId: 'x2',
    amount: '5000.00',
    terminalId: 'trusted-1',
    time: '2018-06-01T10:01:00Z',
  });
  assert.equal(trusted.alert, false);
});

test('model JSON round-trips and rejects a foreign feature list', () => {
  const copy = ScreeningModel.parse(JSON.stringify(modelJson));
  const x = new Float64Array(modelJson.features.length).fill(1);
  assert.equal(copy.score(x), model.score(x));
  assert.throws(
    () => new ScreeningModel({ ...modelJson, features: ['amount'] } as never),
    /different feature set/,
  );
});
