// The access token → consent row, cached so that a data call does not read it from the
// database each time, and dropped on every instance when it changes.
//
// Why this is safe: every change to a consent row (authorise, revoke, expire, device key)
// is announced on CONSENT_CHANNEL with the consent id after it commits, and access-token
// deletions with `token:<sha-256 of the token>` (adapter.ts); each instance LISTENs and drops
// what the payload names (PostgreSQL NOTIFY reaches every instance; PGlite delivers it in
// its own process). A read that raced an announcement is not cached (generation counter).
// Entries also live at most TTL_MS, bounding any staleness a lost notification (listener
// connection dropped) could cause. And the cache is never the last word on a release: the
// audit trail re-reads the consent's status inside the transaction that logs each batch of
// releases (release-guard.ts), so a revocation committed before that moment withholds the
// release even on an instance whose cache has not heard of it yet.
import type { Database } from '../storage/index.ts';
import { CONSENT_CHANNEL } from './store.ts';

const TTL_MS = 5_000;
const MAX_ENTRIES = 50_000;

/** What the announcement of a deleted access token carries (never the token itself). */
export function tokenAnnouncement(tokenHash: string): string {
  return `token:${tokenHash}`;
}

interface Entry<T> {
  readonly value: T;
  readonly loadedAt: number;
  /** Announcement payloads that drop this entry: the consent id and the token's hash. */
  readonly owners: readonly string[];
}

export class GrantCache<T> {
  readonly #database: Database;
  readonly #ttlMs: number;
  readonly #max: number;
  readonly #clock: () => number;
  readonly #entries = new Map<string, Entry<T>>();
  readonly #byOwner = new Map<string, Set<string>>();
  #generation = 0;
  /** Resolves to whether announcements are being received; without them nothing is cached. */
  #listening: Promise<boolean> | undefined;

  constructor(database: Database, options: { ttlMs?: number; max?: number; clock?: () => number } = {}) {
    this.#database = database;
    this.#ttlMs = options.ttlMs ?? TTL_MS;
    this.#max = options.max ?? MAX_ENTRIES;
    this.#clock = options.clock ?? Date.now;
  }

  /** Starts listening (once); false when the database cannot deliver announcements. */
  listening(): Promise<boolean> {
    this.#listening ??= this.#database
      .listen(CONSENT_CHANNEL, (payload) => this.drop(payload))
      .then(
        () => true,
        () => false,
      );
    return this.#listening;
  }

  /** The current generation: pass it to `set` so a read that raced an announcement is not kept. */
  get generation(): number {
    return this.#generation;
  }

  get(key: string): T | undefined {
    const entry = this.#entries.get(key);
    if (!entry) return undefined;
    if (this.#clock() - entry.loadedAt < this.#ttlMs) return entry.value;
    this.#remove(key, entry);
    return undefined;
  }

  /** Keeps the value unless an announcement arrived since `generation` was read. */
  set(key: string, value: T, owners: readonly string[], generation: number): void {
    if (generation !== this.#generation) return;
    const old = this.#entries.get(key);
    if (old) this.#remove(key, old);
    if (this.#entries.size >= this.#max) {
      const [oldestKey, oldest] = this.#entries.entries().next().value!;
      this.#remove(oldestKey, oldest);
    }
    this.#entries.set(key, { value, loadedAt: this.#clock(), owners });
    for (const owner of owners) {
      const keys = this.#byOwner.get(owner);
      if (keys) keys.add(key);
      else this.#byOwner.set(owner, new Set([key]));
    }
  }

  /** Drops every entry the announcement names (a consent id, or `token:<hash>`). */
  drop(owner: string): void {
    this.#generation++;
    const keys = this.#byOwner.get(owner);
    if (!keys) return;
    for (const key of [...keys]) {
      const entry = this.#entries.get(key);
      if (entry) this.#remove(key, entry);
    }
    this.#byOwner.delete(owner);
  }

  get size(): number {
    return this.#entries.size;
  }

  #remove(key: string, entry: Entry<T>): void {
    this.#entries.delete(key);
    for (const owner of entry.owners) {
      const keys = this.#byOwner.get(owner);
      keys?.delete(key);
      if (keys?.size === 0) this.#byOwner.delete(owner);
    }
  }
}
