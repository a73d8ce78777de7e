import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fromMinorUnits, toMinorUnits, validateAuthorisation } from '../../src/screening/index.ts';

const valid = {
  transactionId: 'tx-1',
  bankId: 'bank-a',
  cardId: 'card-1',
  customerId: 'cust-1',
  terminalId: 'term-9',
  merchantName: 'Corner Shop',
  mcc: '5411',
  country: 'BE',
  channel: 'pos',
  amount: '42.10',
  currency: 'EUR',
  time: '2018-04-01T10:00:00Z',
};

const codes = (input: unknown) => {
  const result = validateAuthorisation(input);
  return result.ok ? [] : result.errors.map((error) => `${error.field}:${error.code}`);
};

test('a well-formed authorisation passes', () => {
  assert.deepEqual(codes(valid), []);
});

test('missing fields are each named', () => {
  const { cardId: _card, currency: _currency, ...rest } = valid;
  assert.deepEqual(codes(rest), ['cardId:missing', 'currency:missing']);
});

test('bad currency codes, negative and over-precise amounts, bad times are rejected specifically', () => {
  assert.deepEqual(codes({ ...valid, currency: 'eur' }), ['currency:format']);
  assert.deepEqual(codes({ ...valid, currency: 'XYZ' }), ['currency:unknown_currency']);
  assert.deepEqual(codes({ ...valid, amount: '-5.00' }), ['amount:negative_amount']);
  assert.deepEqual(codes({ ...valid, amount: '12.5.1' }), ['amount:format']);
  assert.deepEqual(codes({ ...valid, amount: 12.5 }), ['amount:type']);
  assert.deepEqual(codes({ ...valid, amount: '100.5', currency: 'JPY' }), ['amount:precision']);
  assert.deepEqual(codes({ ...valid, time: '2018-04-01 10:00' }), ['time:format']);
  assert.deepEqual(codes({ ...valid, channel: 'fax' }), ['channel:format']);
  assert.deepEqual(codes({ ...valid, mcc: '54' }), ['mcc:format']);
  assert.deepEqual(codes({ ...valid, extra: 1 }), ['extra:unknown_field']);
  assert.deepEqual(codes('nope'), [':type']);
});

test('minor units convert without floats', () => {
  assert.equal(toMinorUnits('42.10', 'EUR'), 4210n);
  assert.equal(toMinorUnits('1000', 'JPY'), 1000n);
  assert.equal(toMinorUnits('1.5', 'KWD'), 1500n);
  assert.equal(fromMinorUnits(4210n, 'EUR'), '42.10');
  assert.equal(fromMinorUnits(5n, 'EUR'), '0.05');
  assert.equal(fromMinorUnits(1000n, 'JPY'), '1000');
  assert.throws(() => toMinorUnits('1.234', 'EUR'));
});
