// Detached JWS (RFC 7515 Appendix F) in the UK Open Banking profile (`x-jws-signature`,
// v3.1.4+: no b64 header, the body bytes as the payload, the OB claims in the protected header
// and listed in `crit`), and the bank's signed payment confirmations. jose does the signing and
// verification; this file only builds and takes apart the detached form.

import type { KeyObject } from 'node:crypto';
import { CompactSign, compactVerify, createLocalJWKSet, type JWK, type JWTVerifyGetKey } from 'jose';

export const OB_IAT = 'http://openbanking.org.uk/iat';
export const OB_ISS = 'http://openbanking.org.uk/iss';
export const OB_TAN = 'http://openbanking.org.uk/tan';
const CRIT = [OB_IAT, OB_ISS, OB_TAN];
const TRUST_ANCHOR = 'openbanking.org.uk';

export class JwsSignatureError extends Error {
  override name = 'JwsSignatureError';
}

export interface SigningKey {
  key: KeyObject | CryptoKey;
  kid: string;
}

/** `header..signature` over the exact body bytes, signed by `issuer`'s key (ES256). */
export async function signDetached(
  body: string | Uint8Array,
  issuer: string,
  signer: SigningKey,
): Promise<string> {
  const bytes = typeof body === 'string' ? new TextEncoder().encode(body) : body;
  const jws = await new CompactSign(bytes)
    .setProtectedHeader({
      alg: 'ES256',
      kid: signer.kid,
      typ: 'JOSE',
      cty: 'application/json',
      [OB_IAT]: Math.floor(Date.now() / 1000),
      [OB_ISS]: issuer,
      [OB_TAN]: TRUST_ANCHOR,
      crit: CRIT,
    })
    .sign(signer.key, { crit: { [OB_IAT]: true, [OB_ISS]: true, [OB_TAN]: true } });
  const [header, , signature] = jws.split('.');
  return `${header}..${signature}`;
}

/**
 * Verifies a detached `x-jws-signature` over `body` against `jwks`; the OB issuer claim must be
 * `issuer` when given. Throws JwsSignatureError saying what is wrong (never the body).
 */
export async function verifyDetachedJws(
  body: string | Uint8Array,
  signature: string,
  jwks: { keys: JWK[] } | JWTVerifyGetKey,
  issuer?: string,
): Promise<Record<string, unknown>> {
  const parts = signature.split('.');
  if (parts.length !== 3 || parts[1] !== '' || !parts[0] || !parts[2])
    throw new JwsSignatureError('x-jws-signature must be a detached compact JWS: header..signature');
  const bytes = typeof body === 'string' ? Buffer.from(body) : Buffer.from(body);
  const keys = typeof jwks === 'function' ? jwks : createLocalJWKSet(jwks);
  let header: Record<string, unknown>;
  try {
    const result = await compactVerify(`${parts[0]}.${bytes.toString('base64url')}.${parts[2]}`, keys, {
      algorithms: ['ES256', 'PS256'],
      crit: { [OB_IAT]: true, [OB_ISS]: true, [OB_TAN]: true },
    });
    header = result.protectedHeader as Record<string, unknown>;
  } catch {
    throw new JwsSignatureError('x-jws-signature does not verify over this body with the registered keys');
  }
  if (issuer !== undefined && header[OB_ISS] !== issuer)
    throw new JwsSignatureError(`x-jws-signature names another issuer than ${issuer}`);
  if (header[OB_TAN] !== TRUST_ANCHOR)
    throw new JwsSignatureError('x-jws-signature names another trust anchor');
  return header;
}
