// Publishes signed checkpoints of the integrated tree, and asks the witnesses to cosign them
// in the background (one exchange at a time, always for the newest checkpoint), so a slow
// or absent witness never holds up signing, nor appends. Any instance may publish; the history
// table is keyed by size, so two instances signing the same size (deterministic Ed25519, same
// bytes) collide harmlessly. Every stored checkpoint is of the one append-only tree, hence all
// are mutually consistent. With several instances, an instance asks the witnesses only for a
// checkpoint no older than the newest stored one (a larger one is the other instance's to
// have cosigned), and a witness already holding a larger published checkpoint is the expected
// race, not a refusal (witness-client.ts).
import { sql } from 'kysely';
import { formatCheckpoint } from './checkpoint.ts';
import { faultPoint } from './fault.ts';
import type { NoteSigner } from './keys.ts';
import { addSignatures, formatNote, type Note, type NoteSignature, parseNote } from './note.ts';
import { signNote } from './sign.ts';
import { bytes, type TranslogDb } from './tables.ts';

export interface StoredCheckpoint {
  readonly size: number;
  readonly root: Uint8Array;
  /** The signed note, with whatever witness cosignatures were obtained. */
  readonly note: string;
  readonly cosignatures: number;
  readonly createdAt: Date;
  readonly cosignedAt: Date | null;
}

/** Obtains witness cosignatures for a freshly signed checkpoint (see witness-client.ts). */
export interface Cosigning {
  readonly quorum: number;
  cosign(note: Note): Promise<readonly NoteSignature[]>;
}

type Row = {
  size: number;
  root: Uint8Array;
  note: string;
  cosignatures: number;
  created_at: Date;
  cosigned_at: Date | null;
};
const toStored = (r: Row): StoredCheckpoint => ({
  size: r.size,
  root: bytes(r.root),
  note: r.note,
  cosignatures: r.cosignatures,
  createdAt: new Date(r.created_at),
  cosignedAt: r.cosigned_at ? new Date(r.cosigned_at) : null,
});
const COLUMNS = ['size', 'root', 'note', 'cosignatures', 'created_at', 'cosigned_at'] as const;

export class Checkpointer {
  readonly #db: TranslogDb;
  readonly #logId: string;
  readonly #origin: string;
  readonly #signer: NoteSigner;
  readonly #cosigning: Cosigning | undefined;
  #running: Promise<StoredCheckpoint | undefined> | undefined;
  #again = false;
  #lastCosignAttempt = 0;
  #cosignRunning: Promise<void> | undefined;
  #cosignNext: StoredCheckpoint | undefined;
  lastCosignedAt: Date | null = null;
  readonly #listeners = new Set<(c: StoredCheckpoint) => void>();

  constructor(db: TranslogDb, logId: string, origin: string, signer: NoteSigner, cosigning?: Cosigning) {
    this.#db = db;
    this.#logId = logId;
    this.#origin = origin;
    this.#signer = signer;
    this.#cosigning = cosigning;
  }

  onPublished(listener: (c: StoredCheckpoint) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Publishes a checkpoint for the current tree unless the newest one already covers it. Serialised per instance. */
  publish(): Promise<StoredCheckpoint | undefined> {
    if (this.#running) {
      this.#again = true;
      return this.#running;
    }
    this.#running = (async () => {
      let result: StoredCheckpoint | undefined;
      do {
        this.#again = false;
        result = await this.#publishOnce();
      } while (this.#again);
      return result;
    })().finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  async #publishOnce(): Promise<StoredCheckpoint | undefined> {
    const state = await this.#db
      .selectFrom('translog_state')
      .select(['size', 'root'])
      .where('log_id', '=', this.#logId)
      .executeTakeFirstOrThrow();
    const newest = await this.newest();
    if (newest && newest.size >= state.size) {
      await this.#retryCosigning(newest);
      return newest;
    }
    const text = formatCheckpoint({
      origin: this.#origin,
      size: state.size,
      root: bytes(state.root),
      extensions: [],
    });
    const note = formatNote(await signNote(text, [this.#signer]));
    const inserted = await this.#db
      .insertInto('translog_checkpoint')
      .values({ log_id: this.#logId, size: state.size, root: state.root, note, cosigned_at: null })
      .onConflict((oc) => oc.columns(['log_id', 'size']).doNothing())
      .returning(COLUMNS)
      .executeTakeFirst();
    if (!inserted) return this.newest(); // another instance published this size first
    const stored = toStored(inserted);
    faultPoint('after-checkpoint-signed');
    this.#notify(stored);
    this.#requestCosign(stored);
    return stored;
  }

  #notify(checkpoint: StoredCheckpoint): void {
    for (const l of this.#listeners) l(checkpoint);
  }

  async #retryCosigning(newest: StoredCheckpoint): Promise<void> {
    if (!this.#cosigning || newest.cosignatures >= this.#cosigning.quorum) return;
    if (Date.now() - this.#lastCosignAttempt < 2000) return;
    this.#requestCosign(newest);
  }

  /** Queues `checkpoint` for cosigning; a newer one queued before it is sent replaces it. */
  #requestCosign(checkpoint: StoredCheckpoint): void {
    if (!this.#cosigning) return;
    if (!this.#cosignNext || this.#cosignNext.size < checkpoint.size) this.#cosignNext = checkpoint;
    this.#cosignRunning ??= (async () => {
      for (let next = this.#cosignNext; next; next = this.#cosignNext) {
        this.#cosignNext = undefined;
        const cosigned = await this.#cosign(next).catch(() => undefined);
        if (cosigned) this.#notify(cosigned);
      }
    })().finally(() => {
      this.#cosignRunning = undefined;
    });
  }

  /** Resolves once no witness exchange is in flight (before the database closes). */
  async settled(): Promise<void> {
    while (this.#cosignRunning) await this.#cosignRunning;
  }

  async #cosign(checkpoint: StoredCheckpoint): Promise<StoredCheckpoint | undefined> {
    if (!this.#cosigning) return undefined;
    this.#lastCosignAttempt = Date.now();
    // Superseded by a larger checkpoint (another instance's, or ours queued): the instance
    // that signed it asks the witnesses; were it to stop first, publish() retries the newest.
    if (((await this.#newestSize()) ?? 0) > checkpoint.size) return undefined;
    const signatures = await this.#cosigning.cosign(parseNote(checkpoint.note)).catch(() => []);
    if (signatures.length === 0) return undefined;
    const note = formatNote(addSignatures(parseNote(checkpoint.note), signatures));
    const updated = await this.#db
      .updateTable('translog_checkpoint')
      .set({ note, cosignatures: signatures.length, cosigned_at: new Date() })
      .where('log_id', '=', this.#logId)
      .where('size', '=', checkpoint.size)
      .returning(COLUMNS)
      .executeTakeFirst();
    if (updated && signatures.length >= this.#cosigning.quorum) this.lastCosignedAt = new Date();
    return updated ? toStored(updated) : undefined;
  }

  /**
   * When the oldest signed checkpoint that no quorum-cosigned checkpoint covers was signed:
   * how long the log has held entries witnesses have not vouched for. null when there is none
   * (or no witnesses are configured).
   */
  async uncosignedSince(): Promise<Date | null> {
    const quorum = this.#cosigning?.quorum ?? 0;
    if (quorum === 0) return null;
    const { rows } = await sql<{ since: Date | string | null }>`
      select min(created_at) as since from translog_checkpoint
      where log_id = ${this.#logId} and size > coalesce(
        (select max(size) from translog_checkpoint where log_id = ${this.#logId} and cosignatures >= ${quorum}), 0)`.execute(
      this.#db,
    );
    const since = rows[0]?.since;
    return since ? new Date(since) : null;
  }

  async #newestSize(): Promise<number | undefined> {
    const row = await this.#db
      .selectFrom('translog_checkpoint')
      .select('size')
      .where('log_id', '=', this.#logId)
      .orderBy('size', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row?.size;
  }

  async newest(): Promise<StoredCheckpoint | undefined> {
    const row = await this.#db
      .selectFrom('translog_checkpoint')
      .select(COLUMNS)
      .where('log_id', '=', this.#logId)
      .orderBy('size', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row ? toStored(row) : undefined;
  }

  /**
   * The checkpoint to serve: the newest one that meets the witness quorum, or the newest one
   * when no witnesses are configured or none has been cosigned yet.
   */
  async served(): Promise<StoredCheckpoint | undefined> {
    const quorum = this.#cosigning?.quorum ?? 0;
    if (quorum > 0) {
      const row = await this.#db
        .selectFrom('translog_checkpoint')
        .select(COLUMNS)
        .where('log_id', '=', this.#logId)
        .where('cosignatures', '>=', quorum)
        .orderBy('size', 'desc')
        .limit(1)
        .executeTakeFirst();
      if (row) return toStored(row);
    }
    return this.newest();
  }

  async history(fromSize = 0): Promise<StoredCheckpoint[]> {
    const rows = await this.#db
      .selectFrom('translog_checkpoint')
      .select(COLUMNS)
      .where('log_id', '=', this.#logId)
      .where('size', '>=', fromSize)
      .orderBy('size', 'asc')
      .execute();
    return rows.map(toStored);
  }
}

/** Whether the log published a checkpoint of exactly `size` (any of its instances). */
export async function checkpointPublished(db: TranslogDb, logId: string, size: number): Promise<boolean> {
  const row = await db
    .selectFrom('translog_checkpoint')
    .select('size')
    .where('log_id', '=', logId)
    .where('size', '=', size)
    .executeTakeFirst();
  return row !== undefined;
}
