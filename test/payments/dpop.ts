// A DPoP proof (RFC 9449) for a test request.
import { createHash, randomUUID } from 'node:crypto';
import { exportJWK, SignJWT } from 'jose';

export async function proof(
  keys: CryptoKeyPair,
  method: string,
  url: string,
  token: string,
): Promise<string> {
  return new SignJWT({
    htm: method,
    htu: url,
    ath: createHash('sha256').update(token).digest('base64url'),
    jti: randomUUID(),
  })
    .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: await exportJWK(keys.publicKey) })
    .setIssuedAt()
    .sign(keys.privateKey);
}
