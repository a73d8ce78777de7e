// A throwaway X25519 key pair, as a device would hold (public key as base64url of 32 bytes).
import { generateKeyPairSync } from 'node:crypto';

export const X25519KeyPair = {
  generate(): { publicKey: string } {
    const { publicKey } = generateKeyPairSync('x25519');
    const jwk = publicKey.export({ format: 'jwk' });
    return { publicKey: String(jwk.x) };
  },
};
