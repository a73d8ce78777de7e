// The sealing pool (src/seal/pool.ts, pooled-sealer.ts): envelopes sealed on worker threads
// open and verify on the device exactly like the ones sealed in-thread; one bad item fails
// alone; a worker that dies is replaced and its batch retried once, then rejected; a closed
// pool lets the process exit.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import {
  createPooledSealer,
  fromBase64Url,
  isEnvelopeError,
  openEnvelope,
  publicJwk,
  type SealInput,
  SealingPool,
  SealingPoolError,
} from '../../src/seal/index.ts';
import { BALANCE, BANK_ID, type Fixture, fixture, NOW, openOptions, sealInput } from './helpers.ts';

const text = (segment: string) => new TextDecoder().decode(fromBase64Url(segment));

function pooled(f: Fixture, pool: SealingPool, inThreadBelow = 2) {
  return createPooledSealer({
    pool,
    inThreadBelow,
    bankId: BANK_ID,
    clock: () => NOW,
    signingKey: { key: f.bankSigning.privateKey, kid: f.bankSigning.kid, alg: 'EdDSA' },
  });
}

/** Everything of an envelope but its randomness (ephemeral key, ciphertexts, signature). */
function shape(envelope: string) {
  const [protectedB64, payloadB64, signature] = envelope.split('.') as [string, string, string];
  const body = JSON.parse(text(payloadB64)) as Record<string, unknown>;
  return {
    protectedHeader: protectedB64,
    bodyKeys: Object.keys(body),
    hdr: JSON.stringify(body['hdr']),
    suite: body['suite'],
    lengths: [body['enc'], body['bind'], body['ct'], signature].map((s) => String(s).length),
  };
}

const pools: SealingPool[] = [];
function newPool(options: ConstructorParameters<typeof SealingPool>[0] = {}) {
  const pool = new SealingPool({ threads: 2, ...options });
  pools.push(pool);
  return pool;
}
after(() => Promise.all(pools.map((p) => p.close())));

describe('sealing pool', () => {
  it('seals envelopes the device opens and verifies exactly like in-thread ones', async () => {
    const f = await fixture();
    const sealer = pooled(f, newPool());
    // The device key in each form a caller may hold it: raw bytes, base64url text, JWK.
    const keys = [f.devicePublic, publicJwk(f.devicePublic).x, publicJwk(f.devicePublic)];
    const inputs = Array.from({ length: 24 }, (_, i) =>
      sealInput(f, { id: `msg-${i}`, log: 100 + i, recipientPublicKey: keys[i % 3] }),
    );
    const onPool = await Promise.all(inputs.map((input) => sealer.sealSoon(input as SealInput)));
    for (const [i, envelope] of onPool.entries()) {
      const inThread = f.sealer.seal(inputs[i] as SealInput);
      assert.deepEqual(shape(envelope), shape(inThread));
      const [a, b] = await Promise.all([
        openEnvelope(envelope, openOptions(f)),
        openEnvelope(inThread, openOptions(f)),
      ]);
      assert.deepEqual(a.payload, BALANCE);
      assert.deepEqual(a.header, b.header);
      assert.equal(a.header.log, 100 + i);
      assert.equal(a.kid, b.kid);
    }
  });

  it('fails one bad item alone, with the error the in-thread sealer raises', async () => {
    const f = await fixture();
    const sealer = pooled(f, newPool());
    const bad = sealInput(f, { id: 'bad', purpose: 'balance\u0007check' }) as SealInput;
    const results = await Promise.allSettled([
      sealer.sealSoon(sealInput(f, { id: 'a' }) as SealInput),
      sealer.sealSoon(bad),
      sealer.sealSoon(sealInput(f, { id: 'b' }) as SealInput),
    ]);
    assert.equal(results[0]?.status, 'fulfilled');
    assert.equal(results[2]?.status, 'fulfilled');
    assert.equal(results[1]?.status, 'rejected');
    const reason = (results[1] as PromiseRejectedResult).reason;
    assert.ok(isEnvelopeError(reason, 'malformed'), String(reason));
    assert.throws(
      () => f.sealer.seal(bad),
      (e) => isEnvelopeError(e, 'malformed'),
    );
  });

  it('fails a payload that is not JSON alone, as the in-thread sealer does', async () => {
    const f = await fixture();
    const sealer = pooled(f, newPool());
    const unserialisable = [{ n: 1n }, undefined].map((payload) => sealInput(f, { payload }) as SealInput);
    const results = await Promise.allSettled([
      sealer.sealSoon(sealInput(f, { id: 'a' }) as SealInput),
      ...unserialisable.map((input) => sealer.sealSoon(input)),
      sealer.sealSoon(sealInput(f, { id: 'b' }) as SealInput),
    ]);
    assert.deepEqual(
      results.map((r) => r.status),
      ['fulfilled', 'rejected', 'rejected', 'fulfilled'],
    );
    for (const [i, input] of unserialisable.entries()) {
      assert.ok((results[i + 1] as PromiseRejectedResult).reason instanceof TypeError);
      assert.throws(() => f.sealer.seal(input), TypeError);
    }
  });

  it('replaces a worker that dies and retries its batch once', async () => {
    const f = await fixture();
    const counter = new SharedArrayBuffer(4);
    const deaths: { error?: string; batches: number }[] = [];
    const pool = newPool({
      threads: 1,
      workerUrl: new URL('./dying-pool-worker.ts', import.meta.url),
      workerData: { counter, dieTimes: 1 },
      onWorkerDeath: (death) => deaths.push(death),
    });
    const sealer = pooled(f, pool);
    const inputs = Array.from({ length: 6 }, (_, i) => sealInput(f, { id: `r-${i}` }) as SealInput);
    const envelopes = await Promise.all(inputs.map((input) => sealer.sealSoon(input)));
    assert.equal(pool.workerDeaths, 1);
    assert.deepEqual(deaths, [{ error: 'this sealing worker dies on purpose (test)', batches: 1 }]);
    for (const envelope of envelopes)
      assert.deepEqual((await openEnvelope(envelope, openOptions(f))).payload, BALANCE);
  });

  it('rejects a batch whose worker dies twice: nothing is lost silently', async () => {
    const f = await fixture();
    const pool = newPool({
      threads: 1,
      workerUrl: new URL('./dying-pool-worker.ts', import.meta.url),
      workerData: { counter: new SharedArrayBuffer(4), dieTimes: 2 },
    });
    const sealer = pooled(f, pool);
    const results = await Promise.allSettled(
      [0, 1, 2].map((i) => sealer.sealSoon(sealInput(f, { id: `d-${i}` }) as SealInput)),
    );
    for (const r of results) {
      assert.equal(r.status, 'rejected');
      assert.ok((r as PromiseRejectedResult).reason instanceof SealingPoolError);
    }
    assert.equal(pool.workerDeaths, 2);
    // The replacement worker seals the next batch.
    const next = await Promise.all(
      [0, 1].map((i) => sealer.sealSoon(sealInput(f, { id: `n-${i}` }) as SealInput)),
    );
    assert.equal(next.length, 2);
  });

  it('rejects batches in flight when closed; a closed pool seals in the caller thread', async () => {
    const f = await fixture();
    const pool = newPool();
    const sealer = pooled(f, pool);
    const inFlight = Promise.allSettled(
      [0, 1, 2, 3].map((i) => sealer.sealSoon(sealInput(f, { id: `c-${i}` }) as SealInput)),
    );
    await new Promise((resolve) => setImmediate(resolve)); // the batch has left
    await pool.close();
    for (const r of await inFlight)
      if (r.status === 'rejected') assert.ok(r.reason instanceof SealingPoolError);
    await assert.rejects(pool.run(1, []), SealingPoolError);
    const afterClose = await Promise.all(
      [0, 1].map((i) => sealer.sealSoon(sealInput(f, { id: `z-${i}` }) as SealInput)),
    );
    for (const envelope of afterClose)
      assert.deepEqual((await openEnvelope(envelope, openOptions(f))).payload, BALANCE);
  });

  it('lets the process exit once closed, and while idle', async () => {
    const script = `
      import { generateKeyPairSync } from 'node:crypto';
      import { createPooledSealer, SealingPool } from ${JSON.stringify(new URL('../../src/seal/index.ts', import.meta.url).href)};
      const pool = new SealingPool({ threads: 2 });
      const sealer = createPooledSealer({ pool, bankId: 'b', signingKey: { key: generateKeyPairSync('ed25519').privateKey, kid: 'k', alg: 'EdDSA' } });
      const key = generateKeyPairSync('x25519').publicKey.export({ format: 'jwk' }).x;
      const input = { recipientPublicKey: key, consentCommitment: 'c', purpose: 'p', type: 't', log: 1, payload: {} };
      const envelopes = await Promise.all([1, 2, 3, 4].map(() => sealer.sealSoon(input)));
      if (process.argv[2] === 'close') await pool.close();
      console.log('sealed', envelopes.length);
    `;
    const file = join(mkdtempSync(join(tmpdir(), 'seal-pool-')), 'exit.mjs');
    writeFileSync(file, script);
    for (const mode of ['close', 'idle']) {
      const child = spawn(process.execPath, [file, mode], { stdio: 'pipe' });
      let out = '';
      child.stdout.on('data', (d) => {
        out += d;
      });
      const timer = setTimeout(() => child.kill(), 30_000);
      const code = await new Promise((resolve) => child.on('exit', resolve));
      clearTimeout(timer);
      assert.equal(code, 0, `${mode}: the process did not exit by itself`);
      assert.match(out, /sealed 4/);
    }
  });
});
