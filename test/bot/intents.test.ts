import assert from 'node:assert/strict';
import { test } from 'node:test';
import { intentFromPayload, intentFromText } from '../../src/bot/index.ts';

test('button payloads map exactly; unknown payloads are not guessed', () => {
  assert.deepEqual(intentFromPayload('BALANCE'), { kind: 'balance' });
  assert.deepEqual(intentFromPayload('TX_DETAIL:txn_abc123'), {
    kind: 'transaction_detail',
    transactionId: 'txn_abc123',
  });
  assert.deepEqual(intentFromPayload('FREEZE_CARD:crd_1'), { kind: 'freeze_card', cardId: 'crd_1' });
  assert.deepEqual(intentFromPayload('FREEZE_CARD'), { kind: 'freeze_card', cardId: null });
  assert.deepEqual(intentFromPayload('ALERT_REPLY:alr_9:NO'), {
    kind: 'alert_reply',
    alertId: 'alr_9',
    answer: 'no',
  });
  assert.equal(intentFromPayload('TX_DETAIL:../../etc').kind, 'unknown');
  assert.equal(intentFromPayload('balance').kind, 'unknown');
});

test('simple free text is understood', () => {
  const cases: [string, string][] = [
    ["what's my balance", 'balance'],
    ['How much money do I have?', 'balance'],
    ['show recent transactions', 'transactions'],
    ['what did I spend', 'transactions'],
    ['freeze my card please', 'freeze_card'],
    ['I lost my card', 'freeze_card'],
    ['unfreeze my card', 'unfreeze_card'],
    ['hello', 'help'],
    ['tell me a joke', 'unknown'],
  ];
  for (const [text, kind] of cases) assert.equal(intentFromText(text).kind, kind, text);
});

test('cards and spending data: obvious phrasings and exact payloads', () => {
  for (const text of [
    'show my cards',
    'my cards',
    'Cards',
    'which cards do I have',
    'is my card frozen?',
    'card status',
  ])
    assert.equal(intentFromText(text).kind, 'cards', text);
  // Freezing stays freezing even with "card" in it.
  assert.equal(intentFromText('freeze my card').kind, 'freeze_card');
  assert.equal(intentFromText('unfreeze my card').kind, 'unfreeze_card');
  assert.deepEqual(intentFromPayload('CARDS'), { kind: 'cards' });
  assert.deepEqual(intentFromPayload('SPENDING_DATA:2026-11-01'), {
    kind: 'spending_data',
    since: '2026-11-01',
  });
  assert.equal(intentFromPayload('SPENDING_DATA:yesterday').kind, 'unknown');
});
