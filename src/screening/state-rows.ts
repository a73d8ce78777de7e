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
 * Creates the batch's entity rows if missing and locks them, in one statement, in the order
 * given (rows of a multi-row insert are taken in list order). Returns the states by slot.
 */
export async function lockAll(
  trx: Trx,
  bankId: string,
  entities: readonly (readonly [Kind, string])[],
): Promise<Map<string, object>> {
  // One JSON parameter rather than four per row: far less protocol work for a big batch.
  const list = JSON.stringify(entities.map(([kind, key], n) => ({ n, kind, key })));
  const { rows } = await sql<{ kind: Kind; key: string; state: unknown }>`
    insert into screening_state (bank_id, kind, key, state, updated_at)
    select ${bankId}, e.kind, e.key, '{}'::json, now()
      from jsonb_to_recordset(${list}::jsonb) as e(n int, kind text, key text)
      order by e.n
    on conflict (bank_id, kind, key) do update set updated_at = screening_state.updated_at
    returning kind, key, state`.execute(trx);
  const states = new Map<string, object>();
  const empty = { card: emptyCardState, customer: emptyCustomerState, terminal: emptyTerminalState };
  for (const row of rows)
    states.set(stateSlot(row.kind, bankId, row.key), parseState<object>(row.state, empty[row.kind]));
  for (const [kind, key] of entities) {
    if (!states.has(stateSlot(kind, bankId, key))) throw new Error(`screening: ${kind} row not locked`);
  }
  return states;
}

/** Writes the batch's entity states back in one statement (one JSON parameter). */
export async function saveAll(
  trx: Trx,
  bankId: string,
  entities: readonly (readonly [Kind, string])[],
  states: ReadonlyMap<string, object>,
): Promise<void> {
  const list = JSON.stringify(
    entities.map(([kind, key]) => ({ kind, key, state: states.get(stateSlot(kind, bankId, key)) })),
  );
  await sql`update screening_state as s set state = v.state, updated_at = now()
    from json_to_recordset(${list}::json) as v(kind text, key text, state json)
    where s.bank_id = ${bankId} and s.kind = v.kind and s.key = v.key`.execute(trx);
}

/** Writes the new states of locked entities back in one statement. */
export async function saveStates(
  trx: Trx,
  bankId: string,
  entities: readonly (readonly [Kind, string, object])[],
): Promise<void> {
  const values = sql.join(
    entities.map(([kind, key, state]) => sql`(${kind}, ${key}, ${JSON.stringify(state)})`),
  );
  await sql`update screening_state as s set state = v.state::json, updated_at = now()
    from (values ${values}) as v(kind, key, state)
    where s.bank_id = ${bankId} and s.kind = v.kind and s.key = v.key`.execute(trx);
}
