// Group commit on the shared batching queue (src/batching/): appends arriving within a few
// milliseconds (or while earlier batches are committing) are integrated in one transaction,
// and each caller is answered only after that transaction has committed. Pipelined: up to
// `pipeline` batches are in flight, their commits ordered by the log (log.ts).
import { BatchQueue, Refused } from '../batching/index.ts';
import { FormatError } from './errors.ts';
import type { Integrated } from './integrate.ts';
import { MAX_ENTRY_SIZE } from './tiles.ts';

/** One queued append: the entry and, opaque to the log, what must commit with it. */
export interface QueuedEntry {
  readonly entry: Uint8Array;
  readonly attached: Attached | undefined;
}

/**
 * Rows that belong to an entry (e.g. the bank's audit row) and must commit in the same
 * transaction, or not at all. The log never reads `data`; it hands every item of a batch
 * that shares a companion to that companion once, with the index each entry received.
 */
export interface Attached {
  readonly companion: AppendCompanion;
  readonly data: unknown;
}

export interface AppendCompanion {
  /**
   * Optional: inside the batch transaction, before anything is appended, the companion may
   * refuse some of its items (by their position in the batch), e.g. a release whose consent
   * ended meanwhile. A refused entry is not appended and its caller gets the error; the
   * others of the batch go on (one refused item never costs the good ones beside it).
   */
  admit?(
    trx: unknown,
    items: readonly { position: number; data: unknown }[],
  ): Promise<ReadonlyMap<number, Error>>;
  /** Writes the attached rows inside the batch transaction (`trx` is the open transaction). */
  write(trx: unknown, items: readonly { index: number; data: unknown }[]): Promise<void>;
}

/** What a batch commit returns: the integration, and the batch positions a companion refused. */
export interface CommittedBatch extends Integrated {
  readonly refused?: ReadonlyMap<number, Error>;
}

export interface BatchOptions {
  /** How long the first append of a batch waits for company (default 2 ms). */
  readonly delayMs?: number;
  /** Largest batch per transaction (default 1000). */
  readonly maxBatch?: number;
  /**
   * Batches in flight at once (the log's default: 2 on PostgreSQL, 1 on PGlite; here 2):
   * batch N+1, gathered while batch N is prepared,
   * starts (hashing, admission, planning, SQL) once N's statement is sent, while N commits;
   * the commits themselves stay in order (see log.ts).
   */
  readonly pipeline?: number;
}

/**
 * Commits one batch. It calls `handOff` once the next batch may start (its own is planned
 * and sent); the log orders the commits themselves.
 */
export type CommitBatch = (entries: readonly QueuedEntry[], handOff: () => void) => Promise<CommittedBatch>;

export class GroupCommitter {
  readonly #queue: BatchQueue<QueuedEntry, number>;
  readonly #onCommitted: (result: Integrated) => void;
  #closed = false;

  constructor(commit: CommitBatch, onCommitted: (result: Integrated) => void, options: BatchOptions = {}) {
    this.#onCommitted = onCommitted;
    this.#queue = new BatchQueue<QueuedEntry, number>({
      mode: 'serial',
      maxWeight: options.maxBatch ?? 1000,
      delayMs: options.delayMs ?? 2,
      overlap: options.pipeline ?? 2,
      // A failed commit is not retried entry by entry: its entries may or may not have
      // committed (a lost COMMIT reply), so callers treat the rejection as "not known to be
      // logged". One entry's own trouble (a companion's refusal) costs only that entry.
      isolate: false,
      run: async (_key, batch, handOff) => {
        const result = await commit(batch, handOff);
        // Accepted entries were appended in batch order, refused ones left out.
        let appended = 0;
        const answers = batch.map((_, position) => {
          const refusal = result.refused?.get(position);
          return refusal ? new Refused(refusal) : result.start + appended++;
        });
        this.#onCommitted(result);
        return answers;
      },
    });
  }

  append(entry: Uint8Array, attached?: Attached): Promise<number> {
    if (this.#closed) return Promise.reject(new Error('log is closed'));
    if (entry.length > MAX_ENTRY_SIZE)
      return Promise.reject(new FormatError('entry is larger than 65535 bytes'));
    return this.#queue.submit('', { entry: new Uint8Array(entry), attached });
  }

  /** Stops accepting appends and waits for everything queued to be committed or rejected. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#queue.drain();
  }
}
