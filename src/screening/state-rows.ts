// The engine's entity states (card, customer, terminal) as rows of screening_state: locked in
// one global order, read, and written back after a group.
//
// A row holds a stored state and the *steps* taken since (entity-steps.ts: each event of a
// later group, as compact as the entity needs it — a terminal's is one number). A group
// appends its steps to the rows it touched instead of writing each whole state again: a busy
// terminal's state is tens of kB of history, its step a dozen bytes, and rewriting the whole
// states of ~300 entities after every group of 100 events was the largest cost of the scoring
// transaction (20–27 ms of a 44 ms group on PostgreSQL, growing with the histories, and most
// of the WAL). Once a row holds MAX_STEPS steps, the next write stores its state in full again.
// A reader (another instance, a restart, a label) replays the steps onto the stored state with
// the engine's own functions, so it gets exactly the state the engine had.
import { sql } from 'kysely';
import {
  type CardStep,
  type CustomerStep,
  replayCard,
  replayCustomer,
  replayTerminal,
  type TerminalStep,
} from './entity-steps.ts';
import {
  type CardState,
  type CustomerState,
  emptyCardState,
  emptyCustomerState,
  emptyTerminalState,
  type TerminalState,
} from './state.ts';
import { encodeState } from './state-codec.ts';
import { type Kind, stateSlot } from './state-stores.ts';
import { parseState, type Trx } from './tables.ts';

/** Steps a row keeps beyond its stored state; the write that would exceed it stores the state. */
export const MAX_STEPS = 32;
/**
 * Bytes of steps a row keeps, likewise. The steps stay in the row uncompressed (migration 0650:
 * compressing them again on every write cost a third of the write-back), so this also keeps the
 * row well inside a page whatever the ids' lengths (128 characters each at most).
 */
export const MAX_STEPS_BYTES = 2_048;

const EMPTY = { card: emptyCardState, customer: emptyCustomerState, terminal: emptyTerminalState };

function parseSteps(value: unknown): unknown[] {
  if (value === null || value === undefined) return [];
  return (typeof value === 'string' ? JSON.parse(value) : value) as unknown[];
}

/** A row's state as the engine had it: the stored state with the row's steps replayed. */
export function readState(kind: Kind, state: unknown, steps: unknown, labelDelayMs: number): object {
  const restored = parseState<object>(state ?? '{}', EMPTY[kind]);
  const taken = parseSteps(steps);
  if (taken.length === 0) return restored;
  if (kind === 'card') replayCard(restored as CardState, taken as CardStep[]);
  else if (kind === 'customer') replayCustomer(restored as CustomerState, taken as CustomerStep[]);
  else replayTerminal(restored as TerminalState, taken as TerminalStep[], labelDelayMs);
  return restored;
}

/**
 * Creates the entities' rows if missing and locks them, in the order given (always card,
 * customer, terminal: one global order, so no two transactions wait on each other in a
 * cycle). `on conflict do update` locks an existing row like `select … for update`.
 */
export async function lockStates(
  trx: Trx,
  bankId: string,
  entities: readonly (readonly [Kind, string])[],
  labelDelayMs: number,
): Promise<[CardState, CustomerState, TerminalState]> {
  const now = new Date();
  const rows = await trx
    .insertInto('screening_state')
    .values(entities.map(([kind, key]) => ({ bank_id: bankId, kind, key, state: '{}', updated_at: now })))
    .onConflict((oc) =>
      oc.columns(['bank_id', 'kind', 'key']).doUpdateSet({ updated_at: sql`screening_state.updated_at` }),
    )
    .returning(['kind', 'state', 'steps'])
    .execute();
  const of = (kind: Kind) => {
    const row = rows.find((candidate) => candidate.kind === kind);
    return readState(kind, row?.state, row?.steps, labelDelayMs);
  };
  return [of('card') as CardState, of('customer') as CustomerState, of('terminal') as TerminalState];
}

/** A state as this instance holds it, with the version of the row it matches. */
export interface HeldState {
  readonly version: number;
  readonly state: object;
}

/**
 * Most states a StateCache keeps (a full cache is emptied and filled again). A state is a few
 * kB of history (a busy terminal's more), so this bounds the cache to tens of MB; a bank with
 * more active cards than this reads the states it no longer holds, as it did without a cache.
 */
const STATE_CACHE_SIZE = 20_000;

/**
 * The states this instance last wrote, with the row version it wrote them at. lockAll sends the
 * versions it holds and gets a state back only where the row has moved on (another instance, a
 * label), so a group reads what changed instead of every state it touches. A state is taken out
 * while a transaction works on it (the engine changes it in place) and put back only once that
 * transaction committed: a rolled-back change is never remembered.
 */
export class StateCache {
  readonly #states = new Map<string, HeldState>();

  take(slot: string): HeldState | undefined {
    const held = this.#states.get(slot);
    if (held !== undefined) this.#states.delete(slot);
    return held;
  }

  /** After the commit: the states as they are now, at the versions their rows are at. */
  keep(states: ReadonlyMap<string, object>, rows: ReadonlyMap<string, RowAt>): void {
    if (this.#states.size + rows.size > STATE_CACHE_SIZE) this.#states.clear();
    for (const [slot, row] of rows) {
      const state = states.get(slot);
      // Only the version: the row's steps and tuple id are read again under the next lock.
      if (state !== undefined) this.#states.set(slot, { version: row.version, state });
    }
  }
}

/** Where a row is: its version, and how many steps (and bytes of them) it keeps. */
export interface RowAt {
  readonly version: number;
  readonly steps: number;
  readonly bytes: number;
}

/** A row this transaction holds locked: where it is, and its tuple id (for saveAll). */
export interface LockedRow extends RowAt {
  /** The row's ctid: fixed while the lock is held and the row not yet written. */
  readonly tid: string;
}

/** A transaction id already screened, with its first decision (see lockAll). */
export interface ScreenedRow {
  readonly transaction_id: string;
  readonly score: number;
  readonly alert: boolean;
  readonly late: boolean;
  readonly alert_id: string | null;
}

export interface LockAllOptions {
  /** The states this instance holds (sent as versions; only changed ones come back). */
  readonly cache?: StateCache | undefined;
  /** Ids whose earlier decisions are wanted (a redelivery). */
  readonly transactionIds?: readonly string[];
  /** The engine's label delay (a terminal's steps replay its label window). */
  readonly labelDelayMs: number;
}

/**
 * Creates the batch's entity rows if missing and locks them, in the order given (rows of a
 * multi-row insert are taken in list order), then reads what it needs: the states by slot and
 * where each row is. With a cache, a state whose row is still at the cached version is not
 * sent again. Two statements, each one round trip for the whole batch:
 *   1. `insert … on conflict do update … where false`: a row that exists is locked without
 *      being written (an `on conflict` update that changes nothing still makes a new row
 *      version: with every touched row written again by saveAll, that doubled the dead rows
 *      of the table, which grew to 100 MB for 3,000 live rows in a 30-second bench);
 *   2. the rows' versions, steps and (where the cache is behind) states, read after the locks
 *      are held — a new statement sees the latest committed row — together with which of
 *      `transactionIds` were screened already (no lock: the insert of the events settles
 *      races).
 */
export async function lockAll(
  trx: Trx,
  bankId: string,
  entities: readonly (readonly [Kind, string])[],
  options: LockAllOptions,
): Promise<{ states: Map<string, object>; rows: Map<string, LockedRow>; screened: ScreenedRow[] }> {
  const held = new Map<string, HeldState>();
  // One JSON parameter rather than four per row: far less protocol work for a big batch.
  const list = JSON.stringify(
    entities.map(([kind, key], n) => {
      const slot = stateSlot(kind, bankId, key);
      const cached = options.cache?.take(slot);
      if (cached !== undefined) held.set(slot, cached);
      return { n, kind, key, v: cached?.version ?? -1 };
    }),
  );
  await sql`
    insert into screening_state (bank_id, kind, key, state, updated_at)
    select ${bankId}, w.kind, w.key, '{}'::json, now()
      from jsonb_to_recordset(${list}::jsonb) as w(n int, kind text, key text)
     order by w.n
    on conflict (bank_id, kind, key) do update set updated_at = screening_state.updated_at where false`.execute(
    trx,
  );
  const { rows } = await sql<{
    kind: Kind | null;
    key: string;
    tid: string | null;
    state: unknown;
    steps: unknown;
    version: string | number | null;
    pending: number | null;
    bytes: number | null;
    score: number | null;
    alert: boolean | null;
    late: boolean | null;
    alert_id: string | null;
  }>`
    select s.kind, s.key, s.ctid::text as tid, case when s.version = w.v then null else s.state end as state,
           case when s.version = w.v then null else s.steps end as steps,
           s.version, jsonb_array_length(s.steps) as pending, pg_column_size(s.steps) as bytes,
           null::double precision as score, null::boolean as alert, null::boolean as late, null::text as alert_id
      from jsonb_to_recordset(${list}::jsonb) as w(kind text, key text, v bigint)
      -- One primary-key lookup per entity (a lateral subquery with a limit is never turned
      -- into a hash join over the bank's rows, which a fresh table's estimates led to).
      cross join lateral (
        select s.kind, s.key, s.ctid, s.version, s.state, s.steps from screening_state s
         where s.bank_id = ${bankId} and s.kind = w.kind and s.key = w.key limit 1) s
    union all
    select null, e.transaction_id, null, null, null, null, null, null, e.score, e.alert, e.late, a.id
      from screening_event e
      left join screening_alert a on a.bank_id = e.bank_id and a.transaction_id = e.transaction_id
     where e.bank_id = ${bankId}
       and e.transaction_id = any(array(select jsonb_array_elements_text(${JSON.stringify(options.transactionIds ?? [])}::jsonb)))`.execute(
    trx,
  );
  const states = new Map<string, object>();
  const at = new Map<string, LockedRow>();
  const screened: ScreenedRow[] = [];
  for (const row of rows) {
    if (row.kind === null) {
      screened.push({
        transaction_id: row.key,
        score: row.score!,
        alert: row.alert!,
        late: row.late!,
        alert_id: row.alert_id,
      });
      continue;
    }
    const slot = stateSlot(row.kind, bankId, row.key);
    const cached = held.get(slot);
    const version = Number(row.version);
    at.set(slot, { version, steps: Number(row.pending ?? 0), bytes: Number(row.bytes ?? 0), tid: row.tid! });
    if (cached !== undefined && cached.version === version) states.set(slot, cached.state);
    else states.set(slot, readState(row.kind, row.state, row.steps, options.labelDelayMs));
  }
  for (const [kind, key] of entities) {
    if (!states.has(stateSlot(kind, bankId, key))) throw new Error(`screening: ${kind} row not locked`);
  }
  return { states, rows: at, screened };
}

/**
 * Writes back what a group changed, in one statement (one JSON parameter): each row's new
 * steps appended, or, for a row that would then keep more than MAX_STEPS, its whole state
 * (and no steps). Rows without new steps are left as they are. The rows are found by the tuple
 * ids lockAll read under the locks (a TID scan: no index lookup, no join over the bank's
 * rows). Returns where each written row is now (for StateCache.keep once the transaction has
 * committed).
 */
export async function saveAll(
  trx: Trx,
  bankId: string,
  entities: readonly (readonly [Kind, string])[],
  states: ReadonlyMap<string, object>,
  steps: ReadonlyMap<string, readonly unknown[]>,
  rows: ReadonlyMap<string, LockedRow>,
): Promise<Map<string, RowAt>> {
  const writes: { tid: string; kind: Kind; key: string; state?: object; steps?: readonly unknown[] }[] = [];
  for (const [kind, key] of entities) {
    const slot = stateSlot(kind, bankId, key);
    const taken = steps.get(slot);
    if (taken === undefined || taken.length === 0) continue;
    const row = rows.get(slot);
    if (row === undefined) throw new Error(`screening: ${kind} row not locked`);
    // As jsonb the steps take about a fifth more than as JSON text (measured: 976 bytes of
    // jsonb for 785 of text); a quarter is allowed.
    const bytes = 1.25 * Buffer.byteLength(JSON.stringify(taken));
    if (row.steps + taken.length > MAX_STEPS || row.bytes + bytes > MAX_STEPS_BYTES)
      writes.push({ tid: row.tid, kind, key, state: encodeState(states.get(slot)!) });
    else writes.push({ tid: row.tid, kind, key, steps: taken });
  }
  if (writes.length === 0) return new Map();
  const list = JSON.stringify(writes);
  const { rows: written } = await sql<{
    kind: Kind;
    key: string;
    version: string | number;
    pending: number;
    bytes: number;
  }>`
    update screening_state as s
       set state = coalesce(v.state, s.state),
           steps = case when v.state is null then s.steps || v.steps else '[]'::jsonb end,
           updated_at = now(), version = s.version + 1
      from json_to_recordset(${list}::json) as v(tid tid, kind text, key text, state json, steps jsonb)
     where s.ctid = any(array(select (x ->> 'tid')::tid from json_array_elements(${list}::json) as x))
       and s.ctid = v.tid and s.bank_id = ${bankId} and s.kind = v.kind and s.key = v.key
    returning s.kind, s.key, s.version, jsonb_array_length(s.steps) as pending, pg_column_size(s.steps) as bytes`.execute(
    trx,
  );
  return new Map(
    written.map((row) => [
      stateSlot(row.kind, bankId, row.key),
      { version: Number(row.version), steps: Number(row.pending), bytes: Number(row.bytes) },
    ]),
  );
}

/** Writes the whole new states of locked entities back in one statement (no steps kept). */
export async function saveStates(
  trx: Trx,
  bankId: string,
  entities: readonly (readonly [Kind, string, object])[],
): Promise<void> {
  const values = sql.join(
    entities.map(([kind, key, state]) => sql`(${kind}, ${key}, ${JSON.stringify(encodeState(state))})`),
  );
  await sql`update screening_state as s set state = v.state::json, steps = '[]'::jsonb, updated_at = now(),
                   version = s.version + 1
    from (values ${values}) as v(kind, key, state)
    where s.bank_id = ${bankId} and s.kind = v.kind and s.key = v.key`.execute(trx);
}
