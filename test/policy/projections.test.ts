// Every purpose returns only the fields its projection lists, checked on real OB objects
// built by the gateway's own mapping from bank-core records.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DATA_CLUSTERS, FORBIDDEN_PURPOSES, PURPOSES } from '../../src/access/index.ts';
import type { Account, Balance, Transaction } from '../../src/bank/index.ts';
import { toOBAccount, toOBBalance, toOBTransaction } from '../../src/gateway/openbanking/mapping.ts';
import {
  CLUSTER_TEXT,
  type ObResource,
  ProjectionError,
  PURPOSE_CLUSTERS,
  PURPOSE_TEXT,
  project,
  projectAll,
  RESOURCE_CLUSTER,
  redactNumbers,
  resourcesFor,
} from '../../src/policy/index.ts';
import { EXPECTED_FIELDS, fieldPaths } from '../support/expected-projections.ts';

const ACCOUNT_NUMBER = '40123412344164';
const CARD_ID = 'card_5f0c1e';

const account: Account = {
  id: 'acc_1',
  customerId: 'cus_1',
  kind: 'current',
  currency: 'GBP',
  nickname: 'Everyday',
  schemeName: 'UK.OBIE.SortCodeAccountNumber',
  identification: ACCOUNT_NUMBER,
  openedAt: new Date('2019-04-02T00:00:00Z'),
  creditLimit: null,
};
const available: Balance = {
  accountId: 'acc_1',
  type: 'InterimAvailable',
  amount: '1204.56',
  creditDebit: 'Credit',
  currency: 'GBP',
  at: new Date('2026-03-01T12:00:00Z'),
};
const booked: Balance = { ...available, type: 'InterimBooked', amount: '1250.00' };
const cardPayment: Transaction = {
  id: 'txn_1',
  accountId: 'acc_1',
  bookedAt: new Date('2026-02-28T18:30:00Z'),
  status: 'booked',
  amount: '42.00',
  creditDebit: 'Debit',
  currency: 'GBP',
  description: `Card payment ${ACCOUNT_NUMBER}`,
  merchantName: 'Corner Shop',
  mcc: '5411',
  country: 'GB',
  channel: 'card_present',
  category: 'groceries',
  cardId: CARD_ID,
};
const transfer: Transaction = {
  ...cardPayment,
  id: 'txn_2',
  status: 'pending',
  creditDebit: 'Credit',
  merchantName: null,
  mcc: null,
  country: null,
  channel: 'transfer',
  category: 'income',
  cardId: null,
};

const OB = {
  account: toOBAccount(account, 'Ada Lovelace'),
  balance: toOBBalance(available),
  transaction: toOBTransaction(cardPayment),
  // A merchant's payment confirmation as the payment service builds it, plus what must never
  // reach the merchant (the debtor account) had a bug put it there.
  payment: {
    iss: 'https://bank.example/banks/northwind',
    payment_id: 'dp_1',
    consent_id: 'pc_1',
    status: 'AcceptedSettlementCompleted',
    amount: '42.00',
    currency: 'GBP',
    order_reference: 'ORD-1',
    merchant: 'merchant-tea',
    merchant_name: 'Tea Shop',
    time: '2026-12-01T02:00:00.000Z',
    debtor_account: ACCOUNT_NUMBER,
    DebtorAccount: { Identification: ACCOUNT_NUMBER },
  },
};

const RESOURCES: ObResource[] = ['account', 'balance', 'transaction', 'payment'];

for (const purpose of PURPOSES) {
  describe(`projection: ${purpose}`, () => {
    for (const resource of RESOURCES) {
      const expected = EXPECTED_FIELDS[purpose]?.[resource];
      if (!expected) {
        test(`never returns ${resource} resources`, () => {
          assert.throws(() => project(purpose, resource, OB[resource]), ProjectionError);
        });
        continue;
      }
      test(`${resource}: only ${expected.length} listed fields`, () => {
        const out = project(purpose, resource, OB[resource]);
        assert.ok(out);
        assert.deepEqual(fieldPaths(out).sort(), [...expected].sort());
      });
    }

    test('uses only clusters it may use', () => {
      for (const r of resourcesFor(purpose))
        assert.ok(PURPOSE_CLUSTERS[purpose].includes(RESOURCE_CLUSTER[r]));
    });
  });
}

describe('minimisation details', () => {
  test('balance_inquiry returns the available balance only', () => {
    assert.equal(project('balance_inquiry', 'balance', toOBBalance(booked)), null);
    const list = projectAll('balance_inquiry', 'balance', [toOBBalance(booked), toOBBalance(available)]);
    assert.deepEqual(list, [
      {
        AccountId: 'acc_1',
        Type: 'InterimAvailable',
        Amount: { Amount: '1204.56', Currency: 'GBP' },
        CreditDebitIndicator: 'Credit',
        DateTime: '2026-03-01T12:00:00.000Z',
      },
    ]);
  });

  test('transaction_notifications carries no account number, card id or free text', () => {
    const out = JSON.stringify([
      project('transaction_notifications', 'transaction', toOBTransaction(cardPayment)),
      project('transaction_notifications', 'transaction', toOBTransaction(transfer)),
      project('transaction_notifications', 'account', OB.account),
    ]);
    assert.doesNotMatch(out, new RegExp(`${ACCOUNT_NUMBER}|${CARD_ID}|Ada|SortCode`));
  });

  test('no purpose other than customer_service sees any part of the account number', () => {
    for (const purpose of PURPOSES) {
      for (const resource of resourcesFor(purpose)) {
        const out = JSON.stringify(project(purpose, resource, OB[resource]));
        assert.doesNotMatch(out, new RegExp(ACCOUNT_NUMBER), `${purpose}/${resource}`);
        if (purpose !== 'customer_service') assert.doesNotMatch(out, /4164/, `${purpose}/${resource}`);
      }
    }
  });

  test('customer_service shows the account number masked to its last four digits', () => {
    const out = project('customer_service', 'account', OB.account);
    assert.deepEqual(out?.['Account'], [
      { SchemeName: 'UK.OBIE.SortCodeAccountNumber', Identification: '****4164' },
    ]);
  });

  test('customer_service masks long digit runs in free text', () => {
    const out = project('customer_service', 'transaction', OB.transaction);
    assert.equal(out?.['TransactionInformation'], 'Card payment ****4164');
    assert.equal(redactNumbers('To 40-12-34 1234 4164, ref 123'), 'To ****4164, ref 123');
  });

  test('only fraud_alerts sees the card id', () => {
    for (const purpose of PURPOSES) {
      if (!resourcesFor(purpose).includes('transaction')) continue;
      const out = JSON.stringify(project(purpose, 'transaction', OB.transaction));
      assert.equal(out.includes(CARD_ID), purpose === 'fraud_alerts', purpose);
    }
  });

  test('a transaction without merchant details projects without them', () => {
    const out = project('fraud_alerts', 'transaction', toOBTransaction(transfer));
    assert.equal(out?.['MerchantDetails'], undefined);
    assert.deepEqual(out?.['SupplementaryData'], { Channel: 'transfer' });
  });

  test('fields added to OB shapes later do not leak', () => {
    const out = project('balance_inquiry', 'account', {
      ...OB.account,
      SecretNewField: 'x',
      Nickname: { nested: 1 },
    });
    assert.deepEqual(Object.keys(out ?? {}).sort(), ['AccountId', 'AccountSubType', 'Currency']);
  });

  test('returns a new object and leaves the input untouched', () => {
    const input = structuredClone(OB.transaction);
    const out = project('fraud_alerts', 'transaction', input);
    assert.deepEqual(input, OB.transaction);
    assert.notEqual(out?.['Amount'], input.Amount);
  });

  test('unknown and forbidden purposes throw', () => {
    for (const purpose of ['weather', '', ...FORBIDDEN_PURPOSES])
      assert.throws(() => project(purpose, 'account', OB.account), ProjectionError);
  });
});

describe('consent-screen text', () => {
  test('every purpose and cluster has wording; every cluster names permissions', () => {
    for (const p of PURPOSES) assert.ok(PURPOSE_TEXT[p].title && PURPOSE_TEXT[p].explanation);
    for (const c of DATA_CLUSTERS) assert.ok(CLUSTER_TEXT[c].title && CLUSTER_TEXT[c].permissions.length);
  });

  test('uses Open Banking permission names for the OB clusters', () => {
    assert.deepEqual(CLUSTER_TEXT.accounts.permissions, ['ReadAccountsBasic']);
    assert.deepEqual(CLUSTER_TEXT.balances.permissions, ['ReadBalances']);
    assert.ok(CLUSTER_TEXT.transactions.permissions.includes('ReadTransactionsDetail'));
  });
});
