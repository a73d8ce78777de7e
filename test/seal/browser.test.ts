// Cross-implementation: the device bundle running in real Chromium (WebCrypto + @hpke/core,
// key in IndexedDB) against the Node gateway (fast path, in-thread and on the sealing pool) and
// bank (openReply), both directions.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  createPooledSealer,
  fromBase64Url,
  keyThumbprint,
  openReply,
  type SealInput,
  SealingPool,
} from '../../src/seal/index.ts';
import { type DeviceBrowser, startDeviceBrowser } from './browser-harness.ts';
import { BALANCE, BANK_ID, CONSENT, type Fixture, fixture, NOW, sealInput } from './helpers.ts';

// Everything the page needs arrives as JSON; `window.seal` is the bundled src/seal/device.ts.
type Seal = typeof import('../../src/seal/device.ts');
declare const window: { seal: Seal };

describe('device bundle in Chromium ↔ Node gateway', () => {
  let b: DeviceBrowser;
  let f: Fixture;
  let device: { base64url: string; thumbprint: string; fingerprint: string; extractable: boolean };

  before(async () => {
    b = await startDeviceBrowser();
    f = await fixture();
    device = await b.page.evaluate(async () => {
      const ks = await window.seal.openDeviceKeystore('proviso-test');
      const k = await ks.ensure();
      return {
        base64url: k.publicKey.base64url,
        thumbprint: k.thumbprint,
        fingerprint: k.fingerprint,
        extractable: k.keyPair.privateKey.extractable,
      };
    });
  });
  after(async () => b?.close());

  it('the bundle imports nothing Node-specific of ours (only @hpke’s unreachable fallback)', () => {
    for (const w of b.nodeImports) assert.match(w, /node_modules\/@hpke\//);
  });

  it('the device key lives in IndexedDB, non-extractable, and survives a reload', async () => {
    assert.equal(device.extractable, false);
    assert.equal(device.thumbprint, await keyThumbprint(device.base64url));
    await b.page.reload();
    await b.page.waitForFunction(() => (window as unknown as { sealReady?: boolean }).sealReady === true);
    const again = await b.page.evaluate(
      async () => (await (await window.seal.openDeviceKeystore('proviso-test')).current())?.thumbprint,
    );
    assert.equal(again, device.thumbprint);
  });

  it('sealed in Node (fast path) → opened in the browser', async () => {
    const envelope = f.sealer.seal(sealInput(f, { recipientPublicKey: device.base64url }));
    const result = await b.page.evaluate(
      async ({ envelope, jwks, bankId, consent, now }) => {
        const ks = await window.seal.openDeviceKeystore('proviso-test');
        const opened = await window.seal.openEnvelope(envelope, {
          deviceKey: (t) => ks.byThumbprint(t),
          bankKeys: jwks,
          expect: { bankId, consentCommitment: consent, purpose: 'balance_check', type: 'balance' },
          now,
        });
        return { payload: opened.payload, log: opened.header.log };
      },
      { envelope, jwks: f.jwks, bankId: BANK_ID, consent: CONSENT, now: NOW },
    );
    assert.deepEqual(result, { payload: BALANCE, log: 4711 });
  });

  it('sealed on the sealing pool (worker threads) → opened in the browser', async () => {
    const pool = new SealingPool({ threads: 2 });
    const pooled = createPooledSealer({
      pool,
      bankId: BANK_ID,
      clock: () => NOW,
      signingKey: { key: f.bankSigning.privateKey, kid: f.bankSigning.kid, alg: 'EdDSA' },
    });
    const envelopes = await Promise.all(
      [1, 2, 3, 4].map((log) =>
        pooled.sealSoon(sealInput(f, { recipientPublicKey: device.base64url, log }) as SealInput),
      ),
    );
    await pool.close();
    const opened = await b.page.evaluate(
      async ({ envelopes, jwks, bankId, consent, now }) => {
        const ks = await window.seal.openDeviceKeystore('proviso-test');
        const out = [];
        for (const envelope of envelopes) {
          const o = await window.seal.openEnvelope(envelope, {
            deviceKey: (t) => ks.byThumbprint(t),
            bankKeys: jwks,
            expect: { bankId, consentCommitment: consent, purpose: 'balance_check', type: 'balance' },
            now,
          });
          out.push({ payload: o.payload, log: o.header.log });
        }
        return out;
      },
      { envelopes, jwks: f.jwks, bankId: BANK_ID, consent: CONSENT, now: NOW },
    );
    assert.deepEqual(
      opened,
      [1, 2, 3, 4].map((log) => ({ payload: BALANCE, log })),
    );
  });

  it('the browser shows the reason for tampered or replayed envelopes', async () => {
    const envelope = f.sealer.seal(sealInput(f, { recipientPublicKey: device.base64url }));
    const [h, p, s] = envelope.split('.');
    const body = JSON.parse(new TextDecoder().decode(fromBase64Url(p ?? '')));
    body.ct = `${body.ct.slice(0, -2)}${body.ct.endsWith('AA') ? 'BA' : 'AA'}`;
    const tampered = `${h}.${Buffer.from(JSON.stringify(body)).toString('base64url')}.${s}`;
    const codes = await b.page.evaluate(
      async ({ envelope, tampered, jwks, bankId, consent, now }) => {
        const ks = await window.seal.openDeviceKeystore('proviso-test');
        const attempt = async (env: string, purpose: string) => {
          try {
            await window.seal.openEnvelope(env, {
              deviceKey: (t) => ks.byThumbprint(t),
              bankKeys: jwks,
              expect: { bankId, consentCommitment: consent, purpose },
              now,
            });
            return 'opened';
          } catch (e) {
            return e instanceof window.seal.EnvelopeError ? `${e.code}: ${e.reason}` : `other: ${String(e)}`;
          }
        };
        return [await attempt(tampered, 'balance_check'), await attempt(envelope, 'fraud_alert')];
      },
      { envelope, tampered, jwks: f.jwks, bankId: BANK_ID, consent: CONSENT, now: NOW },
    );
    assert.match(codes[0] ?? '', /^bad_signature: /);
    assert.match(codes[1] ?? '', /^wrong_purpose: /);
  });

  it('sealed in the browser (reply, auth mode with the IndexedDB key) → opened in Node', async () => {
    const reply = await b.page.evaluate(
      async ({ bankPublicKey, bankId, consent, now }) => {
        const ks = await window.seal.openDeviceKeystore('proviso-test');
        const k = await ks.ensure();
        return window.seal.sealReply({
          deviceKey: k.keyPair,
          bankPublicKey,
          bankId,
          consentCommitment: consent,
          purpose: 'fraud_alert',
          log: 9001,
          inReplyTo: 'alert-42',
          payload: { answer: 'not_me' },
          now,
        });
      },
      {
        bankPublicKey: Buffer.from(f.bankHpkePublic).toString('base64url'),
        bankId: BANK_ID,
        consent: CONSENT,
        now: NOW,
      },
    );
    const opened = await openReply(reply, {
      bankKey: f.bankHpke,
      deviceKeys: [device.base64url],
      expect: { bankId: BANK_ID, consentCommitment: CONSENT, purpose: 'fraud_alert', inReplyTo: 'alert-42' },
      now: NOW,
    });
    assert.deepEqual(opened.payload, { answer: 'not_me' });
    assert.equal(opened.header.sndr, device.thumbprint);
  });

  it('after rotation the browser still opens envelopes sealed to the previous key', async () => {
    const before = f.sealer.seal(sealInput(f, { recipientPublicKey: device.base64url, id: 'pre-rotation' }));
    const rotated = await b.page.evaluate(async () => {
      const ks = await window.seal.openDeviceKeystore('proviso-test');
      const r = await ks.rotate();
      return {
        current: r.current.publicKey.base64url,
        previous: r.previous?.thumbprint,
        count: (await ks.all()).length,
      };
    });
    assert.equal(rotated.previous, device.thumbprint);
    assert.notEqual(await keyThumbprint(rotated.current), device.thumbprint);
    const after = f.sealer.seal(sealInput(f, { recipientPublicKey: rotated.current, id: 'post-rotation' }));
    const ids = await b.page.evaluate(
      async ({ envs, jwks, bankId, consent, now }) => {
        const ks = await window.seal.openDeviceKeystore('proviso-test');
        const out: string[] = [];
        for (const env of envs) {
          const o = await window.seal.openEnvelope(env, {
            deviceKey: (t) => ks.byThumbprint(t),
            bankKeys: jwks,
            expect: { bankId, consentCommitment: consent },
            now,
          });
          out.push(o.header.id);
        }
        return out;
      },
      { envs: [before, after], jwks: f.jwks, bankId: BANK_ID, consent: CONSENT, now: NOW },
    );
    assert.deepEqual(ids, ['pre-rotation', 'post-rotation']);
  });
});
