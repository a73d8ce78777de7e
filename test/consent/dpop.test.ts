// The DPoP proof's JWS check on node:crypto (src/consent/dpop-proof.ts) answers exactly as
// jose's jwtVerify did (the reference kept beside it): every proof below, valid or broken in
// one way, is accepted by both or refused by both, with the same payload and thumbprint. Then
// the DPoP rules on top (DpopVerifier.verify) keep their specific refusals, and a client's key
// is imported once, not once per request.
import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync, type KeyObject, randomUUID, sign, verify } from 'node:crypto';
import { describe, test } from 'node:test';
import { calculateJwkThumbprint, decodeProtectedHeader, type JWK } from 'jose';
import { DpopVerifier } from '../../src/consent/dpop.ts';
import {
  ProofKeyCache,
  ProofSignatureError,
  p1363ToDer,
  verifyProofJws,
  verifyProofJwsWithJose,
} from '../../src/consent/dpop-proof.ts';
import { Problem } from '../../src/http/index.ts';
import type { Database } from '../../src/storage/index.ts';

const NOW = Date.parse('2026-11-30T12:00:00Z');
const NOW_S = NOW / 1000;
const URL_ = 'https://bank.example/banks/northwind/open-banking/v3.1/aisp/accounts';
const TOKEN = 'access-token-for-tests';
const ath = createHash('sha256').update(TOKEN).digest('base64url');
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

type Alg = 'ES256' | 'EdDSA';
interface Signer {
  alg: Alg;
  privateKey: KeyObject;
  jwk: Record<string, unknown>;
}

function signer(alg: Alg): Signer {
  const pair =
    alg === 'ES256' ? generateKeyPairSync('ec', { namedCurve: 'P-256' }) : generateKeyPairSync('ed25519');
  return { alg, privateKey: pair.privateKey, jwk: pair.publicKey.export({ format: 'jwk' }) };
}

function signature(s: Signer, input: string): string {
  const data = Buffer.from(input);
  const sig =
    s.alg === 'EdDSA'
      ? sign(null, data, s.privateKey)
      : sign('sha256', data, { key: s.privateKey, dsaEncoding: 'ieee-p1363' });
  return sig.toString('base64url');
}

function claims(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { jti: randomUUID(), htm: 'GET', htu: URL_, iat: NOW_S, ath, ...extra };
}

/** A compact JWS over any header and payload, signed by `s`. */
function jws(s: Signer, header: Record<string, unknown>, payload: unknown): string {
  const input = `${b64(header)}.${b64(payload)}`;
  return `${input}.${signature(s, input)}`;
}

function proof(s: Signer, headerExtra: Record<string, unknown> = {}, payload: unknown = claims()): string {
  return jws(s, { alg: s.alg, typ: 'dpop+jwt', jwk: s.jwk, ...headerExtra }, payload);
}

type Outcome = { ok: true; payload: unknown; jkt: string } | { ok: false };

async function byJose(p: string): Promise<Outcome> {
  try {
    const header = decodeProtectedHeader(p);
    const jwk = header.jwk as JWK;
    const payload = await verifyProofJwsWithJose(p, NOW, jwk, header.alg ?? '');
    return { ok: true, payload, jkt: await calculateJwkThumbprint(jwk, 'sha256') };
  } catch {
    return { ok: false };
  }
}

function byNode(p: string, keys = new ProofKeyCache()): Outcome {
  try {
    const { payload, jkt } = verifyProofJws(p, NOW, keys);
    return { ok: true, payload, jkt };
  } catch (e) {
    assert.ok(e instanceof ProofSignatureError, `unexpected ${String(e)}`);
    return { ok: false };
  }
}

function cases(s: Signer, other: Signer, otherAlg: Signer): Record<string, { proof: string; ok: boolean }> {
  const valid = proof(s);
  const [h, p, sig] = valid.split('.') as [string, string, string];
  const flipped = Buffer.from(sig, 'base64url');
  flipped[5] = (flipped[5] ?? 0) ^ 1;
  const badPoint = { ...s.jwk, x: Buffer.alloc(32, 7).toString('base64url') };
  const derSig =
    s.alg === 'ES256'
      ? sign('sha256', Buffer.from(`${h}.${p}`), s.privateKey).toString('base64url')
      : `${sig}AA`;
  return {
    valid: { proof: valid, ok: true },
    'valid, with exp ahead and nbf behind': {
      proof: proof(s, {}, claims({ exp: NOW_S + 30, nbf: NOW_S - 1 })),
      ok: true,
    },
    'valid, jwk with key_ops verify and ext': {
      proof: proof(s, { jwk: { ...s.jwk, key_ops: ['verify'], ext: true } }),
      ok: true,
    },
    'valid, b64 true named critical': { proof: proof(s, { crit: ['b64'], b64: true }), ok: true },
    'valid, b64 false outside crit (ignored)': { proof: proof(s, { b64: false }), ok: true },
    'signature with a flipped bit': { proof: `${h}.${p}.${flipped.toString('base64url')}`, ok: false },
    'payload changed after signing': { proof: `${h}.${b64(claims({ htm: 'POST' }))}.${sig}`, ok: false },
    'signed by another key than its jwk': { proof: proof(other, { jwk: s.jwk }), ok: false },
    'alg of the other key type': { proof: proof(s, { alg: otherAlg.alg }), ok: false },
    'signature in DER / wrong length': { proof: `${h}.${p}.${derSig}`, ok: false },
    'jwk with a point not on the curve': { proof: proof(s, { jwk: badPoint }), ok: false },
    'jwk of another curve': {
      proof: proof(s, { jwk: { ...s.jwk, crv: s.alg === 'ES256' ? 'P-384' : 'Ed448' } }),
      ok: false,
    },
    'jwk with key_ops sign only': { proof: proof(s, { jwk: { ...s.jwk, key_ops: ['sign'] } }), ok: false },
    'jwk with ext not a boolean': { proof: proof(s, { jwk: { ...s.jwk, ext: 'yes' } }), ok: false },
    'exp reached': { proof: proof(s, {}, claims({ exp: NOW_S })), ok: false },
    'nbf in the future': { proof: proof(s, {}, claims({ nbf: NOW_S + 1 })), ok: false },
    'iat not a number': { proof: proof(s, {}, claims({ iat: String(NOW_S) })), ok: false },
    'payload an array': { proof: proof(s, {}, [claims()]), ok: false },
    'payload not JSON': {
      proof: (() => {
        const input = `${h}.${Buffer.from('not json').toString('base64url')}`;
        return `${input}.${signature(s, input)}`;
      })(),
      ok: false,
    },
    'unknown critical parameter': { proof: proof(s, { crit: ['exp'], exp: 1 }), ok: false },
    'b64 false named critical': { proof: proof(s, { crit: ['b64'], b64: false }), ok: false },
    'two segments': { proof: `${h}.${p}`, ok: false },
    'four segments': { proof: `${valid}.${sig}`, ok: false },
    'a character outside base64url': { proof: `${h}.${p}+.${sig}`, ok: false },
    'empty signature': { proof: `${h}.${p}.`, ok: false },
  };
}

describe('DPoP proof JWS on node:crypto, held to jose', () => {
  for (const alg of ['ES256', 'EdDSA'] as const) {
    test(`${alg}: every proof is accepted or refused as jose does`, async () => {
      const s = signer(alg);
      const other = signer(alg);
      const otherAlg = signer(alg === 'ES256' ? 'EdDSA' : 'ES256');
      for (const [name, c] of Object.entries(cases(s, other, otherAlg))) {
        const reference = await byJose(c.proof);
        const fast = byNode(c.proof);
        assert.equal(reference.ok, c.ok, `jose on "${name}"`);
        assert.deepEqual(fast, reference, `node:crypto on "${name}" differs from jose`);
      }
    });
  }

  test('a key is imported once per thumbprint, and the cache stays bounded', () => {
    const keys = new ProofKeyCache(2);
    const a = signer('ES256');
    for (let i = 0; i < 5; i++) assert.equal(byNode(proof(a), keys).ok, true);
    assert.equal(keys.size, 1);
    for (const s of [signer('EdDSA'), signer('ES256'), signer('EdDSA')]) byNode(proof(s), keys);
    assert.equal(keys.size, 2);
    // An evicted key is imported again and still verifies.
    assert.equal(byNode(proof(a), keys).ok, true);
  });

  test('an r || s signature becomes the DER one OpenSSL verifies (leading zeros, high bits)', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const shapes = new Set<string>();
    for (let i = 0; i < 400; i++) {
      const data = Buffer.from(`message ${i}`);
      const raw = sign('sha256', data, { key: privateKey, dsaEncoding: 'ieee-p1363' });
      const der = p1363ToDer(raw);
      assert.equal(verify('sha256', data, publicKey, der), true, `signature ${i}`);
      assert.equal(verify('sha256', Buffer.from(`other ${i}`), publicKey, der), false);
      shapes.add(`${(raw[0] ?? 0) >= 0x80}/${(raw[32] ?? 0) >= 0x80}`);
    }
    assert.equal(shapes.size, 4, 'every mix of high bits in r and s was exercised');
  });

  test('a cached key does not vouch for another key with the same members but a bad signature', () => {
    const keys = new ProofKeyCache();
    const s = signer('EdDSA');
    assert.equal(byNode(proof(s), keys).ok, true);
    assert.equal(byNode(proof(signer('EdDSA'), { jwk: s.jwk }), keys).ok, false);
  });
});

describe('DpopVerifier keeps its specific refusals', () => {
  // verify() never touches the replay table (claim() does), so no database is opened here.
  const verifier = new DpopVerifier({ tables: () => ({}) } as unknown as Database);
  const s = signer('ES256');
  const refusal = async (p: string, method = 'GET', url = URL_): Promise<string> => {
    try {
      await verifier.verify(p, method, url, TOKEN, NOW);
    } catch (e) {
      assert.ok(e instanceof Problem);
      return `${e.slug} ${e.message}`;
    }
    return 'accepted';
  };

  test('a valid proof gives its thumbprint and jti', async () => {
    const jti = randomUUID();
    const verified = await verifier.verify(proof(s, {}, claims({ jti })), 'GET', URL_, TOKEN, NOW);
    assert.deepEqual(verified, { jkt: await calculateJwkThumbprint(s.jwk as JWK, 'sha256'), jti });
  });

  test('each broken rule is named', async () => {
    assert.match(await refusal('garbage'), /dpop-proof-invalid the DPoP header is not a JWS/);
    assert.match(await refusal(proof(s, { typ: 'JWT' })), /dpop-proof-invalid .*typ/);
    assert.match(await refusal(proof(s, { alg: 'RS256' })), /dpop-proof-invalid .*alg must be one of/);
    assert.match(await refusal(proof(s, { jwk: undefined })), /dpop-proof-invalid .*public jwk/);
    assert.match(await refusal(proof(s, { jwk: { ...s.jwk, d: 'x' } })), /must be a public key/);
    assert.match(await refusal(proof(signer('ES256'), { jwk: s.jwk })), /signature does not verify/);
    assert.match(await refusal(proof(s, {}, claims({ jti: 'short' }))), /dpop-proof-invalid .*jti/);
    assert.match(await refusal(proof(s), 'POST'), /dpop-method-mismatch/);
    assert.match(await refusal(proof(s), 'GET', `${URL_}/x`), /dpop-url-mismatch/);
    assert.match(await refusal(proof(s, {}, claims({ iat: NOW_S - 61 }))), /dpop-proof-stale/);
    assert.match(await refusal(proof(s, {}, claims({ iat: NOW_S + 6 }))), /dpop-proof-stale/);
    assert.match(await refusal(proof(s, {}, claims({ ath: 'x' }))), /dpop-ath-mismatch/);
    assert.equal(await refusal(proof(s)), 'accepted');
  });
});
