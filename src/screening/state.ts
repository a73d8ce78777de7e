// The engine's streaming state, as plain JSON-able records per entity (card, customer,
// terminal), so it can be snapshotted, restored after a restart and kept one row per entity
// in PostgreSQL (see service.ts). The engine reaches it only through `FeatureStateStore`.

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
  /** LABEL_UNKNOWN until a label is recorded. */
  label: number[];
  /** Epoch ms from which the label may be used (0 while unknown). */
  labelAt: number[];
  /** 32-bit hashes of terminal id, country and channel (equality is all we need). */
  terminal: number[];
  country: number[];
  channel: number[];
}

export interface TerminalState {
  /** Times of the terminal's transactions of the last 30 days, oldest first. */
  times: number[];
  /** Recorded labels ordered by transaction time: the transaction's time, 1 fraud / 0 genuine. */
  labelT: number[];
  labelFraud: number[];
  /** Epoch ms from which each label may be used. */
  labelAt: number[];
  /** Transaction id of each label (a relabel replaces, never duplicates). */
  labelId: string[];
}

export interface CustomerState {
  times: number[];
  /** cardId → last time the customer used it. */
  cards: Record<string, number>;
}

/** Where a recent transaction lives, so a late label can find it. */
export interface RecentTx {
  /** Bank-qualified transaction key (see transactionKey). */
  readonly key: string;
  /** The bank's transaction id, as kept in the card history. */
  readonly id: string;
  /** Entity keys of the card and terminal (bank-qualified). */
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
}

export const emptyCardState = (): CardState => ({
  id: [],
  t: [],
  amount: [],
  hour: [],
  label: [],
  labelAt: [],
  terminal: [],
  country: [],
  channel: [],
});
export const emptyTerminalState = (): TerminalState => ({
  times: [],
  labelT: [],
  labelFraud: [],
  labelAt: [],
  labelId: [],
});
export const emptyCustomerState = (): CustomerState => ({ times: [], cards: {} });

export interface StateSnapshot {
  readonly version: 2;
  readonly cards: Record<string, CardState>;
  readonly terminals: Record<string, TerminalState>;
  readonly customers: Record<string, CustomerState>;
  readonly recent: RecentTx[];
}

/** In-memory store for training, file scoring and tests; snapshot()/restore for restarts. */
export class InMemoryStateStore implements FeatureStateStore {
  private readonly cards = new Map<string, CardState>();
  private readonly terminals = new Map<string, TerminalState>();
  private readonly customers = new Map<string, CustomerState>();
  private readonly recentById = new Map<string, RecentTx>();
  // Arrival order ≈ time order, so forgetting old transactions is a queue pop.
  private recentQueue: RecentTx[] = [];
  private recentHead = 0;

  card(key: string): CardState {
    let state = this.cards.get(key);
    if (state === undefined) {
      state = emptyCardState();
      this.cards.set(key, state);
    }
    return state;
  }

  terminal(key: string): TerminalState {
    let state = this.terminals.get(key);
    if (state === undefined) {
      state = emptyTerminalState();
      this.terminals.set(key, state);
    }
    return state;
  }

  customer(key: string): CustomerState {
    let state = this.customers.get(key);
    if (state === undefined) {
      state = emptyCustomerState();
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

  snapshot(): StateSnapshot {
    return {
      version: 2,
      cards: Object.fromEntries(this.cards),
      terminals: Object.fromEntries(this.terminals),
      customers: Object.fromEntries(this.customers),
      recent: this.recentQueue.slice(this.recentHead).filter((tx) => this.recentById.get(tx.key) === tx),
    };
  }

  /** A store holding exactly the state of a snapshot (deep-copied, so both evolve apart). */
  static restore(snapshot: StateSnapshot): InMemoryStateStore {
    if (snapshot.version !== 2)
      throw new Error(`unsupported screening state version ${String(snapshot.version)}`);
    const copy = structuredClone(snapshot);
    const store = new InMemoryStateStore();
    for (const [key, value] of Object.entries(copy.cards)) store.cards.set(key, value);
    for (const [key, value] of Object.entries(copy.terminals)) store.terminals.set(key, value);
    for (const [key, value] of Object.entries(copy.customers)) store.customers.set(key, value);
    for (const tx of copy.recent) store.rememberRecent(tx);
    return store;
  }
}
