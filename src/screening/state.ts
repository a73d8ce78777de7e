// The engine's streaming state, as plain JSON-able records so it can be snapshotted,
// restored after a restart and (later) kept per entity in PostgreSQL. The engine reaches it
// only through `FeatureStateStore`, so a DB-backed store can replace the in-memory one.

/** Label of a past transaction as the bank knows it now. */
export const LABEL_UNKNOWN = -1;
export const LABEL_GENUINE = 0;
export const LABEL_FRAUD = 1;

/**
 * This card's transactions of the last 30 days, oldest first, as parallel arrays of
 * numbers: the per-event scan then reads contiguous memory instead of chasing one object
 * per transaction (that pointer chasing made feature computation ~4× slower).
 */
export interface CardState {
  id: string[];
  /** Epoch milliseconds. */
  t: number[];
  amount: number[];
  hour: number[];
  /** LABEL_UNKNOWN until the label is visible. */
  label: number[];
  /** 32-bit hashes of terminal id, country and channel (equality is all we need). */
  terminal: number[];
  country: number[];
  channel: number[];
}

export interface TerminalState {
  /** Times of the terminal's transactions of the last 30 days, oldest first. */
  times: number[];
  /** Visible labels ordered by transaction time: the transaction's time, 1 fraud / 0 genuine. */
  labelT: number[];
  labelFraud: number[];
}

export interface CustomerState {
  times: number[];
  /** cardId → last time the customer used it. */
  cards: Record<string, number>;
}

/** A label recorded but not yet visible: it becomes usable at `visibleAt`. */
export interface PendingLabel {
  readonly visibleAt: number;
  readonly id: string;
  readonly card: string;
  readonly terminal: string;
  readonly t: number;
  readonly fraud: boolean;
}

/** Where a recent transaction lives, so a late label can find it. */
export interface RecentTx {
  /** Bank-qualified transaction key (see transactionKey). */
  readonly key: string;
  /** The bank's transaction id, as kept in the card history. */
  readonly id: string;
  readonly card: string;
  readonly terminal: string;
  readonly t: number;
}

export interface FeatureStateStore {
  card(key: string): CardState;
  terminal(key: string): TerminalState;
  customer(key: string): CustomerState;
  /** Remembers a transaction for late labels; `findRecent` answers until `forgetRecentBefore`. */
  rememberRecent(tx: RecentTx): void;
  findRecent(key: string): RecentTx | undefined;
  forgetRecentBefore(t: number): void;
  pushPending(label: PendingLabel): void;
  /** Removes and returns the pending labels visible at `t`, in visibility order. */
  popVisible(t: number): PendingLabel[];
  clock: number;
}

export interface StateSnapshot {
  readonly version: 1;
  readonly clock: number;
  readonly cards: Record<string, CardState>;
  readonly terminals: Record<string, TerminalState>;
  readonly customers: Record<string, CustomerState>;
  readonly recent: RecentTx[];
  readonly pending: PendingLabel[];
}

/** In-memory store for training, file scoring and tests; snapshot()/restore for restarts. */
export class InMemoryStateStore implements FeatureStateStore {
  clock = Number.NEGATIVE_INFINITY;
  private readonly cards = new Map<string, CardState>();
  private readonly terminals = new Map<string, TerminalState>();
  private readonly customers = new Map<string, CustomerState>();
  private readonly recentById = new Map<string, RecentTx>();
  // Arrival order ≈ time order, so forgetting old transactions is a queue pop.
  private recentQueue: RecentTx[] = [];
  private recentHead = 0;
  // Binary min-heap on visibleAt: labels may be recorded out of order online.
  private readonly heap: PendingLabel[] = [];

  card(key: string): CardState {
    let state = this.cards.get(key);
    if (state === undefined) {
      state = { id: [], t: [], amount: [], hour: [], label: [], terminal: [], country: [], channel: [] };
      this.cards.set(key, state);
    }
    return state;
  }

  terminal(key: string): TerminalState {
    let state = this.terminals.get(key);
    if (state === undefined) {
      state = { times: [], labelT: [], labelFraud: [] };
      this.terminals.set(key, state);
    }
    return state;
  }

  customer(key: string): CustomerState {
    let state = this.customers.get(key);
    if (state === undefined) {
      state = { times: [], cards: {} };
      this.customers.set(key, state);
    }
    return state;
  }

  rememberRecent(tx: RecentTx): void {
    this.recentById.set(tx.key, tx);
    this.recentQueue.push(tx);
  }

  findRecent(key: string): RecentTx | undefined {
    return this.recentById.get(key);
  }

  forgetRecentBefore(t: number): void {
    const queue = this.recentQueue;
    while (this.recentHead < queue.length && queue[this.recentHead]!.t < t) {
      const tx = queue[this.recentHead++]!;
      if (this.recentById.get(tx.key) === tx) this.recentById.delete(tx.key);
    }
    if (this.recentHead > 65_536 && this.recentHead * 2 > queue.length) {
      this.recentQueue = queue.slice(this.recentHead);
      this.recentHead = 0;
    }
  }

  pushPending(label: PendingLabel): void {
    const heap = this.heap;
    heap.push(label);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (heap[parent]!.visibleAt <= heap[i]!.visibleAt) break;
      [heap[parent], heap[i]] = [heap[i]!, heap[parent]!];
      i = parent;
    }
  }

  popVisible(t: number): PendingLabel[] {
    const out: PendingLabel[] = [];
    const heap = this.heap;
    while (heap.length > 0 && heap[0]!.visibleAt <= t) {
      out.push(heap[0]!);
      const last = heap.pop()!;
      if (heap.length === 0) break;
      heap[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < heap.length && heap[l]!.visibleAt < heap[m]!.visibleAt) m = l;
        if (r < heap.length && heap[r]!.visibleAt < heap[m]!.visibleAt) m = r;
        if (m === i) break;
        [heap[m], heap[i]] = [heap[i]!, heap[m]!];
        i = m;
      }
    }
    return out;
  }

  snapshot(): StateSnapshot {
    return {
      version: 1,
      clock: this.clock,
      cards: Object.fromEntries(this.cards),
      terminals: Object.fromEntries(this.terminals),
      customers: Object.fromEntries(this.customers),
      recent: this.recentQueue.slice(this.recentHead).filter((tx) => this.recentById.get(tx.key) === tx),
      pending: [...this.heap],
    };
  }

  /** A store holding exactly the state of a snapshot (deep-copied, so both evolve apart). */
  static restore(snapshot: StateSnapshot): InMemoryStateStore {
    if (snapshot.version !== 1)
      throw new Error(`unsupported screening state version ${String(snapshot.version)}`);
    const copy = structuredClone(snapshot);
    const store = new InMemoryStateStore();
    store.clock = copy.clock ?? Number.NEGATIVE_INFINITY;
    for (const [key, value] of Object.entries(copy.cards)) store.cards.set(key, value);
    for (const [key, value] of Object.entries(copy.terminals)) store.terminals.set(key, value);
    for (const [key, value] of Object.entries(copy.customers)) store.customers.set(key, value);
    for (const tx of copy.recent) store.rememberRecent(tx);
    for (const label of copy.pending) store.pushPending(label);
    return store;
  }
}
