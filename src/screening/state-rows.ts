// The engine's entity states (card, customer, terminal) as rows of screening_state: locked in
// one global order, handed to the feature engine as its whole world, written back.
import { sql } from 'kysely';
import { transactionKey } from './features.ts';
import {
  type CardState,
  type CustomerState,
  emptyCardState,
  emptyCustomerState,
  emptyTerminalState,
  type FeatureStateStore,
  type TerminalState,
} from './state.ts';
import { encodeState } from './state-codec.ts';
import { parseState, type Trx } from './tables.ts';

/** The three entity states of one event, handed to the engine as its whole world. */
export class LockedStore implements FeatureStateStore {
  private readonly cardState: CardState;
  private readonly customerState: CustomerState;
  private readonly terminalState: TerminalState;
  constructor(card: CardState, customer: CustomerState, terminal: TerminalState) {
    this.cardState = card;
    this.customerState = customer;
    this.terminalState = terminal;
  }
  card(): CardState {
    return this.cardState;
  }
  customer(): CustomerState {
    return this.customerState;
  }
  terminal(): TerminalState {
    return this.terminalState;
  }
  rememberRecent(): void {}
  findRecent(): undefined {
    return undefined;
  }
  forgetRecentBefore(): void {}
}

/** The entity states of a batch, by the engine's (bank-qualified) keys. */
export class BatchStore implements FeatureStateStore {
  private readonly states: Map<string, object>;
  constructor(states: Map<string, object>) {
    this.states = states;
  }
  private get<T>(kind: Kind, key: string): T {
    const state = this.states.get(`${kind}\u001f${key}`);
    if (state === undefined) throw new Error(`screening: ${kind} state not locked by this batch`);
    return state as T;
  }
  card(key: string): CardState {
    return this.get('card', key);
  }
  customer(key: string): CustomerState {
    return this.get('customer', key);
  }
  terminal(key: string): TerminalState {
    return this.get('terminal', key);
  }
  rememberRecent(): void {}
  findRecent(): undefined {
    return undefined;
  }
  forgetRecentBefore(): void {}
}

/** The engine's key of a card, customer or terminal of a bank (see features.ts). */
export function entityKey(bankId: string, id: string): string {
  return transactionKey(bankId, id);
}

export type Kind = 'card' | 'customer' | 'terminal';

/**
 * Creates the entities' rows if missing and locks them, in the order given (always card,
 * customer, terminal: one global order, so no two transactions wait on each other in a
 * cycle). `on conflict do update` locks an existing row like `select … for update`.
 */
export async function lockStates(
  trx: Trx,
  bankId: string,
  entities: readonly (readonly [Kind, string])[],
): Promise<[CardState, CustomerState, TerminalState]> {
  const now = new Date();
  const rows = await trx
    .insertInto('screening_state')
    .values(entities.map(([kind, key]) => ({ bank_id: bankId, kind, key, state: '{}', updated_at: now })))
    .onConflict((oc) =>
      oc.columns(['bank_id', 'kind', 'key']).doUpdateSet({ updated_at: sql`screening_state.updated_at` }),
    )
    .returning(['kind', 'state'])
    .execute();
  const of = (kind: Kind) => rows.find((row) => row.kind === kind)?.state ?? '{}';
  return [
    parseState(of('card'), emptyCardState),
    parseState(of('customer'), emptyCustomerState),
    parseState(of('terminal'), emptyTerminalState),
  ];
}

/** Where lockAll keeps a state: kind and the engine's key (what BatchStore is asked for). */
export function stateSlot(kind: Kind, bankId: string, key: string): string {
  return `${kind}\u001f${entityKey(bankId, key)}`;
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
  readonly #states = new Map<string, { version: number; state: object }>();

  take(slot: string): { version: number; state: object } | undefined {
    const held = this.#states.get(slot);
    if (held !== undefined) this.#states.delete(slot);
    return held;
  }

  /** After the commit: the states as written, at the versions saveAll returned. */
  keep(states: ReadonlyMap<string, object>, versions: ReadonlyMap<string, number>): void {
    if (this.#states.size + versions.size > STATE_CACHE_SIZE) this.#states.clear();
    for (const [slot, version] of versions) {
      const state = states.get(slot);
      if (state !== undefined) this.#states.set(slot, { version, state });
    }
  }
}

/** A transaction id already screened, with its first decision (see lockAll). */
export interface ScreenedRow {
  readonly transaction_id: string;
  readonly score: number;
  readonly alert: boolean;
  readonly late: boolean;
  readonly alert_id: string | null;
}

/**
 * Creates the batch's entity rows if missing and locks them, in one statement, in the order
 * given (rows of a multi-row insert are taken in list order). Returns the states by slot. With
 * a cache, a state whose row is still at the cached version is not sent again. The same
 * statement reads which of `transactionIds` were screened already (no lock: the insert of the
 * events settles races), one round trip instead of two.
 */
export async function lockAll(
  trx: Trx,
  bankId: string,
  entities: readonly (readonly [Kind, string])[],
  cache?: StateCache,
  transactionIds: readonly string[] = [],
): Promise<{ states: Map<string, object>; screened: ScreenedRow[] }> {
  const held = new Map<string, { version: number; state: object }>();
  // One JSON parameter rather than four per row: far less protocol work for a big batch.
  const list = JSON.stringify(
    entities.map(([kind, key], n) => {
      const slot = stateSlot(kind, bankId, key);
      const cached = cache?.take(slot);
      if (cached !== undefined) held.set(slot, cached);
      return { n, kind, key, v: cached?.version ?? -1 };
    }),
  );
  const { rows } = await sql<{
    kind: Kind | null;
    key: string;
    state: unknown;
    score: number | null;
    alert: boolean | null;
    late: boolean | null;
    alert_id: string | null;
  }>`
    with wanted as (
      select e.n, e.kind, e.key, e.v from jsonb_to_recordset(${list}::jsonb) as e(n int, kind text, key text, v bigint)
    ), locked as (
      insert into screening_state (bank_id, kind, key, state, updated_at)
      select ${bankId}, w.kind, w.key, '{}'::json, now() from wanted w order by w.n
      on conflict (bank_id, kind, key) do update set updated_at = screening_state.updated_at
      returning kind, key, version, state
    )
    select l.kind, l.key, case when l.version = w.v then null else l.state end as state,
           null::double precision as score, null::boolean as alert, null::boolean as late, null::text as alert_id
      from locked l join wanted w on w.kind = l.kind and w.key = l.key
    union all
    select null, e.transaction_id, null, e.score, e.alert, e.late, a.id
      from screening_event e
      left join screening_alert a on a.bank_id = e.bank_id and a.transaction_id = e.transaction_id
     where e.bank_id = ${bankId}
       and e.transaction_id = any(array(select jsonb_array_elements_text(${JSON.stringify(transactionIds)}::jsonb)))`.execute(
    trx,
  );
  const states = new Map<string, object>();
  const screened: ScreenedRow[] = [];
  const empty = { card: emptyCardState, customer: emptyCustomerState, terminal: emptyTerminalState };
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
    if (row.state === null && cached !== undefined) states.set(slot, cached.state);
    else states.set(slot, parseState<object>(row.state ?? '{}', empty[row.kind]));
  }
  for (const [kind, key] of entities) {
    if (!states.has(stateSlot(kind, bankId, key))) throw new Error(`screening: ${kind} row not locked`);
  }
  return { states, screened };
}

/**
 * Writes the batch's entity states back in one statement (one JSON parameter); returns the
 * version each row is now at (for StateCache.keep once the transaction has committed).
 */
export async function saveAll(
  trx: Trx,
  bankId: string,
  entities: readonly (readonly [Kind, string])[],
  states: ReadonlyMap<string, object>,
): Promise<Map<string, number>> {
  const list = JSON.stringify(
    entities.map(([kind, key]) => ({
      kind,
      key,
      state: encodeState(states.get(stateSlot(kind, bankId, key))!),
    })),
  );
  const { rows } = await sql<{ kind: Kind; key: string; version: number }>`
    update screening_state as s set state = v.state, updated_at = now(), version = s.version + 1
      from json_to_recordset(${list}::json) as v(kind text, key text, state json)
     where s.bank_id = ${bankId} and s.kind = v.kind and s.key = v.key
    returning s.kind, s.key, s.version`.execute(trx);
  return new Map(rows.map((row) => [stateSlot(row.kind, bankId, row.key), Number(row.version)]));
}

/** Writes the new states of locked entities back in one statement. */
export async function saveStates(
  trx: Trx,
  bankId: string,
  entities: readonly (readonly [Kind, string, object])[],
): Promise<void> {
  const values = sql.join(
    entities.map(([kind, key, state]) => sql`(${kind}, ${key}, ${JSON.stringify(encodeState(state))})`),
  );
  await sql`update screening_state as s set state = v.state::json, updated_at = now(), version = s.version + 1
    from (values ${values}) as v(kind, key, state)
    where s.bank_id = ${bankId} and s.kind = v.kind and s.key = v.key`.execute(trx);
}
