// Round trips of the sealed envelope: gateway (fast path and library path) → device.

import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { describe, it } from 'node:test';
import {
  createSealer,
  fromBase64Url,
  headerAad,
  keyFingerprint,
  keyThumbprint,
  openEnvelope,
  publicJwk,
} from '../../src/seal/index.ts';
import { BALANCE, BANK_ID, CONSENT, fixture, jwkFor, NOW, openOptions, sealInput } from './helpers.ts';

describe('sealed envelope round trip', () => {
  it('fast-path envelope opens on the device with header and payload', async () => {
    const f = await fixture();
    const env = f.sealer.seal(sealInput(f));
    const opened = await openEnvelope(env, openOptions(f));
    assert.deepEqual(opened.payload, BALANCE);
    assert.equal(opened.kid, f.bankSigning.kid);
    assert.equal(opened.header.bank, BANK_ID);
    assert.equal(opened.header.consent, CONSENT);
    assert.equal(opened.header.log, 4711);
    assert.equal(opened.header.iat, Math.floor(NOW / 1000));
    assert.equal(opened.header.rcpt, await keyThumbprint(f.devicePublic));
  });

  it('library-path envelope opens the same way', async () => {
    const f = await fixture();
    const opened = await openEnvelope(await f.sealer.sealWithLibrary(sealInput(f)), openOptions(f));
    assert.deepEqual(opened.payload, BALANCE);
  });

  it('ES256 bank signatures and ChaCha20-Poly1305 work too', async () => {
    const f = await fixture('ES256');
    const sealer = createSealer({
      signingKey: { key: f.bankSigning.privateKey, kid: f.bankSigning.kid, alg: 'ES256' },
      bankId: BANK_ID,
      suite: 'X25519-SHA256-CHACHA20POLY1305',
      clock: () => NOW,
    });
    for (const env of [sealer.seal(sealInput(f)), await sealer.sealWithLibrary(sealInput(f))]) {
      assert.deepEqual((await openEnvelope(env, openOptions(f))).payload, BALANCE);
    }
  });

  it('accepts the recipient key as raw bytes, base64url or JWK, and a key resolver', async () => {
    const f = await fixture();
    const jwk = publicJwk(f.devicePublic);
    for (const recipientPublicKey of [f.devicePublic, jwk.x, jwk]) {
      const env = f.sealer.seal(sealInput(f, { recipientPublicKey }));
      const rcpt = await keyThumbprint(jwk);
      const opened = await openEnvelope(env, {
        ...openOptions(f),
        deviceKey: async (t: string) => (t === rcpt ? f.device : undefined),
        bankKeys: async (kid: string) => f.jwks.keys.find((k) => k.kid === kid),
      });
      assert.deepEqual(opened.payload, BALANCE);
    }
  });

  it('picks the bank key by kid from a JWKS with several keys (rotation)', async () => {
    const f = await fixture();
    const old = generateKeyPairSync('ed25519');
    const jwks = { keys: [jwkFor(old.publicKey, 'bank-sig-old', 'EdDSA'), ...f.jwks.keys] };
    const opened = await openEnvelope(f.sealer.seal(sealInput(f)), { ...openOptions(f), bankKeys: jwks });
    assert.equal(opened.kid, f.bankSigning.kid);
  });

  it('the JWS payload is the documented body and the AAD is the canonical header', async () => {
    const f = await fixture();
    const env = f.sealer.seal(sealInput(f, { exp: Math.floor(NOW / 1000) + 60 }));
    const [h, p] = env.split('.');
    assert.deepEqual(JSON.parse(new TextDecoder().decode(fromBase64Url(h ?? ''))), {
      alg: 'EdDSA',
      kid: f.bankSigning.kid,
      typ: 'proviso-envelope+jws',
    });
    const body = JSON.parse(new TextDecoder().decode(fromBase64Url(p ?? '')));
    assert.deepEqual(Object.keys(body), ['v', 'suite', 'hdr', 'enc', 'bind', 'ct']);
    assert.equal(body.suite, 'X25519-SHA256-AES128GCM');
    const aad = new TextDecoder().decode(headerAad(body.hdr));
    assert.equal(
      aad,
      `{"bank":"bank.example","consent":"${CONSENT}","exp":${Math.floor(NOW / 1000) + 60},"iat":${Math.floor(NOW / 1000)},` +
        `"id":"msg-1","log":4711,"purpose":"balance_check","rcpt":"${body.hdr.rcpt}","type":"balance","v":1}`,
    );
  });

  it('the AAD of a header with every field (a reply) is its keys sorted, no whitespace', () => {
    const hdr = {
      v: 1 as const,
      bank: 'bank.example',
      consent: CONSENT,
      purpose: 'fraud_alerts',
      type: 'reply',
      log: 7,
      iat: 1_700_000_000,
      exp: 1_700_000_060,
      id: 'msg-2',
      rcpt: 'rcpt-thumb',
      sndr: 'sndr-thumb',
      re: 'alert-1',
    };
    const sorted = Object.keys(hdr)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${JSON.stringify(hdr[k as keyof typeof hdr])}`);
    assert.equal(new TextDecoder().decode(headerAad(hdr)), `{${sorted.join(',')}}`);
  });

  it('fingerprints are short grouped hex of SHA-256(raw key); thumbprints follow RFC 7638', async () => {
    // RFC 7638 §3.1 style check on a fixed key: the thumbprint input is the ordered required members.
    const raw = new Uint8Array(32).fill(7);
    assert.match(await keyFingerprint(raw), /^[0-9a-f]{4} [0-9a-f]{4} [0-9a-f]{4} [0-9a-f]{4}$/);
    const { createHash } = await import('node:crypto');
    const x = Buffer.from(raw).toString('base64url');
    const expected = createHash('sha256')
      .update(`{"crv":"X25519","kty":"OKP","x":"${x}"}`)
      .digest('base64url');
    assert.equal(await keyThumbprint(raw), expected);
    assert.equal(
      await keyFingerprint(raw),
      createHash('sha256').update(raw).digest('hex').slice(0, 16).match(/.{4}/g)?.join(' '),
    );
  });
});
