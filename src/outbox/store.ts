// The outbox table and the statements on it. `enqueueOutbox` takes any Kysely executor (a
// transaction of the caller's, so the message commits with the state it announces, or the
// database itself) and notifies the worker on the same executor: PostgreSQL delivers a NOTIFY
// issued in a transaction only when it commits, so the worker never wakes for a message it
// cannot see yet, and never misses one that committed.
import { type Generated, type Kysely, sql } from 'kysely';

/** The NOTIFY channel the outbox worker listens on. */
export const OUTBOX_CHANNEL = 'proviso_outbox';

export interface OutboxTables {
  outbox_message: {
    id: Generated<string>;
    topic: string;
    bank_id: string;
    payload: unknown;
    status: Generated<'pending' | 'dead'>;
    attempts: Generated<number>;
    next_attempt_at: Generated<Date>;
    last_error: Generated<string | null>;
    created_at: Generated<Date>;
  };
}

/** What a caller asks the outbox to deliver: a topic (which handler), the bank, a JSON payload. */
export interface OutboxMessageInput {
  readonly topic: string;
  readonly bankId: string;
  /** Plain JSON; never plaintext financial data (it waits in the table): seal it first. */
  readonly payload: unknown;
}

/** One message as the worker hands it to a handler. */
export interface OutboxMessage {
  readonly id: string;
  readonly topic: string;
  readonly bankId: string;
  readonly payload: unknown;
  /** Attempts so far, this one included (1 on the first delivery). */
  readonly attempts: number;
  readonly createdAt: Date;
}

/** Writes messages to the outbox on `executor` (the caller's transaction, or the database). */
export async function enqueueOutbox<T>(
  executor: Kysely<T>,
  messages: readonly OutboxMessageInput[],
): Promise<string[]> {
  if (messages.length === 0) return [];
  const db = executor as unknown as Kysely<OutboxTables>;
  const rows = await db
    .insertInto('outbox_message')
    .values(
      messages.map((m) => ({
        topic: m.topic,
        bank_id: m.bankId,
        payload: JSON.stringify(m.payload),
      })),
    )
    .returning('id')
    .execute();
  await sql`select pg_notify(${OUTBOX_CHANNEL}, '')`.execute(db);
  return rows.map((row) => String(row.id));
}

function toMessage(row: {
  id: string | number;
  topic: string;
  bank_id: string;
  payload: unknown;
  attempts: number;
  created_at: Date;
}): OutboxMessage {
  return {
    id: String(row.id),
    topic: row.topic,
    bankId: row.bank_id,
    payload: row.payload, // jsonb: parsed by the driver
    attempts: row.attempts,
    createdAt: new Date(row.created_at),
  };
}

/**
 * Claims up to `limit` due messages for one attempt: counts the attempt and moves
 * next_attempt_at `leaseMs` ahead (the lease), in one statement. `for update skip locked`:
 * instances claiming at the same moment take disjoint rows instead of waiting on each other.
 */
export async function claimDue(
  db: Kysely<OutboxTables>,
  limit: number,
  leaseMs: number,
): Promise<OutboxMessage[]> {
  const { rows } = await sql<{
    id: string;
    topic: string;
    bank_id: string;
    payload: unknown;
    attempts: number;
    created_at: Date;
  }>`
    update outbox_message as m
       set attempts = m.attempts + 1,
           next_attempt_at = now() + make_interval(secs => ${leaseMs / 1000})
     where m.id in (select id from outbox_message
                     where status = 'pending' and next_attempt_at <= now()
                     order by next_attempt_at, id
                     limit ${limit}
                     for update skip locked)
    returning m.id, m.topic, m.bank_id, m.payload, m.attempts, m.created_at`.execute(db);
  return rows.map(toMessage).sort((a, b) => Number(a.id) - Number(b.id));
}

/** Delivered: the message is gone. */
export async function markDelivered(db: Kysely<OutboxTables>, id: string): Promise<void> {
  await db.deleteFrom('outbox_message').where('id', '=', id).execute();
}

/** Failed this attempt: due again after `delayMs`, or dead when `dead`. */
export async function markFailed(
  db: Kysely<OutboxTables>,
  id: string,
  error: string,
  delayMs: number,
  dead: boolean,
): Promise<void> {
  await db
    .updateTable('outbox_message')
    .set({
      status: dead ? 'dead' : 'pending',
      last_error: error.slice(0, 500),
      next_attempt_at: sql<Date>`now() + make_interval(secs => ${delayMs / 1000})`,
    })
    .where('id', '=', id)
    .execute();
}

/** A message's next stage (see OutboxHandler): new topic and payload, due now, attempts anew. */
export async function advance(
  db: Kysely<OutboxTables>,
  id: string,
  next: { topic: string; payload: unknown },
): Promise<void> {
  await db
    .updateTable('outbox_message')
    .set({ topic: next.topic, payload: JSON.stringify(next.payload), attempts: 1, last_error: null })
    .where('id', '=', id)
    .execute();
}

/** Dead messages of a bank, newest first (what the bank sees of pushes that never got through). */
export async function deadMessages(
  db: Kysely<OutboxTables>,
  bankId: string,
  limit = 100,
): Promise<(OutboxMessage & { lastError: string | null })[]> {
  const rows = await db
    .selectFrom('outbox_message')
    .selectAll()
    .where('status', '=', 'dead')
    .where('bank_id', '=', bankId)
    .orderBy('created_at', 'desc')
    .limit(limit)
    .execute();
  return rows.map((row) => ({ ...toMessage(row), lastError: row.last_error }));
}

/** Pending and dead messages per bank and topic (for /metrics). */
export async function outboxCounts(
  db: Kysely<OutboxTables>,
): Promise<{ bank_id: string; topic: string; status: string; count: number }[]> {
  const { rows } = await sql<{ bank_id: string; topic: string; status: string; count: number }>`
    select bank_id, topic, status, count(*)::int as count
      from outbox_message group by 1, 2, 3`.execute(db);
  return rows;
}
