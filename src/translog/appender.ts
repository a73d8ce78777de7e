// Group commit: appends arriving within a few milliseconds (or while the previous batch is
// committing) are integrated in one transaction, and each caller is answered only after
// that transaction has committed.
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

interface Pending extends QueuedEntry {
  resolve: (index: number) => void;
  reject: (error: unknown) => void;
}

export interface BatchOptions {
  /** How long the first append of a batch waits for company (default 2 ms). */
  readonly delayMs?: number;
  /** Largest batch per transaction (default 1000). */
  readonly maxBatch?: number;
}

export class GroupCommitter {
  readonly #commit: (entries: readonly QueuedEntry[]) => Promise<CommittedBatch>;
  readonly #onCommitted: (result: Integrated) => void;
  readonly #delayMs: number;
  readonly #maxBatch: number;
  #pending: Pending[] = [];
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #closed = false;

  constructor(
    commit: (entries: readonly QueuedEntry[]) => Promise<CommittedBatch>,
    onCommitted: (result: Integrated) => void,
    options: BatchOptions = {},
  ) {
    this.#commit = commit;
    this.#onCommitted = onCommitted;
    this.#delayMs = options.delayMs ?? 2;
    this.#maxBatch = options.maxBatch ?? 1000;
  }

  append(entry: Uint8Array, attached?: Attached): Promise<number> {
    if (this.#closed) return Promise.reject(new Error('log is closed'));
    if (entry.length > MAX_ENTRY_SIZE)
      return Promise.reject(new FormatError('entry is larger than 65535 bytes'));
    return new Promise<number>((resolve, reject) => {
      this.#pending.push({ entry: new Uint8Array(entry), attached, resolve, reject });
      this.#schedule();
    });
  }

  #schedule(): void {
    if (this.#running) return; // the running loop picks new arrivals up when its commit ends
    if (this.#pending.length >= this.#maxBatch) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
      this.#start();
    } else {
      this.#timer ??= setTimeout(() => {
        this.#timer = undefined;
        this.#start();
      }, this.#delayMs);
    }
  }

  #start(): void {
    if (this.#running) return;
    this.#running = this.#drain().finally(() => {
      this.#running = undefined;
      if (this.#pending.length > 0) this.#schedule();
    });
  }

  async #drain(): Promise<void> {
    while (this.#pending.length > 0) {
      const batch = this.#pending.splice(0, this.#maxBatch);
      try {
        const result = await this.#commit(batch);
        // Accepted entries were appended in batch order, refused ones left out.
        let appended = 0;
        batch.forEach((p, position) => {
          const refusal = result.refused?.get(position);
          if (refusal) p.reject(refusal);
          else p.resolve(result.start + appended++);
        });
        this.#onCommitted(result);
      } catch (error) {
        // Not acknowledged. The entries may or may not have committed (a lost COMMIT reply);
        // callers treat a rejection as "not known to be logged".
        for (const p of batch) p.reject(error);
      }
    }
  }

  /** Stops accepting appends and waits for everything queued to be committed or rejected. */
  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#pending.length > 0) this.#start();
    while (this.#running) await this.#running;
  }
}
