// The device's spending questions (web/src/spending.ts), in Node: which questions it answers
// itself, the periods they mean, and the sums — whole minor units, per category.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { dataSince, Ledger, periodFrom, spendingQuestion } from '../../web/src/spending.ts';

const now = new Date(2026, 10, 18, 15, 0); // Wednesday 18 November 2026, local time

test('questions the device answers itself, and those it leaves to the bank bot', () => {
  const total = spendingQuestion('How much did I spend on groceries this month?', now);
  assert.equal(total?.kind, 'total');
  assert.equal(total?.kind === 'total' && total.category, 'groceries');
  assert.equal(spendingQuestion('how much have I spent on restaurants last month', now)?.kind, 'total');
  assert.equal(spendingQuestion('biggest payments last week', now)?.kind, 'biggest');
  assert.equal(spendingQuestion('show me a spending chart', now)?.kind, 'chart');
  assert.equal(spendingQuestion('spending by category', now)?.kind, 'chart');
  for (const text of ["what's my balance", 'show recent transactions', 'freeze my card', 'what did I spend'])
    assert.equal(spendingQuestion(text, now), null, text);
});

test('periods in local time', () => {
  const month = periodFrom('this month', now, 'this month');
  assert.deepEqual([month.from, month.to], [new Date(2026, 10, 1), new Date(2026, 11, 1)]);
  const lastWeek = periodFrom('last week', now, 'this month');
  assert.deepEqual([lastWeek.from, lastWeek.to], [new Date(2026, 10, 9), new Date(2026, 10, 16)]);
  const lastMonth = periodFrom('last month', now, 'this month');
  assert.deepEqual([lastMonth.from, lastMonth.to], [new Date(2026, 9, 1), new Date(2026, 10, 1)]);
  // The bank is asked from a day earlier, so no time zone loses a payment.
  assert.equal(dataSince(month), '2026-10-31');
});

test('the ledger keeps what the bank sealed, in exact minor units, and knows how far back it goes', () => {
  const ledger = new Ledger();
  const at = now.getTime();
  ledger.add(
    'northwind',
    {
      since: '2026-10-31',
      complete: true,
      transactions: ['0.10', '0.20', '0.30', 'nonsense'].map((amount, i) => ({
        id: `t${i}`,
        booked_at: new Date(2026, 10, 2 + i).toISOString(),
        description: 'Shop',
        amount: { amount, currency: 'GBP' },
        category: 'groceries',
        account: 'Current account',
      })),
    },
    at,
  );
  const month = periodFrom('this month', now, 'this month');
  const txs = ledger.between('northwind', month.from, month.to);
  assert.equal(txs.length, 3, 'an unreadable amount is left out');
  assert.equal(
    txs.reduce((s, t) => s + t.minor, 0),
    60,
  );
  assert.equal(ledger.covers('northwind', '2026-10-31', at), true);
  assert.equal(ledger.covers('northwind', '2026-10-01', at), false, 'older data was not fetched');
  assert.equal(
    ledger.covers('northwind', '2026-10-31', at + 10 * 60_000),
    false,
    'stale after a few minutes',
  );
  assert.equal(ledger.covers('fjord', '2026-10-31', at), false);
});
