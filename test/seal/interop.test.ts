// The fast path and @hpke/core are byte-compatible: each opens what the other sealed.

import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { describe, it } from 'node:test';
import {
  rawX25519PublicKey,
  setupRecipient,
  setupSender,
  x25519PublicKeyObject,
} from '../../src/seal/fast-hpke.ts';
import { librarySuite, SUITES, type SuiteName } from '../../src/seal/suite.ts';

const info = new TextEncoder().encode('interop');
const aad = new TextEncoder().encode('aad');
const messages = ['', 'hello', 'x'.repeat(5000)].map((m) => new TextEncoder().encode(m));

describe('fast path ↔ @hpke/core interop', () => {
  for (const name of Object.keys(SUITES) as SuiteName[]) {
    const suite = SUITES[name];
    const lib = librarySuite(name);

    it(`${name}: fast-path seal opens with @hpke/core`, async () => {
      const r = await lib.kem.generateKeyPair();
      const raw = new Uint8Array(await lib.kem.serializePublicKey(r.publicKey));
      const sender = setupSender({ suite, recipient: { key: x25519PublicKeyObject(raw), raw }, info });
      const receiver = await lib.createRecipientContext({ recipientKey: r, enc: sender.enc, info });
      for (const m of messages) {
        const ct = sender.seal(m, aad);
        assert.deepEqual(new Uint8Array(await receiver.open(ct, aad)), m);
      }
      assert.deepEqual(sender.export(info, 32), Buffer.from(await receiver.export(info.slice().buffer, 32)));
    });

    it(`${name}: @hpke/core seal opens with the fast path`, async () => {
      const { privateKey, publicKey } = generateKeyPairSync('x25519');
      const raw = rawX25519PublicKey(publicKey);
      const sender = await lib.createSenderContext({
        recipientPublicKey: await lib.kem.deserializePublicKey(raw),
        info,
      });
      const receiver = setupRecipient({
        suite,
        enc: new Uint8Array(sender.enc),
        recipient: { privateKey, publicRaw: raw },
        info,
      });
      for (const m of messages) {
        const ct = new Uint8Array(await sender.seal(m, aad));
        assert.deepEqual(new Uint8Array(receiver.open(ct, aad)), m);
      }
      assert.throws(() => receiver.open(new Uint8Array(32), aad));
    });
  }

  it('rejects the all-zero shared secret (low-order public key)', () => {
    const zero = new Uint8Array(32);
    assert.throws(() =>
      setupSender({
        suite: SUITES['X25519-SHA256-AES128GCM'],
        recipient: { key: x25519PublicKeyObject(zero), raw: zero },
        info,
      }),
    );
  });
});
