// The funds answer against the best adaptive attacker: binary search (on a log scale, knowing
// the grid and its offset) with the whole daily budget. After its probes, the set of balances
// consistent with the answers must never fit within ±10 % of any value.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  fundsAvailable,
  GRID_RATIO,
  gridThreshold,
  PROBES_PER_DAY,
} from '../../src/payments/funds-threshold.ts';

/** The interval [low, high) of balances consistent with every answer the attacker got. */
function attack(balanceMinor: number, offset: number, probes: number, prior: [number, number]) {
  let [low, high] = prior;
  for (let i = 0; i < probes; i++) {
    const ask = Math.round(Math.sqrt(low * high)); // geometric midpoint: the best split
    const threshold = gridThreshold(ask, offset);
    if (fundsAvailable(balanceMinor, ask, offset)) low = Math.max(low, threshold);
    else high = Math.min(high, threshold);
  }
  return [low, high] as const;
}

/** Whether [low, high) fits inside [0.9x, 1.1x] for some x: high/low ≤ 1.1/0.9. */
const pinnedWithin10Percent = (low: number, high: number) => high / low <= 1.1 / 0.9;

test('a yes is always true and a no may be conservative, never the other way', () => {
  for (let i = 0; i < 2000; i++) {
    const offset = Math.random();
    const amount = 1 + Math.floor(Math.random() * 1_000_000);
    const threshold = gridThreshold(amount, offset);
    assert.ok(threshold >= amount, 'the grid rounds up');
    assert.ok(threshold <= Math.ceil(amount * GRID_RATIO) + 1, 'by less than one grid step');
    assert.equal(fundsAvailable(threshold, amount, offset), true);
    assert.equal(fundsAvailable(amount - 1, amount, offset), false);
  }
});

test('binary search with the whole budget never pins a balance within ±10 %', () => {
  let tightest = Number.POSITIVE_INFINITY;
  // Balances from 1.00 to 100,000.00, an attacker who already knows it to within a factor of
  // 2 (a tight prior makes the search strongest), and many grid offsets.
  for (let i = 0; i < 20_000; i++) {
    const balance = Math.round(100 * 10 ** (Math.random() * 5));
    const offset = Math.random();
    const prior: [number, number] = [Math.floor(balance / (1 + Math.random())), balance * 2];
    const [low, high] = attack(balance, offset, PROBES_PER_DAY, prior);
    assert.ok(low <= balance && balance < high, 'the answers are consistent with the balance');
    assert.equal(pinnedWithin10Percent(low, high), false, `balance ${balance} pinned to [${low}, ${high})`);
    tightest = Math.min(tightest, high / low);
  }
  // The bound comes from the grid: one band, ratio 1.25 (rounding to whole minor units aside).
  assert.ok(tightest > 1.1 / 0.9, `tightest interval ratio ${tightest}`);
});

test('without the grid the same attacker pins most balances: the test can fail', () => {
  let pinned = 0;
  for (let i = 0; i < 1000; i++) {
    const balance = Math.round(100 * 10 ** (Math.random() * 5));
    let [low, high] = [Math.floor(balance / 1.5), balance * 2];
    for (let p = 0; p < PROBES_PER_DAY; p++) {
      const ask = Math.round(Math.sqrt(low * high));
      if (balance >= ask) low = ask;
      else high = ask;
    }
    if (pinnedWithin10Percent(low, high)) pinned++;
  }
  assert.ok(pinned > 900, `exact answers let binary search pin ${pinned} of 1000`);
});
