// Per-bank key store: Ed25519 and P-256 signing keys, the Ed25519 transparency-log key and
// the X25519 key devices seal replies to. Private keys live in the database only sealed
// under the KEK. Rotation retires the active key and creates a new one in one transaction;
// retired public keys stay in the JWKS so earlier signatures still verify.
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { calculateJwkThumbprint, type JWK } from 'jose';
import type { Database } from '../storage/index.ts';
import type { KeyEncryptionKey } from './kek.ts';

export type KeyPurpose = 'sign' | 'log' | 'seal';
export type KeyAlg = 'EdDSA' | 'ES256' | 'X25519';

/** Which keys every bank has. */
export const REQUIRED_KEYS: ReadonlyArray<{ purpose: KeyPurpose; alg: KeyAlg }> = [
  { purpose: 'sign', alg: 'EdDSA' },
  { purpose: 'sign', alg: 'ES256' },
  { purpose: 'log', alg: 'EdDSA' },
  { purpose: 'seal', alg: 'X25519' },
];

export interface KeyInfo {
  kid: string;
  bankId: string;
  purpose: KeyPurpose;
  alg: KeyAlg;
  status: 'active' | 'retired';
  createdAt: Date;
  retiredAt: Date | null;
  publicJwk: JWK;
}

export interface ActiveKey extends KeyInfo {
  privateKey: KeyObject;
  publicKey: KeyObject;
}

interface KeyTables {
  bank_key: {
    kid: string;
    bank_id: string;
    purpose: string;
    alg: string;
    public_jwk: JWK;
    private_sealed: Uint8Array;
    status: string;
    created_at: Date;
    retired_at: Date | null;
  };
}

export class KeyNotFoundError extends Error {
  override name = 'KeyNotFoundError';
}

function generate(alg: KeyAlg): { privateKey: KeyObject; publicKey: KeyObject } {
  if (alg === 'EdDSA') return generateKeyPairSync('ed25519');
  if (alg === 'X25519') return generateKeyPairSync('x25519');
  return generateKeyPairSync('ec', { namedCurve: 'P-256' });
}

export class KeyStore {
  readonly #db;
  readonly #kek: KeyEncryptionKey;
  // Opened private keys, by kid. Safe to cache: a kid's key material never changes.
  readonly #opened = new Map<string, KeyObject>();

  constructor(database: Database, kek: KeyEncryptionKey) {
    this.#db = database.tables<KeyTables>();
    this.#kek = kek;
  }

  /** Creates whichever of the required keys a bank lacks. Idempotent. */
  async ensureKeys(bankId: string): Promise<void> {
    const existing = await this.#db
      .selectFrom('bank_key')
      .select(['purpose', 'alg'])
      .where('bank_id', '=', bankId)
      .where('status', '=', 'active')
      .execute();
    for (const need of REQUIRED_KEYS) {
      if (!existing.some((k) => k.purpose === need.purpose && k.alg === need.alg)) {
        await this.#create(bankId, need.purpose, need.alg, false);
      }
    }
  }

  /** Retires the active key of that purpose and algorithm and creates its successor. */
  async rotate(bankId: string, purpose: KeyPurpose, alg: KeyAlg): Promise<KeyInfo> {
    return this.#create(bankId, purpose, alg, true);
  }

  async #create(bankId: string, purpose: KeyPurpose, alg: KeyAlg, retireCurrent: boolean): Promise<KeyInfo> {
    const { privateKey, publicKey } = generate(alg);
    const publicJwk = publicKey.export({ format: 'jwk' }) as JWK;
    const kid = await calculateJwkThumbprint(publicJwk);
    const jwk: JWK = { ...publicJwk, kid, ...(alg === 'X25519' ? { use: 'enc' } : { alg, use: 'sig' }) };
    const sealed = this.#kek.seal(privateKey.export({ format: 'der', type: 'pkcs8' }), kid);
    const row = await this.#db.transaction().execute(async (trx) => {
      if (retireCurrent) {
        await trx
          .updateTable('bank_key')
          .set({ status: 'retired', retired_at: new Date() })
          .where('bank_id', '=', bankId)
          .where('purpose', '=', purpose)
          .where('alg', '=', alg)
          .where('status', '=', 'active')
          .execute();
      }
      return trx
        .insertInto('bank_key')
        .values({
          kid,
          bank_id: bankId,
          purpose,
          alg,
          public_jwk: jwk,
          private_sealed: sealed,
          status: 'active',
          created_at: new Date(),
          retired_at: null,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
    });
    return toInfo(row);
  }

  async list(bankId?: string): Promise<KeyInfo[]> {
    let q = this.#db.selectFrom('bank_key').selectAll().orderBy('bank_id').orderBy('created_at');
    if (bankId) q = q.where('bank_id', '=', bankId);
    return (await q.execute()).map(toInfo);
  }

  async active(bankId: string, purpose: KeyPurpose, alg: KeyAlg): Promise<ActiveKey> {
    const row = await this.#db
      .selectFrom('bank_key')
      .selectAll()
      .where('bank_id', '=', bankId)
      .where('purpose', '=', purpose)
      .where('alg', '=', alg)
      .where('status', '=', 'active')
      .executeTakeFirst();
    if (!row) throw new KeyNotFoundError(`bank ${bankId} has no active ${purpose} ${alg} key`);
    let privateKey = this.#opened.get(row.kid);
    if (!privateKey) {
      privateKey = createPrivateKey({
        key: this.#kek.open(row.private_sealed, row.kid),
        format: 'der',
        type: 'pkcs8',
      });
      this.#opened.set(row.kid, privateKey);
    }
    return { ...toInfo(row), privateKey, publicKey: createPublicKey(privateKey) };
  }

  /** The bank's public JWKS: active and retired signing and sealing keys. */
  async jwks(bankId: string): Promise<{ keys: JWK[] }> {
    const rows = await this.#db
      .selectFrom('bank_key')
      .select(['public_jwk', 'purpose'])
      .where('bank_id', '=', bankId)
      .where('purpose', 'in', ['sign', 'seal'])
      .orderBy('created_at', 'desc')
      .execute();
    return { keys: rows.map((r) => r.public_jwk) };
  }
}

function toInfo(row: KeyTables['bank_key']): KeyInfo {
  return {
    kid: row.kid,
    bankId: row.bank_id,
    purpose: row.purpose as KeyPurpose,
    alg: row.alg as KeyAlg,
    status: row.status as 'active' | 'retired',
    createdAt: row.created_at,
    retiredAt: row.retired_at,
    publicJwk: row.public_jwk,
  };
}
