// The one batching queue of screening (it replaced two hand-written ones): items submitted
// per key (a bank) are gathered and run together, and one item's trouble never costs the
// others — a failed multi-item run is retried item by item.
//   - mode 'tick': items submitted in the same event-loop turn are gathered (setImmediate)
//     and dispatched at once, in runs of at most `maxWeight`, without waiting for earlier
//     runs (screen() calls → screenBatch: validation and admission overlap freely);
//   - mode 'serial': one run per key at a time (group commit): items arriving while a run is
//     in progress wait and then run together, in arrival order, up to `maxWeight` (the
//     scoring transaction: hot rows read and written once per group, never two groups of a
//     bank racing for the same row locks).
// The transparency log keeps its own group committer (src/translog/appender.ts): its batch
// is also its Merkle append and checkpoint cadence, owned by that context.

export interface BatcherOptions<Item, Result> {
  readonly mode: 'tick' | 'serial';
  /** Largest total weight of one run. */
  readonly maxWeight: number;
  /** An item's weight (default 1). */
  readonly weight?: (item: Item) => number;
  /**
   * Runs items of one key together; one result per item, in order. A result may itself be a
   * promise: its item is answered when it settles, while the next run goes ahead.
   */
  readonly run: (key: string, items: readonly Item[]) => Promise<readonly (Result | PromiseLike<Result>)[]>;
}

interface Waiting<Item, Result> {
  readonly item: Item;
  readonly resolve: (result: Result | PromiseLike<Result>) => void;
  readonly reject: (error: unknown) => void;
}

export class Batcher<Item, Result> {
  readonly #options: BatcherOptions<Item, Result>;
  readonly #queues = new Map<string, Waiting<Item, Result>[]>();

  constructor(options: BatcherOptions<Item, Result>) {
    this.#options = options;
  }

  submit(key: string, item: Item): Promise<Result> {
    return new Promise((resolve, reject) => {
      const waiting = this.#queues.get(key);
      if (waiting !== undefined) {
        waiting.push({ item, resolve, reject });
        return;
      }
      this.#queues.set(key, [{ item, resolve, reject }]);
      if (this.#options.mode === 'tick') setImmediate(() => this.#dispatch(key));
      else void this.#drain(key);
    });
  }

  /** Takes the next run off the front of `queue`: at least one item, at most maxWeight. */
  #take(queue: Waiting<Item, Result>[]): Waiting<Item, Result>[] {
    const weight = this.#options.weight ?? (() => 1);
    const run = [queue.shift()!];
    let total = weight(run[0]!.item);
    while (queue.length > 0 && total + weight(queue[0]!.item) <= this.#options.maxWeight) {
      total += weight(queue[0]!.item);
      run.push(queue.shift()!);
    }
    return run;
  }

  #dispatch(key: string): void {
    const queue = this.#queues.get(key) ?? [];
    this.#queues.delete(key);
    while (queue.length > 0) void this.#runIsolated(key, this.#take(queue), false);
  }

  async #drain(key: string): Promise<void> {
    const queue = this.#queues.get(key)!;
    while (queue.length > 0) await this.#runIsolated(key, this.#take(queue), true);
    this.#queues.delete(key);
  }

  /** Runs the items together; if that fails, each on its own (in turn when `serial`). */
  async #runIsolated(key: string, run: readonly Waiting<Item, Result>[], serial: boolean): Promise<void> {
    try {
      const results = await this.#options.run(
        key,
        run.map((w) => w.item),
      );
      for (let i = 0; i < run.length; i++) run[i]!.resolve(results[i]!);
    } catch (error) {
      if (run.length === 1) {
        run[0]!.reject(error);
        return;
      }
      const alone = async (w: Waiting<Item, Result>) => {
        try {
          w.resolve((await this.#options.run(key, [w.item]))[0]!);
        } catch (single) {
          w.reject(single);
        }
      };
      if (serial) for (const w of run) await alone(w);
      else await Promise.all(run.map(alone));
    }
  }
}
