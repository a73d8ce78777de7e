// The decision cache (src/policy/decision-cache.ts): a repeated call is answered without
// Cedar, and nothing that changes a consent — revocation, purposes, clusters, accounts,
// expiry, or time passing its expiry — is ever answered from the cache. Forbidden purposes
// always go to Cedar. Over many random calls, cached answers equal uncached ones.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { timeOnlyThroughExpiry } from '../../src/policy/decision-cache.ts';
import { createPolicyEngine, type DecisionInput, type PolicyEngine } from '../../src/policy/index.ts';
import { EXPIRES, input, NOW } from './fixtures.ts';

let engine: PolicyEngine;
before(async () => {
  engine = await createPolicyEngine({ validateRequests: true });
});

/** Decides and says whether Cedar ran for it. */
function decideCounting(i: DecisionInput) {
  const before = engine.stats().evaluations;
  const decision = engine.decide(i);
  return { decision, evaluated: engine.stats().evaluations > before };
}

describe('a repeated call is answered from the cache', () => {
  test('same consent version, purpose, cluster and account', () => {
    const first = decideCounting(input({ consent: { id: 'cns_repeat' } }));
    const again = decideCounting(input({ consent: { id: 'cns_repeat' } }));
    assert.equal(first.evaluated, true);
    assert.equal(again.evaluated, false);
    assert.deepEqual(again.decision, first.decision);
    assert.equal(again.decision.allowed, true);
  });

  test('a later `now` before expiry is the same decision', () => {
    decideCounting(input({ consent: { id: 'cns_later' } }));
    const later = decideCounting(
      input({ consent: { id: 'cns_later' }, request: { now: new Date(NOW.getTime() + 60_000) } }),
    );
    assert.equal(later.evaluated, false);
    assert.equal(later.decision.allowed, true);
  });

  test('another account or cluster is its own entry', () => {
    decideCounting(input({ consent: { id: 'cns_other' } }));
    const account = decideCounting(input({ consent: { id: 'cns_other' }, request: { accountId: 'acc_2' } }));
    const cluster = decideCounting(input({ consent: { id: 'cns_other' }, request: { cluster: 'accounts' } }));
    assert.equal(account.evaluated, true);
    assert.equal(cluster.evaluated, true);
  });

  test('a caller changing a returned decision does not change the next answer', () => {
    const first = engine.decide(input({ consent: { id: 'cns_mutate' } }));
    first.policies.push('tampered');
    (first as { allowed: boolean }).allowed = false;
    const again = decideCounting(input({ consent: { id: 'cns_mutate' } }));
    assert.equal(again.evaluated, false);
    assert.equal(again.decision.allowed, true);
    assert.ok(!again.decision.policies.includes('tampered'));
  });
});

describe('a changed consent is never answered from the cache', () => {
  const id = 'cns_changes';
  const changes: [string, Parameters<typeof input>[0], string][] = [
    ['revoked', { consent: { id, status: 'revoked' } }, 'consent_not_authorised'],
    ['expired (status)', { consent: { id, status: 'expired' } }, 'consent_not_authorised'],
    [
      'purpose dropped',
      { consent: { id, purposes: ['transaction_notifications'] } },
      'purpose_not_consented',
    ],
    ['cluster dropped', { consent: { id, clusters: ['accounts', 'transactions'] } }, 'cluster_not_consented'],
    ['account dropped', { consent: { id, accountIds: ['acc_2'] } }, 'account_not_consented'],
    [
      'expiry moved before now',
      { consent: { id, expiresAt: new Date(NOW.getTime() - 1) } },
      'consent_expired',
    ],
    ['now reached the expiry', { consent: { id }, request: { now: EXPIRES } }, 'consent_expired'],
    ['given to another platform', { consent: { id, platform: 'other' } }, 'wrong_platform'],
  ];
  for (const [what, change, code] of changes) {
    test(`${what}: Cedar decides again, and refuses`, () => {
      assert.equal(engine.decide(input({ consent: { id } })).allowed, true); // warm the cache
      assert.equal(decideCounting(input({ consent: { id } })).evaluated, false);
      const changed = decideCounting(input(change));
      assert.equal(changed.evaluated, true, `${what} was answered from the cache`);
      assert.equal(changed.decision.allowed, false);
      assert.equal(changed.decision.code, code);
      // And the old version's entry does not come back for the changed consent.
      assert.equal(engine.decide(input(change)).allowed, false);
    });
  }

  test('a consent revoked in place (same object) is decided again', () => {
    const i = input({ consent: { id: 'cns_in_place', purposes: ['balance_inquiry'] } });
    assert.equal(engine.decide(i).allowed, true);
    (i.consent as { status: string }).status = 'revoked';
    const revoked = decideCounting(i);
    assert.equal(revoked.evaluated, true);
    assert.equal(revoked.decision.code, 'consent_not_authorised');
    (i.consent as { status: string }).status = 'authorised';
    (i.consent.purposes as string[]).length = 0;
    (i.consent.purposes as string[]).push('transaction_notifications');
    const purposeChanged = decideCounting(i);
    assert.equal(purposeChanged.evaluated, true);
    assert.equal(purposeChanged.decision.code, 'purpose_not_consented');
  });
});

describe('forbidden purposes always go to Cedar', () => {
  test('a request for a forbidden purpose is evaluated every time', () => {
    for (let n = 0; n < 3; n++) {
      const r = decideCounting(
        input({ consent: { id: 'cns_forbidden' }, request: { purpose: 'advertising' } }),
      );
      assert.equal(r.evaluated, true);
      assert.equal(r.decision.code, 'forbidden_purpose');
    }
  });

  test('a consent listing a forbidden purpose is evaluated every time', () => {
    const i = input({ consent: { id: 'cns_void', purposes: ['balance_inquiry', 'profiling'] } });
    for (let n = 0; n < 3; n++) {
      const r = decideCounting(i);
      assert.equal(r.evaluated, true);
      assert.equal(r.decision.code, 'forbidden_purpose');
    }
  });
});

describe('cache bounds and switches', () => {
  test('the cache holds at most cacheSize decisions; 0 turns it off', async () => {
    const small = await createPolicyEngine({ cacheSize: 2 });
    for (const acc of ['acc_1', 'acc_2', 'acc_1', 'acc_2'])
      small.decide(input({ request: { accountId: acc } }));
    assert.deepEqual(small.stats(), { evaluations: 2, cacheHits: 2, cached: 2 });
    for (const id of ['a', 'b', 'c']) small.decide(input({ consent: { id } }));
    assert.equal(small.stats().cached, 2);
    const off = await createPolicyEngine({ cacheSize: 0 });
    off.decide(input());
    off.decide(input());
    assert.deepEqual(off.stats(), { evaluations: 2, cacheHits: 0, cached: 0 });
  });

  test('a policy reading the time other than against expiry turns the cache off', async () => {
    assert.equal(timeOnlyThroughExpiry(['unless { context.now < context.consent.expiresAt };']), true);
    assert.equal(timeOnlyThroughExpiry(['when { context.now > 1000 };']), false);
    const root = mkdtempSync(join(tmpdir(), 'proviso-policy-'));
    const source = fileURLToPath(new URL('../../src/policy/policies/', import.meta.url));
    writeFileSync(join(root, 'schema.cedarschema'), readFileSync(join(source, 'schema.cedarschema')));
    mkdirSync(join(root, 'v1'));
    for (const f of readdirSync(join(source, 'v1')))
      writeFileSync(join(root, 'v1', f), readFileSync(join(source, 'v1', f)));
    // A permit that reads the clock directly (it never grants: now is never negative).
    writeFileSync(
      join(root, 'v1', 'clock.cedar'),
      '@id("permit-before-epoch")\npermit (principal, action, resource)\nwhen { context.now < 0 };\n',
    );
    const clocked = await createPolicyEngine({ root });
    clocked.decide(input());
    clocked.decide(input());
    assert.deepEqual(clocked.stats(), { evaluations: 2, cacheHits: 0, cached: 0 });
  });
});

describe('cached answers equal uncached ones', () => {
  test('over random consents and calls, repeated often', async () => {
    const uncached = await createPolicyEngine({ cacheSize: 0 });
    const cached = await createPolicyEngine({ cacheSize: 64 });
    let seed = 7;
    const pick = <T>(xs: readonly T[]): T => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return xs[seed % xs.length]!;
    };
    const purposes = [
      'balance_inquiry',
      'transaction_notifications',
      'fraud_alerts',
      'checkout',
      'marketing',
      'bogus',
    ];
    const clusters = ['accounts', 'balances', 'transactions', 'payments'];
    // A pool of calls, each asked many times at different instants.
    const pool = Array.from(
      { length: 60 },
      (): DecisionInput => ({
        consent: {
          id: pick(['c1', 'c2']),
          status: pick(['authorised', 'authorised', 'revoked']),
          platform: 'chatapp',
          customerId: pick(['cus_1', 'cus_1', 'cus_2']),
          purposes: [pick(purposes), pick(purposes)],
          clusters: [pick(clusters), pick(clusters)],
          accountIds: [pick(['acc_1', 'acc_2'])],
          expiresAt: pick([EXPIRES, new Date(NOW.getTime() + 1000)]),
        },
        request: {
          platform: pick(['chatapp', 'chatapp', 'other']),
          customerId: 'cus_1',
          purpose: pick(purposes),
          cluster: pick(clusters),
          accountId: pick(['acc_1', 'acc_2', undefined]),
          now: NOW,
        },
      }),
    );
    for (let n = 0; n < 600; n++) {
      const call = pick(pool);
      const now = pick([NOW, new Date(NOW.getTime() + 1000), new Date(NOW.getTime() + 2000)]);
      const i = { ...call, request: { ...call.request, now } };
      assert.deepEqual(cached.decide(i), uncached.decide(i), JSON.stringify(i));
    }
    assert.ok(
      cached.stats().cacheHits > 100,
      `only ${cached.stats().cacheHits} hits: the test did not exercise the cache`,
    );
  });
});
