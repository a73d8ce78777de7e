// Everything the bank releases or decides about a customer becomes a transparency-log
// entry before it leaves the gateway. This module turns "what happened" into an entry:
// it keeps each customer's commitment key (so the customer's device, and only it and the
// bank, can recognise the customer's entries), keys the digest of the released bytes with
// it (a bare hash of a balance could be guessed), appends, and indexes the entry privately
// for the customer's access-history page.
import { createHmac, randomBytes } from 'node:crypto';
import type { KeyEncryptionKey } from '../keys/index.ts';
import type { Database } from '../storage/index.ts';
import { buildEntry, type EntryKind, encodeEntry, type TransparencyLog } from '../translog/index.ts';

interface AuditTables {
  audit_commitment_key: { bank_id: string; customer_id: string; key_sealed: Uint8Array };
  audit_entry: {
    bank_id: string;
    log_index: number;
    customer_id: string;
    kind: string;
    platform: string;
    purpose: string | null;
    clusters: string[];
    at: Date;
  };
}

export interface AuditEvent {
  bankId: string;
  customerId: string;
  /** The customer's pseudonym at this platform (its pairwise subject). */
  pairwiseId: string;
  consentId: string | null;
  platform: string;
  kind: EntryKind;
  purpose: string | null;
  clusters: readonly string[];
  /** The exact bytes released to the platform, or null if nothing was released. */
  released: Uint8Array | null;
  at?: Date;
}

export interface AuditRecord {
  index: number;
  kind: string;
  platform: string;
  purpose: string | null;
  clusters: string[];
  at: Date;
}

export class AuditUnavailableError extends Error {
  override name = 'AuditUnavailableError';
}

/** HMAC of the released bytes under the customer's commitment key: recomputable by the device, not guessable by others. */
export function keyedReleaseDigest(commitmentKey: Uint8Array, released: Uint8Array): Uint8Array {
  return createHmac('sha256', commitmentKey).update('proviso-released/v1\0').update(released).digest();
}

export class AuditTrail {
  readonly #db;
  readonly #kek: KeyEncryptionKey;
  readonly #logs: ReadonlyMap<string, TransparencyLog>;

  constructor(database: Database, kek: KeyEncryptionKey, logs: ReadonlyMap<string, TransparencyLog>) {
    this.#db = database.tables<AuditTables>();
    this.#kek = kek;
    this.#logs = logs;
  }

  /** The customer's commitment key, created on first use (races resolve to one key). */
  async commitmentKey(bankId: string, customerId: string): Promise<Uint8Array> {
    const context = `commit:${bankId}:${customerId}`;
    const existing = await this.#db
      .selectFrom('audit_commitment_key')
      .select('key_sealed')
      .where('bank_id', '=', bankId)
      .where('customer_id', '=', customerId)
      .executeTakeFirst();
    if (existing) return this.#kek.open(existing.key_sealed, context);
    await this.#db
      .insertInto('audit_commitment_key')
      .values({
        bank_id: bankId,
        customer_id: customerId,
        key_sealed: this.#kek.seal(randomBytes(32), context),
      })
      .onConflict((oc) => oc.columns(['bank_id', 'customer_id']).doNothing())
      .execute();
    return this.commitmentKey(bankId, customerId);
  }

  /** Appends the entry and returns its index once durable. Throws if it cannot: then nothing may be released. */
  async record(event: AuditEvent): Promise<number> {
    const log = this.#logs.get(event.bankId);
    if (!log) throw new AuditUnavailableError(`no transparency log for bank ${event.bankId}`);
    const key = await this.commitmentKey(event.bankId, event.customerId);
    const at = event.at ?? new Date();
    const entry = buildEntry({
      bank: event.bankId,
      platform: event.platform,
      kind: event.kind,
      purpose: event.purpose,
      clusters: event.clusters,
      time: at,
      released: event.released ? keyedReleaseDigest(key, event.released) : null,
      commitmentKey: key,
      pairwiseId: event.pairwiseId,
      consentId: event.consentId,
    });
    let index: number;
    try {
      ({ index } = await log.append(encodeEntry(entry)));
    } catch (error) {
      throw new AuditUnavailableError('the transparency log did not accept the entry', { cause: error });
    }
    await this.#db
      .insertInto('audit_entry')
      .values({
        bank_id: event.bankId,
        log_index: index,
        customer_id: event.customerId,
        kind: event.kind,
        platform: event.platform,
        purpose: event.purpose,
        clusters: [...event.clusters],
        at,
      })
      .execute();
    return index;
  }

  /** The customer's own entries, newest first (bank-private index; the proofs come from the log). */
  async history(bankId: string, customerId: string, limit = 100): Promise<AuditRecord[]> {
    const rows = await this.#db
      .selectFrom('audit_entry')
      .selectAll()
      .where('bank_id', '=', bankId)
      .where('customer_id', '=', customerId)
      .orderBy('at', 'desc')
      .orderBy('log_index', 'desc')
      .limit(limit)
      .execute();
    return rows.map((r) => ({
      index: r.log_index,
      kind: r.kind,
      platform: r.platform,
      purpose: r.purpose,
      clusters: r.clusters,
      at: r.at,
    }));
  }
}
