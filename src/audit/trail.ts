// Everything the bank releases or decides about a customer becomes a transparency-log
// entry before it leaves the gateway. This module turns "what happened" into an entry:
// it keeps each customer's commitment key (so the customer's device, and only it and the
// bank, can recognise the customer's entries), keys the digest of the released bytes with
// it (a bare hash of a balance could be guessed), and appends it together with its private
// index row for the customer's access-history page: the log entry and the audit row commit
// in one transaction, or neither does. A release (bytes leaving the bank) is refused when
// the log has gone too long without a witness cosignature (fail-closed, docs/security.md).
import { createHmac, randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { KeyEncryptionKey } from '../keys/index.ts';
import type { Database } from '../storage/index.ts';
import type { AppendCompanion, TransparencyLog } from '../translog/index.ts';
import { buildEntry, type EntryKind, encodeEntry } from './entry.ts';

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
  /**
   * The DPoP replay record of the request that carries this release, when the access layer
   * deferred it (`grant.replay`): written in the same transaction as the entry, and the
   * release is withheld if the proof was already used anywhere.
   */
  replay?: ReleaseReplay;
}

/** A proof's replay record as the audit trail carries it (the access layer's ReplayRecord). */
export interface ReleaseReplay {
  readonly jkt: string;
  readonly jti: string;
  readonly expiresAt: Date;
}

/**
 * Records the replay records of a batch's releases inside its transaction (one statement)
 * and returns, by batch position, the releases to refuse (proof already used) with the
 * error their callers get. Supplied by the consent context.
 */
export type ReplayGuard = (
  trx: unknown,
  items: readonly { position: number; replay: ReleaseReplay }[],
) => Promise<ReadonlyMap<number, Error>>;

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

/** The bank's log has held uncosigned entries longer than the bank allows: nothing is released. */
export class LogNotCosignedError extends AuditUnavailableError {
  override name = 'LogNotCosignedError';
  readonly bankId: string;
  readonly uncosignedSeconds: number;
  readonly limitSeconds: number;
  constructor(bankId: string, uncosignedSeconds: number, limitSeconds: number) {
    super(
      `the transparency log of ${bankId} has had no witness cosignature for ${Math.round(uncosignedSeconds)} s ` +
        `(limit ${limitSeconds} s); releases are stopped until witnesses cosign again`,
    );
    this.bankId = bankId;
    this.uncosignedSeconds = uncosignedSeconds;
    this.limitSeconds = limitSeconds;
  }
}

/** A release's consent ended (revoked, expired, device removed) before its log entry committed. */
export class ConsentEndedError extends Error {
  override name = 'ConsentEndedError';
  readonly consentId: string;
  constructor(consentId: string) {
    super('the consent ended before this release was logged; nothing was released');
    this.consentId = consentId;
  }
}

/**
 * Which of these consents may still carry a release, read inside the log batch's own
 * transaction (one statement for the whole batch). Supplied by the consent context; the
 * audit trail knows nothing of consent tables.
 */
export type ConsentGuard = (
  trx: unknown,
  consentIds: readonly string[],
  at: Date,
) => Promise<ReadonlySet<string>>;

/**
 * The consent re-check and the replay records of a batch in one statement (both guards
 * above at once): the consents among `consentIds` that still hold, and the claims refused
 * because their proof was already recorded. A claim whose release's consent ended is not
 * recorded. Supplied by the consent context.
 */
export type ReleaseAdmission = (
  trx: unknown,
  consentIds: readonly string[],
  claims: readonly { position: number; consentId: string | null; replay: ReleaseReplay }[],
  at: Date,
) => Promise<{ live: ReadonlySet<string>; refused: ReadonlyMap<number, Error> }>;

export interface ReleasePolicy {
  /**
   * Refuse releases once the log has held entries no witness quorum cosigned for longer than
   * this (seconds); 0 never refuses. Does not apply to logs without witnesses.
   */
  readonly maxUncosignedSeconds: number;
  /** Called for each refused release (metrics); never with customer data. */
  readonly onRefused?: (error: LogNotCosignedError) => void;
  /**
   * Re-checks, inside the transaction that logs them, that the consents of a batch's releases
   * still hold, so that a revocation committed before that moment stops a release already
   * past its authorisation (docs/consent.md, "What at once means").
   */
  readonly consents?: ConsentGuard;
  /** Records the deferred DPoP replay records of a batch's releases (see AuditEvent.replay). */
  readonly replays?: ReplayGuard;
  /** Both of the above in one round trip; when set, `consents` and `replays` are not used. */
  readonly admission?: ReleaseAdmission;
}

/** What the log batch carries for one entry: its audit row, and the consent a release rides on. */
interface AttachedRow {
  readonly row: Omit<AuditRow, 'log_index'>;
  readonly releasedUnder: string | null;
  readonly replay: ReleaseReplay | undefined;
}

type AuditRow = AuditTables['audit_entry'];

/** HMAC of the released bytes under the customer's commitment key: recomputable by the device, not guessable by others. */
export function keyedReleaseDigest(commitmentKey: Uint8Array, released: Uint8Array): Uint8Array {
  return createHmac('sha256', commitmentKey).update('proviso-released/v1\0').update(released).digest();
}

// Commitment keys never change once created; a bounded cache saves a query and an unseal per entry.
const KEY_CACHE_SIZE = 50_000;

export class AuditTrail {
  readonly #db;
  readonly #kek: KeyEncryptionKey;
  readonly #logs: ReadonlyMap<string, TransparencyLog>;
  readonly #policy: ReleasePolicy;
  readonly #keys = new Map<string, Uint8Array>();
  /** Errors a guard gave for refused releases: passed to the caller as they are. */
  readonly #refusals = new WeakSet<Error>();
  /**
   * In the log batch's own transaction: refuses the releases whose consent ended (one
   * statement), then writes the audit rows of the accepted entries (one statement).
   */
  readonly #rows: AppendCompanion = {
    admit: async (trx, items) => {
      if (this.#policy.admission) return this.#admitTogether(this.#policy.admission, trx, items);
      const refused = new Map<number, Error>();
      const guard = this.#policy.consents;
      const releases = items.filter((i) => (i.data as AttachedRow).releasedUnder !== null);
      if (guard && releases.length > 0) {
        const ids = [...new Set(releases.map((i) => (i.data as AttachedRow).releasedUnder!))];
        const live = await guard(trx, ids, new Date());
        for (const item of releases) {
          const consentId = (item.data as AttachedRow).releasedUnder!;
          if (!live.has(consentId)) refused.set(item.position, new ConsentEndedError(consentId));
        }
      }
      const replays = this.#policy.replays;
      const claims = items.flatMap((i) => {
        const replay = (i.data as AttachedRow).replay;
        return replay && !refused.has(i.position) ? [{ position: i.position, replay }] : [];
      });
      if (claims.length > 0) {
        if (!replays)
          throw new AuditUnavailableError('no replay guard for releases that carry a DPoP record');
        for (const [position, error] of await replays(trx, claims)) {
          this.#refusals.add(error);
          refused.set(position, error);
        }
      }
      return refused;
    },
    async write(trx, items) {
      await (trx as Kysely<AuditTables>)
        .insertInto('audit_entry')
        .values(items.map((i) => ({ ...(i.data as AttachedRow).row, log_index: i.index })))
        .execute();
    },
  };

  /** The consent re-check and the replay records of the batch in one statement. */
  async #admitTogether(
    admission: ReleaseAdmission,
    trx: unknown,
    items: readonly { position: number; data: unknown }[],
  ): Promise<Map<number, Error>> {
    const refused = new Map<number, Error>();
    const rows = items.map((i) => ({ position: i.position, row: i.data as AttachedRow }));
    const consentIds = [
      ...new Set(rows.flatMap((r) => (r.row.releasedUnder === null ? [] : [r.row.releasedUnder]))),
    ];
    const claims = rows.flatMap((r) =>
      r.row.replay ? [{ position: r.position, consentId: r.row.releasedUnder, replay: r.row.replay }] : [],
    );
    if (consentIds.length === 0 && claims.length === 0) return refused;
    const { live, refused: replayed } = await admission(trx, consentIds, claims, new Date());
    for (const { position, row } of rows) {
      if (row.releasedUnder !== null && !live.has(row.releasedUnder))
        refused.set(position, new ConsentEndedError(row.releasedUnder));
    }
    for (const [position, error] of replayed) {
      if (refused.has(position)) continue;
      this.#refusals.add(error);
      refused.set(position, error);
    }
    return refused;
  }

  constructor(
    database: Database,
    kek: KeyEncryptionKey,
    logs: ReadonlyMap<string, TransparencyLog>,
    policy: ReleasePolicy = { maxUncosignedSeconds: 0 },
  ) {
    this.#db = database.tables<AuditTables>();
    this.#kek = kek;
    this.#logs = logs;
    this.#policy = policy;
  }

  /** The customer's commitment key, created on first use (races resolve to one key). */
  async commitmentKey(bankId: string, customerId: string): Promise<Uint8Array> {
    const cacheKey = `${bankId}\0${customerId}`;
    const cached = this.#keys.get(cacheKey);
    if (cached) return cached;
    const key = await this.#loadCommitmentKey(bankId, customerId);
    if (this.#keys.size >= KEY_CACHE_SIZE) this.#keys.delete(this.#keys.keys().next().value!);
    this.#keys.set(cacheKey, key);
    return key;
  }

  async #loadCommitmentKey(bankId: string, customerId: string): Promise<Uint8Array> {
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
    return this.#loadCommitmentKey(bankId, customerId);
  }

  /** Throws LogNotCosignedError when the bank's release policy stops releases now. */
  async #checkCosigned(log: TransparencyLog, bankId: string): Promise<void> {
    const limit = this.#policy.maxUncosignedSeconds;
    if (limit <= 0) return;
    let lag: number;
    try {
      lag = await log.uncosignedSeconds();
    } catch (error) {
      throw new AuditUnavailableError('the transparency log state could not be read', { cause: error });
    }
    if (lag <= limit) return;
    const error = new LogNotCosignedError(bankId, lag, limit);
    this.#policy.onRefused?.(error);
    throw error;
  }

  /**
   * Appends the entry and its audit row in one transaction and returns the entry's index once
   * durable. Throws if it cannot (AuditUnavailableError, LogNotCosignedError for a release
   * while the log is uncosigned too long, ConsentEndedError for a release whose consent ended
   * before its batch committed): then nothing may be released.
   */
  async record(event: AuditEvent): Promise<number> {
    const log = this.#logs.get(event.bankId);
    if (!log) throw new AuditUnavailableError(`no transparency log for bank ${event.bankId}`);
    if (event.released) await this.#checkCosigned(log, event.bankId);
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
    const row: Omit<AuditRow, 'log_index'> = {
      bank_id: event.bankId,
      customer_id: event.customerId,
      kind: event.kind,
      platform: event.platform,
      purpose: event.purpose,
      clusters: [...event.clusters],
      at,
    };
    const attached: AttachedRow = {
      row,
      releasedUnder: event.released ? event.consentId : null,
      replay: event.replay,
    };
    try {
      const { index } = await log.append(encodeEntry(entry), { companion: this.#rows, data: attached });
      return index;
    } catch (error) {
      if (error instanceof ConsentEndedError || this.#refusals.has(error as Error)) throw error;
      throw new AuditUnavailableError('the transparency log did not accept the entry', { cause: error });
    }
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
