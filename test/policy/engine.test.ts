import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { DATA_CLUSTERS, FORBIDDEN_PURPOSES, PURPOSES } from '../../src/access/index.ts';
import { createPolicyEngine, type PolicyEngine, PURPOSE_CLUSTERS } from '../../src/policy/index.ts';
import { EXPIRES, input } from './fixtures.ts';

let engine: PolicyEngine;
before(async () => {
  // Validating every request against the schema proves the engine's request shape matches it.
  engine = await createPolicyEngine({ validateRequests: true });
});

describe('allowed', () => {
  test('an authorised, unexpired consent covering purpose, cluster and account', () => {
    const d = engine.decide(input());
    assert.deepEqual(
      { allowed: d.allowed, code: d.code, policies: d.policies },
      { allowed: true, code: 'allowed', policies: ['permit-consented-use'] },
    );
    assert.match(d.detail, /balance inquiry/);
  });

  test('a customer-level call (no account named) for the consent’s customer', () => {
    const d = engine.decide(input({ request: { cluster: 'accounts', accountId: undefined } }));
    assert.equal(d.code, 'allowed');
  });

  test('the engine without request validation decides the same', async () => {
    const fast = await createPolicyEngine();
    for (const i of [
      input(),
      input({ request: { purpose: 'advertising' } }),
      input({ request: { now: EXPIRES } }),
    ])
      assert.deepEqual(fast.decide(i), engine.decide(i));
  });
});

describe('forbidden purposes, whatever the consent says', () => {
  for (const purpose of FORBIDDEN_PURPOSES) {
    test(purpose, () => {
      const d = engine.decide(
        input({
          consent: { purposes: [purpose], clusters: [...DATA_CLUSTERS] },
          request: { purpose, cluster: 'transactions' },
        }),
      );
      assert.equal(d.allowed, false);
      assert.equal(d.code, 'forbidden_purpose');
      assert.equal(d.policies[0], `forbid-${purpose.replaceAll('_', '-')}`);
      assert.match(
        d.detail,
        /forbidden purpose: Proviso never releases data for .+, whatever a consent says/,
      );
    });
  }

  test('advertising detail reads plainly', () => {
    const d = engine.decide(input({ request: { purpose: 'advertising' } }));
    assert.equal(
      d.detail,
      'advertising is a forbidden purpose: Proviso never releases data for advertising, whatever a consent says',
    );
  });

  test('a consent that lists a forbidden purpose is void for every purpose', () => {
    const d = engine.decide(input({ consent: { purposes: ['balance_inquiry', 'advertising'] } }));
    assert.equal(d.allowed, false);
    assert.equal(d.code, 'forbidden_purpose');
    assert.deepEqual(d.policies, ['forbid-consent-listing-forbidden-purpose']);
    assert.match(d.detail, /lists advertising/);
  });
});

describe('unknown purposes are refused, never crash', () => {
  for (const purpose of [
    'weather',
    '',
    'ADVERTISING',
    'balance_inquiry ',
    'x'.repeat(10_000),
    '💸',
    '"; drop',
  ]) {
    test(JSON.stringify(purpose.slice(0, 20)), () => {
      const d = engine.decide(input({ consent: { purposes: [purpose] }, request: { purpose } }));
      assert.equal(d.allowed, false);
      assert.equal(d.code, 'unknown_purpose');
      assert.equal(d.policies[0], 'forbid-unknown-purpose');
      assert.ok(d.detail.length < 200, 'a long purpose is not echoed in full');
    });
  }
});

describe('each refusal names its reason', () => {
  const cases = [
    [
      'consent_not_authorised',
      input({ consent: { status: 'awaiting_authorisation' } }),
      'forbid-consent-not-authorised',
    ],
    ['consent_not_authorised', input({ consent: { status: 'revoked' } }), 'forbid-consent-not-authorised'],
    ['consent_not_authorised', input({ consent: { status: 'rejected' } }), 'forbid-consent-not-authorised'],
    ['consent_not_authorised', input({ consent: { status: 'expired' } }), 'forbid-consent-not-authorised'],
    ['consent_expired', input({ request: { now: EXPIRES } }), 'forbid-consent-expired'],
    [
      'consent_expired',
      input({ request: { now: new Date(EXPIRES.getTime() + 1) } }),
      'forbid-consent-expired',
    ],
    [
      'purpose_not_consented',
      input({ request: { purpose: 'fraud_alerts', cluster: 'transactions' } }),
      'forbid-purpose-not-consented',
    ],
    [
      'cluster_not_consented',
      input({ request: { purpose: 'transaction_notifications', cluster: 'card_controls' } }),
      'forbid-cluster-outside-purpose',
    ],
    ['cluster_not_consented', input({ consent: { clusters: ['accounts'] } }), 'forbid-cluster-not-consented'],
    ['account_not_consented', input({ request: { accountId: 'acc_9' } }), 'forbid-account-not-consented'],
    ['wrong_platform', input({ request: { platform: 'otherapp' } }), 'forbid-wrong-platform'],
    ['wrong_customer', input({ request: { customerId: 'cus_2' } }), 'forbid-wrong-customer'],
    [
      'wrong_customer',
      input({ request: { customerId: 'cus_2', accountId: undefined } }),
      'forbid-wrong-customer',
    ],
  ] as const;
  for (const [code, i, policy] of cases) {
    test(`${code} (${policy})`, () => {
      const d = engine.decide(i);
      assert.equal(d.allowed, false);
      assert.equal(d.code, code);
      assert.equal(d.policies[0], policy);
      assert.ok(d.detail.length > 10);
    });
  }

  test('expiry is exclusive: one millisecond before is still allowed', () => {
    assert.equal(engine.decide(input({ request: { now: new Date(EXPIRES.getTime() - 1) } })).code, 'allowed');
    assert.equal(engine.decide(input({ request: { now: EXPIRES } })).code, 'consent_expired');
  });

  test('checkout never reads balances, even if the consent lists balances', () => {
    const d = engine.decide(
      input({
        consent: { purposes: ['checkout'], clusters: ['balances', 'payments'] },
        request: { purpose: 'checkout' },
      }),
    );
    assert.equal(d.code, 'cluster_not_consented');
    assert.deepEqual(d.policies, ['forbid-cluster-outside-purpose']);
  });

  test('a wrong platform learns nothing about the consent’s state', () => {
    const d = engine.decide(
      input({ consent: { status: 'revoked' }, request: { platform: 'otherapp', now: EXPIRES } }),
    );
    assert.equal(d.code, 'wrong_platform');
    assert.deepEqual(d.policies, [
      'forbid-wrong-platform',
      'forbid-consent-not-authorised',
      'forbid-consent-expired',
    ]);
    assert.doesNotMatch(d.detail, /revoked|expired/);
  });

  test('an invalid Date is a programming error, not a decision', () => {
    assert.throws(() => engine.decide(input({ request: { now: new Date('nope') } })), TypeError);
  });
});

describe('the .cedar files agree with the TypeScript vocabularies', () => {
  const everything = { purposes: [...PURPOSES], clusters: [...DATA_CLUSTERS] };

  test('every known purpose is known to the policy', () => {
    for (const purpose of PURPOSES) {
      const d = engine.decide(
        input({ consent: everything, request: { purpose, cluster: PURPOSE_CLUSTERS[purpose][0]! } }),
      );
      assert.equal(d.code, 'allowed', purpose);
    }
  });

  test('forbid-cluster-outside-purpose equals PURPOSE_CLUSTERS, pair by pair', () => {
    for (const purpose of PURPOSES) {
      for (const cluster of DATA_CLUSTERS) {
        const d = engine.decide(input({ consent: everything, request: { purpose, cluster } }));
        assert.equal(d.allowed, PURPOSE_CLUSTERS[purpose].includes(cluster), `${purpose} × ${cluster}`);
      }
    }
  });

  test('the engine reports its version and policy ids', () => {
    assert.equal(engine.version, 'v1');
    assert.ok(engine.policyIds.includes('permit-consented-use'));
    for (const p of FORBIDDEN_PURPOSES)
      assert.ok(engine.policyIds.includes(`forbid-${p.replaceAll('_', '-')}`));
  });
});
