// Named (server-side prepared) statements for the hot queries on PostgreSQL. Kysely hands the
// `pg` client each query as text + parameters, which `pg` sends unnamed: PostgreSQL parses,
// analyses and plans the same text again on every call. Here a text seen often enough gets a
// name (from a hash of its text) and `pg` sends it as a named statement: parsed and planned
// once per connection, after that only Bind/Execute. Bounded: at most `max` texts are ever
// named per process (the server keeps each prepared on every pooled connection), and only
// texts that carry parameters (the extended protocol already; a text without parameters may
// hold several statements, as migrations do, and stays as it is).
//
// Hand-written: neither Kysely's dialect nor `pg` offers "prepare what is hot".
import { createHash } from 'node:crypto';
import type { PostgresPool, PostgresPoolClient } from 'kysely';
import type pg from 'pg';

export interface PreparedOptions {
  /** Calls of one text before it is named. */
  hotAfter: number;
  /** Texts named at most, per process. */
  max: number;
}

const DEFAULTS: PreparedOptions = { hotAfter: 8, max: 200 };
/** Texts counted at most before the counts start again (texts vary with list lengths). */
const MAX_COUNTED = 10_000;

/** Decides which texts are named, and their names. */
export class HotStatements {
  readonly #options: PreparedOptions;
  readonly #names = new Map<string, string>();
  readonly #counts = new Map<string, number>();

  constructor(options: Partial<PreparedOptions> = {}) {
    this.#options = { ...DEFAULTS, ...options };
  }

  /** The statement's name, or undefined to send it unnamed (not hot yet, or the cap is reached). */
  nameFor(text: string): string | undefined {
    const name = this.#names.get(text);
    if (name !== undefined || this.#names.size >= this.#options.max) return name;
    const seen = (this.#counts.get(text) ?? 0) + 1;
    if (seen < this.#options.hotAfter) {
      if (this.#counts.size >= MAX_COUNTED) this.#counts.clear();
      this.#counts.set(text, seen);
      return undefined;
    }
    this.#counts.delete(text);
    const named = `proviso_${createHash('sha256').update(text).digest('base64url').slice(0, 24)}`;
    this.#names.set(text, named);
    return named;
  }

  /** Texts named so far. */
  get size(): number {
    return this.#names.size;
  }
}

type Query = PostgresPoolClient['query'];

/** A pool for Kysely's PostgresDialect whose clients send hot texts as named statements. */
export function preparingPool(pool: pg.Pool, hot = new HotStatements()): PostgresPool {
  // Kysely keys its connection objects by client: one wrapper per pooled client, kept.
  const wrappers = new WeakMap<pg.PoolClient, PostgresPoolClient>();
  const wrap = (client: pg.PoolClient): PostgresPoolClient => {
    const query = ((text: unknown, parameters?: readonly unknown[]) => {
      if (typeof text === 'string' && parameters && parameters.length > 0) {
        const name = hot.nameFor(text);
        if (name !== undefined) return client.query({ name, text, values: [...parameters] });
      }
      return (client.query as (...args: unknown[]) => unknown)(text, parameters);
    }) as Query;
    return { query, release: (destroy?: boolean) => client.release(destroy) };
  };
  return {
    async connect() {
      const client = await pool.connect();
      let wrapper = wrappers.get(client);
      if (!wrapper) {
        wrapper = wrap(client);
        wrappers.set(client, wrapper);
      }
      return wrapper;
    },
    end: () => pool.end(),
  };
}
