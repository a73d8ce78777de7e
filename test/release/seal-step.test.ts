// The release path's seal step: a release that asks for `seal.batch` (what the outbox seals in
// bulk: fraud alerts, purchase notifications) is sealed through Sealer.sealSoon — on the
// sealing pool with a pooled sealer — and any other release in the caller's thread; either
// way the device opens the same envelope.

import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { RELEASE_STEPS, type ReleaseStep } from '../../src/release/index.ts';
import { createPooledSealer, openEnvelope, type Sealer, SealingPool } from '../../src/seal/index.ts';
import { BANK_ID, CONSENT, fixture, NOW } from '../seal/helpers.ts';

type ReleaseState = Parameters<ReleaseStep['run']>[0];

const sealStep = RELEASE_STEPS.find((step) => step.name === 'seal');
const pool = new SealingPool({ threads: 2 });
after(() => pool.close());

/** A sealer that counts which of its entries the step used. */
function counting(sealer: Sealer) {
  const calls = { seal: 0, sealSoon: 0 };
  const counted: Sealer = {
    ...sealer,
    seal: (input) => {
      calls.seal++;
      return sealer.seal(input);
    },
    sealSoon: (input) => {
      calls.sealSoon++;
      return sealer.sealSoon(input);
    },
  };
  return { counted, calls };
}

function state(sealer: Sealer, devicePublic: Uint8Array, batch: boolean, id: string): ReleaseState {
  return {
    request: { bankId: BANK_ID, seal: { type: 'alert', id, ...(batch ? { batch } : {}) } },
    deps: { sealers: async () => sealer },
    authenticated: { consent: { id: CONSENT, deviceKey: devicePublic } },
    purpose: 'fraud_alerts',
    payload: { question: 'Was this you?' },
    logIndex: 42,
  } as unknown as ReleaseState;
}

describe('release path: seal step', () => {
  it('seals batch releases through sealSoon (the pool) and others in-thread; both open alike', async () => {
    const f = await fixture();
    const pooled = createPooledSealer({
      pool,
      bankId: BANK_ID,
      clock: () => NOW,
      signingKey: { key: f.bankSigning.privateKey, kid: f.bankSigning.kid, alg: 'EdDSA' },
    });
    const { counted, calls } = counting(pooled);
    assert.ok(sealStep);
    const batch = [0, 1, 2].map((i) => state(counted, f.devicePublic, true, `alert-${i}`));
    const lone = state(counted, f.devicePublic, false, 'alert-lone');
    await Promise.all([...batch, lone].map((s) => sealStep.run(s)));
    assert.deepEqual(calls, { seal: 1, sealSoon: 3 });
    for (const s of [...batch, lone]) {
      assert.ok(s.envelope);
      const opened = await openEnvelope(s.envelope, {
        deviceKey: f.device,
        bankKeys: f.jwks,
        expect: { bankId: BANK_ID, consentCommitment: CONSENT, purpose: 'fraud_alerts', type: 'alert' },
        now: NOW,
      });
      assert.equal(opened.header.id, s.request.seal?.id);
      assert.equal(opened.header.log, 42);
      assert.deepEqual(opened.payload, { question: 'Was this you?' });
    }
  });
});
