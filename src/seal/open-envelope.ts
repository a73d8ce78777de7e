// Device side: verify the bank's signature, check the header binds this message to the
// expected bank / consent / purpose / type / device key and is fresh, then HPKE-open it.
// Browser-safe: WebCrypto, jose and @hpke/core only.

import { compactVerify, importJWK, type JWK, errors as joseErrors } from 'jose';
import { decodeBody } from './body.ts';
import { fromBase64Url, fromUtf8 } from './encoding.ts';
import { EnvelopeError } from './errors.ts';
import type { EnvelopeHeader } from './header.ts';
import { exportX25519PublicKey, keyThumbprint } from './keys.ts';
import { checkExpectations, type Expectations, type Freshness, hpkeOpen } from './open-common.ts';
import { INFO_ENVELOPE } from './suite.ts';

export const ENVELOPE_JWS_TYP = 'proviso-envelope+jws';
/** Signature algorithms a bank may use: Ed25519 (as "EdDSA" or RFC 9864 "Ed25519") and P-256. */
export const ENVELOPE_JWS_ALGS = ['EdDSA', 'Ed25519', 'ES256'] as const;

export interface JsonWebKeySet {
  keys: JWK[];
}

/** Finds the bank's verification key for a `kid`; undefined means "no such key". */
export type BankKeyResolver = (kid: string, alg: string) => Promise<CryptoKey | JWK | undefined>;

/** The device's HPKE key pair, or a lookup by the header's `rcpt` thumbprint (several keys after rotation). */
export type DeviceKeyInput = CryptoKeyPair | ((rcptThumbprint: string) => Promise<CryptoKeyPair | undefined>);

export interface OpenEnvelopeOptions extends Freshness {
  deviceKey: DeviceKeyInput;
  bankKeys: JsonWebKeySet | BankKeyResolver;
  expect: Expectations;
}

export interface OpenedEnvelope<T = unknown> {
  header: EnvelopeHeader;
  payload: T;
  /** The bank signing key that vouched for the envelope. */
  kid: string;
}

function protectedHeader(jws: string): { alg: string; kid: string } {
  const parts = jws.split('.');
  if (parts.length !== 3) throw new EnvelopeError('malformed', 'not a compact JWS');
  let h: Record<string, unknown>;
  try {
    h = JSON.parse(fromUtf8(fromBase64Url(parts[0] ?? '')));
  } catch {
    throw new EnvelopeError('malformed', 'JWS protected header is not base64url JSON');
  }
  if (h['typ'] !== ENVELOPE_JWS_TYP) {
    throw new EnvelopeError('unsupported_version', `JWS typ ${String(h['typ'])} is not a Proviso envelope`);
  }
  if (typeof h['alg'] !== 'string' || !(ENVELOPE_JWS_ALGS as readonly string[]).includes(h['alg'])) {
    throw new EnvelopeError('unsupported_version', `signature algorithm ${String(h['alg'])} is not accepted`);
  }
  if (typeof h['kid'] !== 'string' || h['kid'].length === 0)
    throw new EnvelopeError('malformed', 'JWS has no kid');
  return { alg: h['alg'], kid: h['kid'] };
}

async function resolveBankKey(keys: JsonWebKeySet | BankKeyResolver, kid: string, alg: string) {
  let found: CryptoKey | JWK | undefined;
  if (typeof keys === 'function') found = await keys(kid, alg);
  else found = keys.keys.find((k) => k.kid === kid && (k.use === undefined || k.use === 'sig'));
  if (found === undefined) throw new EnvelopeError('unknown_key', `the bank has no signing key "${kid}"`);
  if (!('kty' in found)) return found;
  if (found.alg !== undefined && found.alg !== alg) {
    throw new EnvelopeError('unknown_key', `key "${kid}" is not for algorithm ${alg}`);
  }
  try {
    return await importJWK(found, alg);
  } catch (e) {
    throw new EnvelopeError('unknown_key', `key "${kid}" cannot be used for ${alg}`, { cause: e });
  }
}

async function deviceKeyFor(input: DeviceKeyInput, rcpt: string): Promise<CryptoKeyPair> {
  if (typeof input === 'function') {
    const pair = await input(rcpt);
    if (pair) return pair;
  } else if ((await keyThumbprint(await exportX25519PublicKey(input.publicKey))) === rcpt) {
    return input;
  }
  throw new EnvelopeError('wrong_recipient', 'sealed to a device key this device does not hold');
}

export async function openEnvelope<T = unknown>(
  envelope: string,
  options: OpenEnvelopeOptions,
): Promise<OpenedEnvelope<T>> {
  if (typeof envelope !== 'string') throw new EnvelopeError('malformed', 'envelope must be a string');
  const { alg, kid } = protectedHeader(envelope);
  const key = await resolveBankKey(options.bankKeys, kid, alg);
  let payload: Uint8Array;
  try {
    ({ payload } = await compactVerify(envelope, key, { algorithms: [alg] }));
  } catch (e) {
    if (e instanceof joseErrors.JWSSignatureVerificationFailed) {
      throw new EnvelopeError(
        'bad_signature',
        "the bank's signature does not verify: the envelope was altered",
      );
    }
    throw new EnvelopeError('malformed', 'the JWS cannot be verified', { cause: e });
  }
  const decoded = decodeBody(payload);
  const header = decoded.body.hdr;
  checkExpectations(header, options.expect, options);
  const deviceKey = await deviceKeyFor(options.deviceKey, header.rcpt);
  const opened = await hpkeOpen(decoded, deviceKey, INFO_ENVELOPE);
  return { header, payload: opened as T, kid };
}
