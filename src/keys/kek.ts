// The key-encryption key (KEK) that seals every bank private key at rest. It comes from
// PROVISO_KEK (production: from a secret manager) or, for the embedded default, from a
// file generated once in the data folder with owner-only permissions.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export class KeyEncryptionKey {
  readonly #key: Buffer;
  private constructor(key: Buffer) {
    if (key.length !== 32) throw new RangeError('a key-encryption key is 32 bytes');
    this.#key = key;
  }
  static fromBytes(key: Uint8Array): KeyEncryptionKey {
    return new KeyEncryptionKey(Buffer.from(key));
  }
  static generate(): KeyEncryptionKey {
    return new KeyEncryptionKey(randomBytes(32));
  }
  /** PROVISO_KEK (base64url of 32 bytes) if set, else `<dataDir>/kek.key`, created on first use. */
  static load(env: NodeJS.ProcessEnv, dataDir: string): KeyEncryptionKey {
    const fromEnv = env['PROVISO_KEK'];
    if (fromEnv) {
      const bytes = Buffer.from(fromEnv, 'base64url');
      if (bytes.length !== 32) throw new Error('PROVISO_KEK must be 32 bytes, base64url-encoded');
      return new KeyEncryptionKey(bytes);
    }
    const file = join(dataDir, 'kek.key');
    if (!existsSync(file)) {
      mkdirSync(dataDir, { recursive: true });
      writeFileSync(file, randomBytes(32).toString('base64url'), { mode: 0o600, flag: 'wx' });
    }
    return KeyEncryptionKey.fromBytes(Buffer.from(readFileSync(file, 'utf8').trim(), 'base64url'));
  }
  /** AES-256-GCM; `context` (the key id) is bound as associated data so sealed blobs cannot be swapped. */
  seal(plaintext: Uint8Array, context: string): Buffer {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv);
    cipher.setAAD(Buffer.from(context));
    const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return Buffer.concat([Buffer.from([1]), iv, cipher.getAuthTag(), body]);
  }
  open(sealed: Uint8Array, context: string): Buffer {
    const buf = Buffer.from(sealed);
    if (buf[0] !== 1 || buf.length < 29) throw new Error('sealed key blob has an unknown format');
    const decipher = createDecipheriv('aes-256-gcm', this.#key, buf.subarray(1, 13));
    decipher.setAAD(Buffer.from(context));
    decipher.setAuthTag(buf.subarray(13, 29));
    return Buffer.concat([decipher.update(buf.subarray(29)), decipher.final()]);
  }
}
