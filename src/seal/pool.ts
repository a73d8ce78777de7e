// A small pool of sealing worker threads, for the places that seal many envelopes at once
// (the outbox's alerts and purchase notifications). One core cannot go past keygen +
// agreement + the bank's signature per envelope; the machine has more than one.
//
// - One message per batch (pool-wire.ts), buffers transferred, so message passing is paid
//   once per batch, not per envelope.
// - Each bank's signing key is sent to a worker once, as a KeyObject cloned by postMessage: it
//   stays inside this process (never exported to bytes, written or logged); device keys are
//   parsed once per worker (the sealer's cache).
// - A worker that dies is replaced; the batches it held are sent once more to a live worker,
//   and a batch whose worker dies twice is rejected with a SealingPoolError (nothing is lost
//   silently). Idle workers do not keep the process alive; close() ends them.

import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { EnvelopeError, type EnvelopeErrorCode } from './errors.ts';
import {
  ERROR_MARK,
  encodeBatch,
  type FromWorker,
  type KeyMessage,
  type ToWorker,
  type WireError,
  type WireItem,
} from './pool-wire.ts';
import type { BankSigningKey } from './sealer.ts';
import type { SuiteName } from './suite.ts';

export class SealingPoolError extends Error {
  override name = 'SealingPoolError';
}

export interface SealingPoolOptions {
  /** Worker threads (default: the machine's available parallelism). */
  threads?: number;
  /** Tests only: a worker script that wraps pool-worker.ts (e.g. one that dies on purpose). */
  workerUrl?: URL;
  /** Tests only: passed to every worker as workerData. */
  workerData?: unknown;
  /** Told when a worker dies (for the gateway's log): its error, and how many batches it held. */
  onWorkerDeath?(death: { error?: string; batches: number }): void;
}

/** An item's outcome: its envelope, or the error sealing it raised (rebuilt in this thread). */
export type ItemResult = string | Error;

interface Batch {
  readonly batchId: number;
  readonly keyId: number;
  readonly items: string;
  readonly count: number;
  /** Workers that died holding this batch. */
  deaths: number;
  resolve(results: ItemResult[]): void;
  reject(error: Error): void;
}

interface Slot {
  readonly worker: Worker;
  /** What ended it, if it died of an uncaught error (no secret is in a sealing error). */
  lastError?: string;
  /** Keys this worker has been sent. */
  readonly keys: Set<number>;
  readonly inFlight: Map<number, Batch>;
}

const DEFAULT_WORKER = new URL('./pool-worker.ts', import.meta.url);
const encoder = new TextEncoder();
const decoder = new TextDecoder();

function rebuildError(line: string): Error {
  let wire: WireError;
  try {
    wire = JSON.parse(line.slice(ERROR_MARK.length)) as WireError;
  } catch {
    return new SealingPoolError('a sealing worker answered an unreadable error');
  }
  if (wire.name === 'EnvelopeError' && wire.code !== undefined)
    return new EnvelopeError(wire.code as EnvelopeErrorCode, wire.reason ?? wire.message);
  const error = wire.name === 'TypeError' ? new TypeError(wire.message) : new Error(wire.message);
  if (!(error instanceof TypeError)) error.name = wire.name;
  return error;
}

function parseResults(buffer: ArrayBuffer, expected: number): ItemResult[] {
  const text = decoder.decode(buffer);
  const lines = text.length === 0 ? [] : text.split('\n');
  if (lines.length !== expected)
    throw new SealingPoolError(`a sealing worker answered ${lines.length} results for ${expected} items`);
  return lines.map((line) => (line.startsWith(ERROR_MARK) ? rebuildError(line) : line));
}

export class SealingPool {
  readonly threads: number;
  /** Workers that died (each is replaced when the next batch comes; for tests and metrics). */
  workerDeaths = 0;
  readonly #options: SealingPoolOptions;
  /** One per thread; empty until the first batch, and again after its worker died. */
  readonly #slots: (Slot | undefined)[] = [];
  readonly #keys = new Map<number, KeyMessage>();
  #nextKey = 1;
  #nextBatch = 1;
  #closed = false;

  constructor(options: SealingPoolOptions = {}) {
    this.#options = options;
    this.threads = Math.max(1, options.threads ?? availableParallelism());
  }

  /** Workers start with the first batch: a gateway that never seals in bulk starts none. */
  #started(): Slot[] {
    for (let i = 0; i < this.threads; i++) this.#slots[i] ??= this.#newSlot();
    return this.#slots as Slot[];
  }

  /**
   * Registers a bank's signing key with the pool (sent to each worker on its first batch);
   * returns the key's number for run().
   */
  register(bankId: string, signingKey: BankSigningKey, suite: SuiteName): number {
    const keyId = this.#nextKey++;
    this.#keys.set(keyId, { kind: 'key', keyId, bankId, suite, signingKey });
    return keyId;
  }

  /** Closed pools seal nothing (pooled sealers then seal in their own thread). */
  get closed(): boolean {
    return this.#closed;
  }

  /** Seals one batch on the least busy worker; one result per item, in order. */
  run(keyId: number, items: readonly WireItem[]): Promise<ItemResult[]> {
    if (this.#closed) return Promise.reject(new SealingPoolError('the sealing pool is closed'));
    if (!this.#keys.has(keyId)) return Promise.reject(new SealingPoolError('unknown signing key'));
    return new Promise((resolve, reject) => {
      this.#dispatch({
        batchId: this.#nextBatch++,
        keyId,
        items: encodeBatch(items),
        count: items.length,
        deaths: 0,
        resolve,
        reject,
      });
    });
  }

  /** Ends the workers; batches still in flight are rejected. The process may then exit. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const closing = new SealingPoolError('the sealing pool was closed with the batch in flight');
    await Promise.all(
      this.#slots.map(async (slot) => {
        if (!slot) return;
        for (const batch of slot.inFlight.values()) batch.reject(closing);
        slot.inFlight.clear();
        await slot.worker.terminate();
      }),
    );
  }

  #newSlot(): Slot {
    const worker = new Worker(this.#options.workerUrl ?? DEFAULT_WORKER, {
      workerData: this.#options.workerData,
    });
    worker.unref(); // idle: let the process exit
    const slot: Slot = { worker, keys: new Set(), inFlight: new Map() };
    worker.on('message', (message: FromWorker) => this.#answer(slot, message));
    // An uncaught error ends the worker; 'exit' follows.
    worker.on('error', (error) => {
      slot.lastError = error.message;
    });
    worker.on('exit', () => this.#died(slot, worker));
    return slot;
  }

  #dispatch(batch: Batch): void {
    const slots = this.#started();
    let slot = slots[0] as Slot;
    for (const s of slots) if (s.inFlight.size < slot.inFlight.size) slot = s;
    if (!slot.keys.has(batch.keyId)) {
      slot.worker.postMessage(this.#keys.get(batch.keyId) as KeyMessage);
      slot.keys.add(batch.keyId);
    }
    const bytes = encoder.encode(batch.items);
    const message: ToWorker = {
      kind: 'batch',
      batchId: batch.batchId,
      keyId: batch.keyId,
      items: bytes.buffer as ArrayBuffer,
    };
    if (slot.inFlight.size === 0) slot.worker.ref(); // busy: keep the process alive for the answer
    slot.inFlight.set(batch.batchId, batch);
    slot.worker.postMessage(message, [message.items]);
  }

  #answer(slot: Slot, message: FromWorker): void {
    const batch = slot.inFlight.get(message.batchId);
    if (!batch) return;
    slot.inFlight.delete(message.batchId);
    if (slot.inFlight.size === 0) slot.worker.unref();
    if (message.kind === 'failed') {
      batch.reject(new SealingPoolError(`a sealing worker refused the batch: ${message.message}`));
      return;
    }
    try {
      batch.resolve(parseResults(message.results, batch.count));
    } catch (error) {
      batch.reject(error as Error);
    }
  }

  // Replaced lazily (by the next dispatch, here the retry): a worker that cannot start is not
  // restarted in a loop, and its batch is rejected on the second death.
  #died(slot: Slot, worker: Worker): void {
    const index = this.#slots.indexOf(slot);
    if (this.#closed || index < 0 || slot.worker !== worker) return;
    this.#slots[index] = undefined;
    this.workerDeaths++;
    const orphans = [...slot.inFlight.values()];
    slot.inFlight.clear();
    this.#options.onWorkerDeath?.({
      ...(slot.lastError !== undefined ? { error: slot.lastError } : {}),
      batches: orphans.length,
    });
    for (const batch of orphans) {
      batch.deaths++;
      if (batch.deaths < 2) this.#dispatch(batch);
      else
        batch.reject(
          new SealingPoolError(
            `two sealing workers died holding this batch; it was not sealed (${slot.lastError ?? 'worker ended'})`,
          ),
        );
    }
  }
}
