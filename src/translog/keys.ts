// Note keys: verifier key strings (`name+hex8(keyid)+base64(type||pubkey)`), the x/mod
// private key form, key IDs, and Ed25519 signers/verifiers for the two signature types
// Proviso uses: 0x01 (log checkpoints) and 0x04 (cosignature/v1, witnesses).
import {
  createPrivateKey,
  createPublicKey,
  sign as edSign,
  verify as edVerify,
  type KeyObject,
} from 'node:crypto';
import { decodeBase64, encodeBase64 } from './encoding.ts';
import { FormatError } from './errors.ts';
import { sha256 } from './merkle.ts';
import { isValidKeyName, type NoteVerifier } from './note.ts';

export const SIG_ED25519 = 0x01;
export const SIG_COSIGNATURE_V1 = 0x04;
export type SignatureType = typeof SIG_ED25519 | typeof SIG_COSIGNATURE_V1;

/** key ID = SHA-256(name || 0x0A || type || public key)[0:4], big-endian. */
export function computeKeyId(name: string, type: number, publicKey: Uint8Array): number {
  const digest = sha256(new TextEncoder().encode(`${name}\n`), new Uint8Array([type]), publicKey);
  return Buffer.from(digest).readUInt32BE(0);
}

export function formatVerifierKey(name: string, type: SignatureType, publicKey: Uint8Array): string {
  const id = computeKeyId(name, type, publicKey).toString(16).padStart(8, '0');
  return `${name}+${id}+${encodeBase64(new Uint8Array([type, ...publicKey]))}`;
}

export interface ParsedVerifierKey {
  readonly name: string;
  readonly keyId: number;
  readonly type: SignatureType;
  readonly publicKey: Uint8Array;
}

export function parseVerifierKey(vkey: string): ParsedVerifierKey {
  // The key material is base64 and may itself contain '+'; the name may not.
  const parts = vkey.split('+');
  if (parts.length < 3) throw new FormatError('verifier key is not name+keyid+key');
  const [name, idHex] = parts as [string, string];
  const keyB64 = parts.slice(2).join('+');
  if (!isValidKeyName(name)) throw new FormatError('verifier key name is invalid');
  if (!/^[0-9a-f]{8}$/.test(idHex)) throw new FormatError('verifier key ID is not 8 lowercase hex digits');
  const material = decodeBase64(keyB64, 'verifier key');
  const type = material[0];
  if (type !== SIG_ED25519 && type !== SIG_COSIGNATURE_V1) {
    throw new FormatError(`verifier key type 0x${(type ?? 0).toString(16)} is not supported`);
  }
  const publicKey = material.subarray(1);
  if (publicKey.length !== 32) throw new FormatError('Ed25519 public key must be 32 bytes');
  const keyId = Number.parseInt(idHex, 16);
  if (computeKeyId(name, type, publicKey) !== keyId)
    throw new FormatError('verifier key ID does not match the key');
  return { name, keyId, type, publicKey };
}

export function ed25519PublicKey(raw: Uint8Array): KeyObject {
  return createPublicKey({
    key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(raw).toString('base64url') },
    format: 'jwk',
  });
}

export function ed25519PrivateKeyFromSeed(seed: Uint8Array): KeyObject {
  if (seed.length !== 32) throw new FormatError('Ed25519 seed must be 32 bytes');
  const der = Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), seed]);
  return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
}

export function rawPublicKey(key: KeyObject): Uint8Array {
  const jwk = key.export({ format: 'jwk' });
  if (jwk.crv !== 'Ed25519' || !jwk.x) throw new FormatError('not an Ed25519 key');
  return new Uint8Array(Buffer.from(jwk.x, 'base64url'));
}

const COSIGNATURE_HEADER = 'cosignature/v1\ntime ';

/** The message a cosignature/v1 signs: header, timestamp, then the checkpoint text byte for byte. */
export function cosignatureMessage(text: Uint8Array, timestamp: bigint): Uint8Array {
  return new Uint8Array(Buffer.concat([Buffer.from(`${COSIGNATURE_HEADER}${timestamp}\n`), text]));
}

export interface CosignatureVerifier extends NoteVerifier {
  readonly type: typeof SIG_COSIGNATURE_V1;
}

/** A NoteVerifier for a vkey string of type 0x01 or 0x04. */
export function noteVerifier(
  vkey: string,
): NoteVerifier & { readonly type: SignatureType; readonly vkey: string } {
  const parsed = parseVerifierKey(vkey);
  const key = ed25519PublicKey(parsed.publicKey);
  const verify =
    parsed.type === SIG_ED25519
      ? (text: Uint8Array, sig: Uint8Array) => sig.length === 64 && edVerify(null, text, key, sig)
      : (text: Uint8Array, sig: Uint8Array) => {
          if (sig.length !== 72) return false;
          const timestamp = Buffer.from(sig).readBigUInt64BE(0);
          if (timestamp > 0x7fff_ffff_ffff_ffffn) return false;
          return edVerify(null, cosignatureMessage(text, timestamp), key, sig.subarray(8));
        };
  return { name: parsed.name, keyId: parsed.keyId, type: parsed.type, vkey, verify };
}

/** Timestamp carried by a cosignature/v1 signature (the bytes after the key ID). */
export function cosignatureTimestamp(signature: Uint8Array): bigint {
  if (signature.length !== 72)
    throw new FormatError('cosignature/v1 signature must be 72 bytes after the key ID');
  return Buffer.from(signature).readBigUInt64BE(0);
}

/**
 * Something that signs with a note key. The log's key may live in a key store (HSM, sealed
 * database row), so signing is async and the private key never has to enter this module.
 */
export interface NoteSigner {
  /** Key name; for a log it SHOULD equal the origin. */
  readonly name: string;
  /** Verifier key string; its type says what kind of signature `sign` produces. */
  readonly verifierKey: string;
  /** Raw Ed25519 signature over message. */
  sign(message: Uint8Array): Promise<Uint8Array>;
}

export function ed25519Signer(name: string, type: SignatureType, privateKey: KeyObject): NoteSigner {
  const verifierKey = formatVerifierKey(name, type, rawPublicKey(createPublicKey(privateKey)));
  return { name, verifierKey, sign: async (message) => new Uint8Array(edSign(null, message, privateKey)) };
}

/** The x/mod private key form: PRIVATE+KEY+name+hex8(id)+base64(0x01 || seed). */
export function parsePrivateKey(skey: string): { name: string; keyId: number; privateKey: KeyObject } {
  const parts = skey.split('+');
  if (parts.length < 5 || parts[0] !== 'PRIVATE' || parts[1] !== 'KEY') {
    throw new FormatError('private key is not PRIVATE+KEY+name+keyid+key');
  }
  const [, , name, idHex] = parts as [string, string, string, string];
  const keyB64 = parts.slice(4).join('+');
  const material = decodeBase64(keyB64, 'private key');
  if (material[0] !== SIG_ED25519) throw new FormatError('private key is not an Ed25519 key');
  const privateKey = ed25519PrivateKeyFromSeed(material.subarray(1));
  const keyId = Number.parseInt(idHex, 16);
  if (computeKeyId(name, SIG_ED25519, rawPublicKey(createPublicKey(privateKey))) !== keyId) {
    throw new FormatError('private key ID does not match the key');
  }
  return { name, keyId, privateKey };
}

/** A signer from an x/mod private key string, as a log key (0x01) or as a witness cosigner (0x04). */
export function signerFromPrivateKey(skey: string, type: SignatureType = SIG_ED25519): NoteSigner {
  const { name, privateKey } = parsePrivateKey(skey);
  return ed25519Signer(name, type, privateKey);
}
