// The JWS part of a DPoP proof (RFC 7515 compact form, RFC 9449 §4.2): is it a JWT signed by
// the public key in its own header? Answers the payload and the key's RFC 7638 thumbprint;
// the DPoP rules on top (typ, htm, htu, iat, ath, replay) live in dpop.ts.
//
// Why node:crypto here and not jose: the gateway verifies one proof per data call. Through
// jose that is a WebCrypto JWK import plus an async verify per request, ~14 % of the
// gateway's CPU in the release-path profile (issue #10); a synchronous `crypto.verify` with a
// KeyObject cached by thumbprint costs about a fifth of that (`npm run bench -- seal` prints
// both from the same run). The checks are the ones jose's jwtVerify made for us, written out
// below; test/consent/dpop.test.ts holds this file to `verifyProofJwsWithJose` (kept as the
// reference) on valid and broken proofs alike.
import { createHash, createPublicKey, type JsonWebKey, type KeyObject, verify } from 'node:crypto';
import { importJWK, type JWK, jwtVerify } from 'jose';
import { LRUCache } from 'lru-cache';

export const DPOP_ALGS = ['ES256', 'EdDSA'] as const;
export type DpopAlg = (typeof DPOP_ALGS)[number];

/** What a proof's JWS carries once its signature holds. */
export interface VerifiedJws {
  payload: Record<string, unknown>;
  /** RFC 7638 SHA-256 thumbprint of the header's jwk, base64url. */
  jkt: string;
}

/** The proof is not a JWS signed by its own jwk (or its JWT claims are unusable). */
export class ProofSignatureError extends Error {
  override name = 'ProofSignatureError';
}

// kty and crv each alg needs: ES256 is ECDSA on P-256, EdDSA is Ed25519 (as jose's table).
const KEY_TYPE: Record<DpopAlg, { kty: string; crv: string }> = {
  ES256: { kty: 'EC', crv: 'P-256' },
  EdDSA: { kty: 'OKP', crv: 'Ed25519' },
};
const BASE64URL = /^[A-Za-z0-9_-]*$/;
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

function fail(reason: string): never {
  throw new ProofSignatureError(reason);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === null || proto === Object.prototype;
}

function decodeJson(segment: string, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(strictUtf8.decode(Buffer.from(segment, 'base64url')));
  } catch {
    fail(`the ${what} is not base64url JSON`);
  }
  if (!isPlainObject(value)) fail(`the ${what} is not a JSON object`);
  return value;
}

/** RFC 7638: the required members in lexicographic order, no whitespace, SHA-256, base64url. */
export function jwkThumbprint(jwk: Record<string, unknown>): string {
  const { kty, crv, x, y } = jwk;
  if (typeof crv !== 'string' || typeof x !== 'string') fail('the jwk lacks crv or x');
  let members: string;
  if (kty === 'EC') {
    if (typeof y !== 'string') fail('the jwk lacks y');
    members = JSON.stringify({ crv, kty, x, y });
  } else if (kty === 'OKP') members = JSON.stringify({ crv, kty, x });
  else fail('the jwk kty is not EC or OKP');
  return createHash('sha256').update(members).digest('base64url');
}

// The key members WebCrypto's JWK import (through jose) held us to, beyond kty and crv.
function checkKeyMembers(jwk: Record<string, unknown>): void {
  if (jwk['ext'] !== undefined && typeof jwk['ext'] !== 'boolean') fail('the jwk ext must be a boolean');
  const ops = jwk['key_ops'];
  if (ops !== undefined) {
    if (
      !Array.isArray(ops) ||
      ops.some((op) => typeof op !== 'string') ||
      new Set(ops).size !== ops.length ||
      !ops.includes('verify')
    )
      fail('the jwk key_ops must be unique strings that include verify');
  }
}

// JWT numeric dates as jose checked them with clockTolerance 0: present means a number; nbf
// not in the future, exp not reached. (iat's window is a DPoP rule, checked in dpop.ts.)
function checkClaimTimes(payload: Record<string, unknown>, nowS: number): void {
  for (const claim of ['iat', 'nbf', 'exp'])
    if (payload[claim] !== undefined && typeof payload[claim] !== 'number') fail(`${claim} must be a number`);
  if (typeof payload['nbf'] === 'number' && payload['nbf'] > nowS) fail('the proof is not valid yet (nbf)');
  if (typeof payload['exp'] === 'number' && payload['exp'] <= nowS) fail('the proof has expired (exp)');
}

// RFC 7515 §4.1.11: a critical extension we do not process makes the JWS invalid. b64
// (RFC 7797) is the one jose understood, and only while true: a JWT must not use an unencoded
// payload. Outside `crit`, b64 means nothing and is ignored, as jose ignored it.
function checkCrit(header: Record<string, unknown>): void {
  const crit = header['crit'];
  if (crit === undefined) return;
  if (!Array.isArray(crit) || crit.length === 0 || crit.some((c) => typeof c !== 'string' || c === ''))
    fail('crit must be a non-empty array of names');
  if (crit.some((c) => c !== 'b64' || header[c] === undefined))
    fail('the proof names critical header parameters this verifier does not process');
  if (header['b64'] !== true) fail('a JWT must not use an unencoded payload');
}

// One DER INTEGER (X.690) from an unsigned big-endian number: leading zeros dropped, a zero
// byte added when the top bit is set.
function derInteger(bytes: Buffer): Buffer {
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start++;
  const value = bytes.subarray(start);
  const pad = (value[0] ?? 0) & 0x80 ? 1 : 0;
  const out = Buffer.alloc(2 + pad + value.length);
  out[0] = 0x02;
  out[1] = pad + value.length;
  value.copy(out, 2 + pad);
  return out;
}

/**
 * JOSE's ECDSA signature (r || s, RFC 7518 §3.4) as the DER SEQUENCE OpenSSL verifies. Done
 * here rather than with `{ dsaEncoding: 'ieee-p1363' }`: passing crypto.verify an options object
 * instead of a bare KeyObject makes Node probe it as a KeyObject and as a CryptoKey (two caught
 * exceptions), ~12 % of a P-256 verify in the profile.
 */
export function p1363ToDer(signature: Buffer): Buffer {
  const half = signature.length / 2;
  const r = derInteger(signature.subarray(0, half));
  const s = derInteger(signature.subarray(half));
  return Buffer.concat([Buffer.of(0x30, r.length + s.length), r, s]);
}

/** Bounded LRU of public KeyObjects by jwk thumbprint: a client reuses its DPoP key for every call. */
export class ProofKeyCache {
  readonly #keys: LRUCache<string, KeyObject>;
  constructor(max = 10_000) {
    this.#keys = new LRUCache({ max });
  }

  /** The KeyObject for this jwk (whose thumbprint is jkt), imported on first sight only. */
  key(jkt: string, jwk: Record<string, unknown>): KeyObject {
    let key = this.#keys.get(jkt);
    if (!key) {
      try {
        key = createPublicKey({ key: jwk as JsonWebKey, format: 'jwk' });
      } catch {
        fail('the jwk is not a valid public key');
      }
      if (key.type !== 'public') fail('the jwk is not a public key');
      this.#keys.set(jkt, key);
    }
    return key;
  }

  get size(): number {
    return this.#keys.size;
  }
}

/**
 * Verifies the compact JWS `proof` with the jwk of its own protected header, whose alg must be
 * one of DPOP_ALGS and whose key must suit it. Throws ProofSignatureError otherwise.
 */
export function verifyProofJws(proof: string, nowMs: number, keys: ProofKeyCache): VerifiedJws {
  const parts = proof.split('.');
  if (parts.length !== 3 || !parts.every((p) => BASE64URL.test(p))) fail('not a compact JWS');
  const [headerB64 = '', payloadB64 = '', signatureB64 = ''] = parts;
  const header = decodeJson(headerB64, 'protected header');
  const alg = header['alg'];
  if (!DPOP_ALGS.includes(alg as DpopAlg)) fail('alg not accepted');
  checkCrit(header);
  const jwk = header['jwk'];
  if (!isPlainObject(jwk)) fail('no jwk in the header');
  const expected = KEY_TYPE[alg as DpopAlg];
  if (jwk['kty'] !== expected.kty || jwk['crv'] !== expected.crv) fail('the jwk does not suit the alg');
  checkKeyMembers(jwk);
  const jkt = jwkThumbprint(jwk);
  const key = keys.key(jkt, jwk);

  const signature = Buffer.from(signatureB64, 'base64url');
  if (signature.length !== 64) fail('the signature has the wrong length');
  const signingInput = Buffer.from(`${headerB64}.${payloadB64}`, 'latin1');
  const valid =
    alg === 'EdDSA'
      ? verify(null, signingInput, key, signature)
      : verify('sha256', signingInput, key, p1363ToDer(signature));
  if (!valid) fail('the signature does not verify');

  const payload = decodeJson(payloadB64, 'payload');
  checkClaimTimes(payload, Math.floor(nowMs / 1000));
  return { payload, jkt };
}

/**
 * The reference: the same question answered by jose (WebCrypto JWK import + jwtVerify), as the
 * gateway did before. Kept for the differential test and as the benchmark's "before".
 */
export async function verifyProofJwsWithJose(proof: string, nowMs: number, jwk: JWK, alg: string) {
  const key = await importJWK(jwk, alg);
  const { payload } = await jwtVerify(proof, key, {
    typ: 'dpop+jwt',
    algorithms: [...DPOP_ALGS],
    clockTolerance: 0,
    currentDate: new Date(nowMs),
  });
  return payload;
}
