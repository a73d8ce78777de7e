// Every way a device must refuse an envelope, each with its reason code.

import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { describe, it } from 'node:test';
import { CompactSign } from 'jose';
import {
  EnvelopeError,
  type EnvelopeErrorCode,
  fromBase64Url,
  generateHpkeKeyPair,
  openEnvelope,
  toBase64Url,
} from '../../src/seal/index.ts';
import { type Fixture, fixture, NOW, openOptions, sealInput } from './helpers.ts';

async function rejects(p: Promise<unknown>, code: EnvelopeErrorCode) {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof EnvelopeError, `expected EnvelopeError, got ${String(e)}`);
    assert.equal(e.code, code, `expected ${code}, got ${e.code}: ${e.reason}`);
    assert.ok(e.reason.length > 10, 'a human-readable reason');
    return true;
  });
}

const dec = (s: string) => JSON.parse(new TextDecoder().decode(fromBase64Url(s)));
const enc = (o: unknown) => toBase64Url(new TextEncoder().encode(JSON.stringify(o)));

function flip(b64: string, at = 0): string {
  const bytes = fromBase64Url(b64);
  bytes[at] = (bytes[at] ?? 0) ^ 0x01;
  return toBase64Url(bytes);
}

/** In transit: change the body but keep the bank's signature. */
// biome-ignore lint/suspicious/noExplicitAny: tests mutate untyped JSON on purpose
type Body = Record<string, any>;

function alterInTransit(env: string, mutate: (body: Body) => void): string {
  const [h, p, s] = env.split('.');
  const body = dec(p ?? '');
  mutate(body);
  return `${h}.${enc(body)}.${s}`;
}

/**
 * Re-signed with a valid bank key after the change: models a confused or compromised signer
 * (or a ciphertext lifted into another envelope). Only the HPKE binding can catch these.
 */
async function alterAndResign(f: Fixture, env: string, mutate: (body: Body) => void) {
  const [h, p] = env.split('.');
  const body = dec(p ?? '');
  mutate(body);
  return new CompactSign(new TextEncoder().encode(JSON.stringify(body)))
    .setProtectedHeader(dec(h ?? ''))
    .sign(f.bankSigning.privateKey);
}

describe('tampering and replay are rejected with a reason', async () => {
  const f = await fixture();
  const env = f.sealer.seal(sealInput(f));

  it('modified ciphertext, in transit → bad_signature', async () => {
    await rejects(
      openEnvelope(
        alterInTransit(env, (b) => (b.ct = flip(b.ct))),
        openOptions(f),
      ),
      'bad_signature',
    );
  });
  it('modified associated data (header field), in transit → bad_signature', async () => {
    await rejects(
      openEnvelope(
        alterInTransit(env, (b) => (b.hdr.log = 1)),
        openOptions(f),
      ),
      'bad_signature',
    );
  });
  it('modified signature → bad_signature', async () => {
    const [h, p, s] = env.split('.');
    await rejects(openEnvelope(`${h}.${p}.${flip(s ?? '', 5)}`, openOptions(f)), 'bad_signature');
  });
  it('signed by a key not in the bank JWKS → unknown_key', async () => {
    await rejects(openEnvelope(env, { ...openOptions(f), bankKeys: { keys: [] } }), 'unknown_key');
  });
  it('valid signature by a stranger claiming the bank kid → bad_signature', async () => {
    const stranger = generateKeyPairSync('ed25519').privateKey;
    const [h, p] = env.split('.');
    const forged = await new CompactSign(fromBase64Url(p ?? ''))
      .setProtectedHeader(dec(h ?? ''))
      .sign(stranger);
    await rejects(openEnvelope(forged, openOptions(f)), 'bad_signature');
  });
  it('modified ciphertext, re-signed → decrypt_failed', async () => {
    await rejects(
      openEnvelope(await alterAndResign(f, env, (b) => (b.ct = flip(b.ct, 3))), openOptions(f)),
      'decrypt_failed',
    );
  });
  it('modified associated data, re-signed (header not the one sealed) → aad_mismatch', async () => {
    await rejects(
      openEnvelope(await alterAndResign(f, env, (b) => (b.hdr.log = 4712)), openOptions(f)),
      'aad_mismatch',
    );
  });
  it('ciphertext lifted into an envelope for another purpose, re-signed → aad_mismatch', async () => {
    const lifted = await alterAndResign(f, env, (b) => (b.hdr.purpose = 'fraud_alert'));
    await rejects(openEnvelope(lifted, openOptions(f, { purpose: 'fraud_alert' })), 'aad_mismatch');
  });
  it('replayed for another purpose → wrong_purpose', async () => {
    await rejects(openEnvelope(env, openOptions(f, { purpose: 'fraud_alert' })), 'wrong_purpose');
  });
  it('replayed under another consent → wrong_consent', async () => {
    await rejects(openEnvelope(env, openOptions(f, { consentCommitment: 'c1_other' })), 'wrong_consent');
  });
  it('another bank id → wrong_bank; another message type → wrong_type', async () => {
    await rejects(openEnvelope(env, openOptions(f, { bankId: 'other.example' })), 'wrong_bank');
    await rejects(openEnvelope(env, openOptions(f, { type: 'alert' })), 'wrong_type');
  });
  it('sealed to another device → wrong_recipient', async () => {
    await rejects(
      openEnvelope(env, { ...openOptions(f), deviceKey: await generateHpkeKeyPair() }),
      'wrong_recipient',
    );
  });
  it('older than maxAge, past exp, or dated in the future → expired', async () => {
    await rejects(
      openEnvelope(env, { ...openOptions(f), now: NOW + 301_000, maxAgeSeconds: 300 }),
      'expired',
    );
    const short = f.sealer.seal(sealInput(f, { exp: Math.floor(NOW / 1000) + 30 }));
    await rejects(openEnvelope(short, { ...openOptions(f), now: NOW + 31_000 }), 'expired');
    await rejects(openEnvelope(env, { ...openOptions(f), now: NOW - 600_000 }), 'expired');
  });
  it('another version or JWS typ → unsupported_version', async () => {
    await rejects(
      openEnvelope(await alterAndResign(f, env, (b) => (b.v = 2)), openOptions(f)),
      'unsupported_version',
    );
    await rejects(
      openEnvelope(await alterAndResign(f, env, (b) => (b.suite = 'X448')), openOptions(f)),
      'unsupported_version',
    );
    const [, p, s] = env.split('.');
    const h = enc({ alg: 'EdDSA', kid: f.bankSigning.kid, typ: 'JWT' });
    await rejects(openEnvelope(`${h}.${p}.${s}`, openOptions(f)), 'unsupported_version');
  });
  it('garbage, unknown or mistyped fields → malformed', async () => {
    await rejects(openEnvelope('not-an-envelope', openOptions(f)), 'malformed');
    await rejects(
      openEnvelope(await alterAndResign(f, env, (b) => (b.extra = 1)), openOptions(f)),
      'malformed',
    );
    await rejects(
      openEnvelope(await alterAndResign(f, env, (b) => (b.hdr.note = 'x')), openOptions(f)),
      'malformed',
    );
    await rejects(
      openEnvelope(await alterAndResign(f, env, (b) => (b.hdr.log = '7')), openOptions(f)),
      'malformed',
    );
  });
});
