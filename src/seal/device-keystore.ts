// Browser-only: the device's HPKE keys in IndexedDB.
//
// The private key is a non-extractable WebCrypto CryptoKey. IndexedDB stores CryptoKey objects
// by structured clone, so the key survives reloads while its bytes are never visible to script.
// Rotation keeps the previous key (marked retired) so envelopes already sealed to it still open;
// the bank learns the new key through a rotation request under the consent (see docs/envelope.md).

import { toBase64Url } from './encoding.ts';
import {
  exportX25519PublicKey,
  generateHpkeKeyPair,
  keyFingerprint,
  keyThumbprint,
  publicJwk,
  type X25519PublicJwk,
} from './keys.ts';

export interface DeviceKey {
  /** RFC 7638 thumbprint: the key's id in envelope headers (`rcpt`) and in the consent. */
  thumbprint: string;
  /** Short human fingerprint for the consent screen ("3f2a 91c0 5b7e 0d44"). */
  fingerprint: string;
  publicKey: { raw: Uint8Array; base64url: string; jwk: X25519PublicJwk };
  keyPair: CryptoKeyPair;
  createdAt: number;
  retiredAt?: number;
}

interface StoredKey {
  thumbprint: string;
  keyPair: CryptoKeyPair;
  createdAt: number;
  retiredAt?: number;
}

export interface DeviceKeystore {
  /** The key new consents bind; undefined before the first `ensure`. */
  current(): Promise<DeviceKey | undefined>;
  /** The current key, generating one on first use. */
  ensure(): Promise<DeviceKey>;
  /** New current key; the previous one stays (retired) until removed. */
  rotate(): Promise<{ current: DeviceKey; previous?: DeviceKey }>;
  all(): Promise<DeviceKey[]>;
  /** Key pair by thumbprint — pass as `deviceKey` to openEnvelope to open envelopes for any held key. */
  byThumbprint(thumbprint: string): Promise<CryptoKeyPair | undefined>;
  remove(thumbprint: string): Promise<void>;
  close(): void;
}

const STORE = 'hpke-keys';

function request<T>(r: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
}

function openDb(name: string): Promise<IDBDatabase> {
  const r = indexedDB.open(name, 1);
  r.onupgradeneeded = () => r.result.createObjectStore(STORE, { keyPath: 'thumbprint' });
  return request(r);
}

async function describe(s: StoredKey): Promise<DeviceKey> {
  const raw = await exportX25519PublicKey(s.keyPair.publicKey);
  const key: DeviceKey = {
    thumbprint: s.thumbprint,
    fingerprint: await keyFingerprint(raw),
    publicKey: { raw, base64url: toBase64Url(raw), jwk: publicJwk(raw) },
    keyPair: s.keyPair,
    createdAt: s.createdAt,
  };
  if (s.retiredAt !== undefined) key.retiredAt = s.retiredAt;
  return key;
}

export async function openDeviceKeystore(dbName = 'proviso-device-keys'): Promise<DeviceKeystore> {
  const db = await openDb(dbName);
  const store = (mode: IDBTransactionMode) => db.transaction(STORE, mode).objectStore(STORE);
  const stored = async () => (await request(store('readonly').getAll())) as StoredKey[];

  async function current(): Promise<DeviceKey | undefined> {
    const live = (await stored())
      .filter((s) => s.retiredAt === undefined)
      .sort((a, b) => b.createdAt - a.createdAt);
    return live[0] ? describe(live[0]) : undefined;
  }

  async function create(): Promise<StoredKey> {
    const keyPair = await generateHpkeKeyPair();
    const s: StoredKey = {
      thumbprint: await keyThumbprint(await exportX25519PublicKey(keyPair.publicKey)),
      keyPair,
      createdAt: Date.now(),
    };
    await request(store('readwrite').put(s));
    return s;
  }

  return {
    current,
    async ensure() {
      return (await current()) ?? describe(await create());
    },
    async rotate() {
      const previous = (await stored()).filter((s) => s.retiredAt === undefined);
      const fresh = await create();
      for (const p of previous) await request(store('readwrite').put({ ...p, retiredAt: fresh.createdAt }));
      const retired = previous.sort((a, b) => b.createdAt - a.createdAt)[0];
      return {
        current: await describe(fresh),
        previous: retired ? await describe({ ...retired, retiredAt: fresh.createdAt }) : undefined,
      };
    },
    async all() {
      return Promise.all((await stored()).map(describe));
    },
    async byThumbprint(thumbprint) {
      const s = (await request(store('readonly').get(thumbprint))) as StoredKey | undefined;
      return s?.keyPair;
    },
    async remove(thumbprint) {
      await request(store('readwrite').delete(thumbprint));
    },
    close() {
      db.close();
    },
  };
}
