import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  averagePrecision,
  cardPrecisionAtK,
  GbdtScorer,
  rocAuc,
  seededRandom,
  thresholdForDailyBudget,
  trainGbdt,
  validateRules,
} from '../../src/screening/index.ts';

test('GBDT learns an interaction and its contributions add up to the score', () => {
  const random = seededRandom(9);
  const rows = 4000;
  const x = new Float64Array(rows * 3);
  const y = new Uint8Array(rows);
  for (let r = 0; r < rows; r++) {
    const a = random();
    const b = random();
    x.set([a, b, random()], r * 3);
    y[r] = a > 0.7 && b < 0.3 ? 1 : 0;
  }
  const model = trainGbdt(
    { x, rows, features: 3, y, weight: new Float64Array(rows).fill(1) },
    {
      trees: 60,
      learningRate: 0.2,
      maxLeaves: 8,
      maxDepth: 6,
      minDataInLeaf: 10,
      minHessianInLeaf: 1e-3,
      lambda: 1,
      featureFraction: 1,
      baggingFraction: 0.8,
      maxBins: 64,
      seed: 1,
    },
  );
  const scorer = new GbdtScorer(model);
  assert.ok(scorer.raw([0.9, 0.1, 0.5]) > 2);
  assert.ok(scorer.raw([0.2, 0.1, 0.5]) < -2);
  assert.ok(scorer.raw([0.9, 0.8, 0.5]) < -2);
  const point = [0.9, 0.1, 0.5];
  const { bias, contributions } = scorer.contributions(point);
  const total = bias + contributions.reduce((a, b) => a + b, 0);
  assert.ok(Math.abs(total - scorer.raw(point)) < 1e-9);
  assert.ok(Math.abs(contributions[2]!) < Math.abs(contributions[0]!), 'the noise feature explains little');
  assert.deepEqual(JSON.parse(JSON.stringify(model)), model);
});

test('AUC and average precision match sklearn on its documented examples', () => {
  assert.equal(rocAuc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]), 0.75);
  assert.ok(Math.abs(averagePrecision([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]) - 0.8333333333) < 1e-9);
  assert.equal(rocAuc([0.5, 0.5], [0, 1]), 0.5);
});

test('card precision@k keeps each card once a day and drops cards found earlier', () => {
  const rows = [
    { day: 1, card: 'a', score: 0.9, fraud: true },
    { day: 1, card: 'a', score: 0.1, fraud: false },
    { day: 1, card: 'b', score: 0.8, fraud: false },
    { day: 1, card: 'c', score: 0.2, fraud: true },
    { day: 2, card: 'a', score: 0.99, fraud: true },
    { day: 2, card: 'c', score: 0.5, fraud: true },
    { day: 2, card: 'b', score: 0.4, fraud: false },
  ];
  const result = cardPrecisionAtK(rows, 2);
  assert.deepEqual(result.perDay, [0.5, 0.5]);
});

test('daily budget threshold keeps alerts within the budget', () => {
  const DAY = 86_400_000;
  const history = Array.from({ length: 1000 }, (_, i) => ({
    time: Math.floor(i / 100) * DAY,
    score: ((i * 7919) % 1000) / 1000,
  }));
  const chosen = thresholdForDailyBudget(history, 5);
  assert.equal(chosen.days, 10);
  assert.equal(chosen.observedAlertsPerDay, 5);
  const tied = thresholdForDailyBudget(
    history.map((row) => ({ ...row, score: 0.5 })),
    5,
  );
  assert.equal(tied.observedAlertsPerDay, 0, 'ties that would exceed the budget are not alerted');
});

test('rule files are validated with precise paths', () => {
  const ok = validateRules([
    {
      id: 'r1',
      when: [{ field: 'card_amount_ratio_mean_30d', op: '>=', value: 4 }],
      action: 'alert',
      reason: 'r',
    },
  ]);
  assert.equal(ok.ok, true);
  const bad = validateRules([
    { id: 'r1', when: [{ field: 'nope', op: '>', value: 'x' }], action: 'block', reason: '' },
    { id: 'r1', when: [], action: 'alert', reason: 'x', extra: true },
  ]);
  assert.equal(bad.ok, false);
  if (!bad.ok) {
    assert.deepEqual(
      bad.errors.map((e) => e.path),
      [
        '[0].action',
        '[0].reason',
        '[0].when[0].field',
        '[0].when[0].value',
        '[1].extra',
        '[1].id',
        '[1].when',
      ],
    );
  }
});

test('the compiled trees score bit-for-bit as the interpreter', async () => {
  const { GbdtScorer, loadScreeningModel } = await import('../../src/screening/index.ts');
  const gbdt = loadScreeningModel().json.gbdt;
  const scorer = new GbdtScorer(gbdt);
  let seed = 42;
  const random = () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  for (let n = 0; n < 2_000; n++) {
    const x = Float64Array.from({ length: gbdt.featureCount }, () => (random() < 0.2 ? 60 : random() * 20));
    assert.equal(scorer.raw(x), scorer.interpret(x));
  }
  // A model that does not check out (a split on a feature it does not have) is not compiled.
  const broken = {
    ...gbdt,
    trees: [{ ...gbdt.trees[0]!, feature: gbdt.trees[0]!.feature.map((f) => (f >= 0 ? 999 : f)) }],
  };
  assert.equal((await import('../../src/screening/gbdt-compiled.ts')).compileGbdt(broken), undefined);
});
