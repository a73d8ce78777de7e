// A bank's screening state warmed from its history: at first start the gateway would otherwise
// screen from empty state — every card without a usual amount, every terminal without a
// single past payment — which a model trained on the bank's history has never seen (the demo
// banks' model reads a terminal with no past payments as the fraudsters' one-off terminals).
// The state the training pass ends with (each card's last 30 days, terminals' volumes and the
// labels known after the delay) is written once, only while the bank has no state at all.
import { sql } from 'kysely';
import type { Database } from '../storage/index.ts';
import type { StateSnapshot } from './state.ts';

const ROWS_PER_STATEMENT = 250;

/** Writes the snapshot's entities of `bankId` as its screening state; 0 when it already had some. */
export async function warmScreeningState(
  database: Database,
  bankId: string,
  snapshot: StateSnapshot,
): Promise<number> {
  const prefix = `${bankId}\u001f`;
  const rows: { kind: string; key: string; state: unknown }[] = [];
  const kinds = [
    ['card', snapshot.cards],
    ['customer', snapshot.customers],
    ['terminal', snapshot.terminals],
  ] as const;
  for (const [kind, states] of kinds)
    for (const [key, state] of Object.entries(states))
      if (key.startsWith(prefix)) rows.push({ kind, key: key.slice(prefix.length), state });
  const db = database.tables<unknown>();
  return db.transaction().execute(async (trx) => {
    const { rows: existing } = await sql<{ n: number }>`
      select count(*)::int as n from (select 1 from screening_state where bank_id = ${bankId} limit 1) as s`.execute(
      trx,
    );
    if (Number(existing[0]?.n ?? 0) > 0) return 0;
    for (let from = 0; from < rows.length; from += ROWS_PER_STATEMENT) {
      const list = JSON.stringify(rows.slice(from, from + ROWS_PER_STATEMENT));
      await sql`insert into screening_state (bank_id, kind, key, state, updated_at)
        select ${bankId}, e.kind, e.key, e.state, now()
          from json_to_recordset(${list}::json) as e(kind text, key text, state json)
        on conflict (bank_id, kind, key) do nothing`.execute(trx);
    }
    return rows.length;
  });
}
