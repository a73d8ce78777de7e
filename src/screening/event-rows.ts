// The screened events of a group written in one statement with one JSON parameter (like
// state-rows.ts), rather than a dozen bind parameters per row: for a group of hundreds of
// events that was thousands of parameters to encode, send and bind — on PGlite, across the
// worker thread — for what is one insert.
import { sql } from 'kysely';
import type { Trx } from './tables.ts';

/** One screened event as the screening_event row holds it. */
export interface EventRow {
  readonly transaction_id: string;
  readonly card_id: string;
  readonly customer_id: string;
  readonly terminal_id: string;
  /** ISO 8601. */
  readonly at: string;
  /** The event as received (stored as jsonb). */
  readonly event: unknown;
  readonly score: number;
  readonly alert: boolean;
  readonly late: boolean;
  readonly rules: readonly string[];
  readonly reasons: unknown;
}

/**
 * Inserts the rows in the order given (callers sort them by transaction id: two groups
 * inserting the same ids meet in one order); an id already there is skipped. Returns how many
 * rows were inserted.
 */
export async function insertEventRows(trx: Trx, bankId: string, rows: readonly EventRow[]): Promise<number> {
  if (rows.length === 0) return 0;
  const list = JSON.stringify(rows.map((row, n) => ({ ...row, n })));
  const { rows: inserted } = await sql<{ transaction_id: string }>`
    insert into screening_event (bank_id, transaction_id, card_id, customer_id, terminal_id, at, event,
                                 score, alert, late, rules, reasons)
    select ${bankId}, r.transaction_id, r.card_id, r.customer_id, r.terminal_id, r.at, r.event,
           r.score, r.alert, r.late, r.rules, r.reasons
      from jsonb_to_recordset(${list}::jsonb)
           as r(transaction_id text, card_id text, customer_id text, terminal_id text, at timestamptz,
                event jsonb, score double precision, alert boolean, late boolean, rules text[],
                reasons jsonb, n int)
     order by r.n
    on conflict (bank_id, transaction_id) do nothing
    returning transaction_id`.execute(trx);
  return inserted.length;
}
