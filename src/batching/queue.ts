// The one batching queue of Proviso: items submitted per key (a bank, a log) are gathered and
// run together, and each caller is answered with its own item's result only once the run
// that carried it has finished (for a group commit: after COMMIT). Used by the transparency
// log's group commit, screening's calls and scoring groups, and the relay's SQL rounds.
//   - mode 'tick': items submitted in the same event-loop turn are gathered (setImmediate)
//     and dispatched at once, in runs of at most `maxWeight`, without waiting for earlier
//     runs (independent work that may overlap freely);
//   - mode 'serial': at most `overlap` runs per key at a time (default 1: group commit);
//     items arriving meanwhile wait and then run together, in arrival order, up to
//     `maxWeight`. With `delayMs`, a run waits that long for company once it may start
//     (unless `maxWeight` is already waiting). Pipelining: with `overlap` 2, a run may call
//     `handOff()` once the part that must not overlap is done (the log: its batch planned
//     and sent); run N+1 then starts (gathered all along, it prepares while N commits).
//     Ordering what must stay ordered (the log's commits) is the run's own business.
// One item's trouble never costs the others: a run may answer `new Refused(error)` for an
// item (that caller alone gets the error), and with `isolate` (the default) a failed run of
// several items is retried item by item, so only the items that fail alone are rejected.
// Written by hand (about 250 lines): the batching is Proviso's own contract (per-item
// refusal, isolation, ordered overlap); the libraries seen batch loads, not commits.

/** A run's answer for an item it refuses: that item's caller gets `error`, the others go on. */
export class Refused {
  readonly error: unknown;
  constructor(error: unknown) {
    this.error = error;
  }
}

const NO_HAND_OFF = () => {};

export interface BatchQueueOptions<Item, Result> {
  readonly mode: 'tick' | 'serial';
  /** Largest total weight of one run (an item heavier than that runs alone). */
  readonly maxWeight: number;
  /** An item's weight (default 1). */
  readonly weight?: (item: Item) => number;
  /** serial: runs of one key in flight at once (default 1); the next starts at handOff(). */
  readonly overlap?: number;
  /** serial: how long a run waits for company before it starts (default 0: it starts at once). */
  readonly delayMs?: number;
  /** Retry a failed run of several items item by item (default true). */
  readonly isolate?: boolean;
  /**
   * Runs items of one key together; one answer per item, in order. An answer may be a
   * promise (its item is answered when it settles, while the next run goes ahead) or a
   * `Refused`.
   */
  readonly run: (
    key: string,
    items: readonly Item[],
    handOff: () => void,
  ) => Promise<readonly (Result | Refused | PromiseLike<Result>)[]>;
}

interface Waiting<Item, Result> {
  readonly item: Item;
  readonly resolve: (result: Result | PromiseLike<Result>) => void;
  readonly reject: (error: unknown) => void;
}

/** One key's waiting items and runs in flight. */
interface Lane<Item, Result> {
  readonly waiting: Waiting<Item, Result>[];
  inFlight: number;
  /** Runs in flight (serial). */
  runs: number;
  /** A run is in flight that has not handed off yet (serial). */
  gated: boolean;
  /** When the oldest waiting item arrived (for delayMs). */
  since: number;
  timer: NodeJS.Timeout | undefined;
}

export class BatchQueue<Item, Result> {
  readonly #options: BatchQueueOptions<Item, Result>;
  readonly #weight: (item: Item) => number;
  readonly #lanes = new Map<string, Lane<Item, Result>>();
  /** Runs in flight (drain() waits for them). */
  readonly #running = new Set<Promise<void>>();
  #draining = false;
  /** Runs started and items they carried (metrics, benchmarks). */
  rounds = 0;
  items = 0;

  constructor(options: BatchQueueOptions<Item, Result>) {
    this.#options = options;
    this.#weight = options.weight ?? (() => 1);
  }

  submit(key: string, item: Item): Promise<Result> {
    return new Promise((resolve, reject) => {
      let lane = this.#lanes.get(key);
      if (lane === undefined) {
        lane = { waiting: [], inFlight: 0, runs: 0, gated: false, since: 0, timer: undefined };
        this.#lanes.set(key, lane);
      }
      if (lane.waiting.length === 0) lane.since = performance.now();
      lane.waiting.push({ item, resolve, reject });
      if (this.#options.mode === 'tick') {
        if (lane.waiting.length === 1) setImmediate(() => this.#dispatch(key, lane));
      } else this.#pump(key, lane);
    });
  }

  /**
   * Runs everything waiting without waiting for company, and resolves once every item
   * submitted so far has been answered (a closing owner's flush).
   */
  async drain(): Promise<void> {
    this.#draining = true;
    try {
      while (this.#lanes.size > 0) {
        for (const [key, lane] of this.#lanes) {
          clearTimeout(lane.timer);
          lane.timer = undefined;
          if (this.#options.mode === 'tick') this.#dispatch(key, lane);
          else this.#pump(key, lane);
        }
        await Promise.all(this.#running);
      }
    } finally {
      this.#draining = false;
    }
  }

  /** Takes the next run off the front of `queue`: at least one item, at most maxWeight. */
  #take(queue: Waiting<Item, Result>[]): Waiting<Item, Result>[] {
    let total = 0;
    let count = 0;
    for (const waiting of queue) {
      total += this.#weight(waiting.item);
      if (count > 0 && total > this.#options.maxWeight) break;
      count++;
    }
    return queue.splice(0, count);
  }

  #dispatch(key: string, lane: Lane<Item, Result>): void {
    while (lane.waiting.length > 0) {
      const run = this.#take(lane.waiting);
      lane.inFlight += run.length;
      this.#track(
        this.#runIsolated(key, run, false, NO_HAND_OFF).finally(() => {
          lane.inFlight -= run.length;
          this.#forget(key, lane);
        }),
      );
    }
  }

  /** serial: starts runs while a slot is free and (with delayMs) company had time to come. */
  #pump(key: string, lane: Lane<Item, Result>): void {
    const overlap = this.#options.overlap ?? 1;
    const delay = this.#options.delayMs ?? 0;
    while (lane.waiting.length > 0 && lane.runs < overlap && !lane.gated) {
      const waited = performance.now() - lane.since;
      if (!this.#draining && delay > 0 && waited < delay && !this.#full(lane.waiting)) {
        lane.timer ??= setTimeout(() => {
          lane.timer = undefined;
          this.#pump(key, lane);
        }, delay - waited);
        return;
      }
      clearTimeout(lane.timer);
      lane.timer = undefined;
      this.#start(key, lane);
    }
  }

  #start(key: string, lane: Lane<Item, Result>): void {
    const run = this.#take(lane.waiting);
    lane.since = performance.now();
    lane.inFlight += run.length;
    lane.runs++;
    lane.gated = true;
    let handed = false;
    const handOff = () => {
      if (handed) return;
      handed = true;
      lane.gated = false;
      this.#pump(key, lane);
    };
    const done = this.#runIsolated(key, run, true, handOff).finally(() => {
      lane.inFlight -= run.length;
      lane.runs--;
      handOff(); // a run that never handed off does so when it ends
      this.#pump(key, lane);
      this.#forget(key, lane);
    });
    this.#track(done);
  }

  #track(run: Promise<void>): void {
    this.#running.add(run);
    void run.finally(() => this.#running.delete(run));
  }

  #full(queue: readonly Waiting<Item, Result>[]): boolean {
    let total = 0;
    for (const w of queue) {
      total += this.#weight(w.item);
      if (total >= this.#options.maxWeight) return true;
    }
    return false;
  }

  #forget(key: string, lane: Lane<Item, Result>): void {
    if (lane.waiting.length === 0 && lane.inFlight === 0 && this.#lanes.get(key) === lane) {
      clearTimeout(lane.timer);
      this.#lanes.delete(key);
    }
  }

  /** Runs the items together; if that fails, each on its own (in turn when `serial`). */
  async #runIsolated(
    key: string,
    run: readonly Waiting<Item, Result>[],
    serial: boolean,
    handOff: () => void,
  ): Promise<void> {
    this.rounds++;
    this.items += run.length;
    try {
      const results = await this.#options.run(
        key,
        run.map((w) => w.item),
        handOff,
      );
      for (let i = 0; i < run.length; i++) answer(run[i]!, results[i]);
    } catch (error) {
      if (run.length === 1 || this.#options.isolate === false) {
        for (const w of run) w.reject(error);
        return;
      }
      const alone = async (w: Waiting<Item, Result>) => {
        try {
          answer(w, (await this.#options.run(key, [w.item], NO_HAND_OFF))[0]);
        } catch (single) {
          w.reject(single);
        }
      };
      if (serial) for (const w of run) await alone(w);
      else await Promise.all(run.map(alone));
    }
  }
}

function answer<Result>(
  waiting: Waiting<unknown, Result>,
  result: Result | Refused | PromiseLike<Result> | undefined,
): void {
  if (result instanceof Refused) waiting.reject(result.error);
  else waiting.resolve(result as Result | PromiseLike<Result>);
}
