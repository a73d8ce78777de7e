// Public entry of the outbox: pushes the bank owes the platform (sealed alerts, purchase
// notifications, receipts, "link ended" notices) written to a table — in the transaction of
// the state they announce when the caller has one — and delivered by a worker with retries,
// out of the request path. Domain context: depends on storage only; what a topic means (e.g.
// "POST this signed body to the relay's webhook") is the handler the app registers.
//
//   const outbox = new Outbox(database);
//   await outbox.enqueue({ topic: RELAY_PUSH_TOPIC, bankId, payload: { body } }, trx);
import type { Kysely } from 'kysely';
import type { Database } from '../storage/index.ts';
import {
  deadMessages,
  enqueueOutbox,
  type OutboxMessage,
  type OutboxMessageInput,
  type OutboxTables,
} from './store.ts';

export { outboxMetrics } from './metrics.ts';
export {
  enqueueOutbox,
  OUTBOX_CHANNEL,
  type OutboxMessage,
  type OutboxMessageInput,
  type OutboxTables,
} from './store.ts';
export {
  type BackoffPolicy,
  type OutboxHandler,
  OutboxWorker,
  type OutboxWorkerOptions,
  PermanentFailure,
  retryDelayMs,
} from './worker.ts';

/** The outbox as callers see it: enqueue, and the dead messages of a bank. */
export class Outbox {
  readonly #db: Kysely<OutboxTables>;
  constructor(database: Database) {
    this.#db = database.tables<OutboxTables>();
  }

  /**
   * Enqueues one message or several. Pass the caller's transaction as `executor` so the
   * message commits (and the worker is notified) with the state it announces; without one it
   * is written on its own at once.
   */
  enqueue<T>(
    messages: OutboxMessageInput | readonly OutboxMessageInput[],
    executor?: Kysely<T>,
  ): Promise<string[]> {
    const list = Array.isArray(messages) ? messages : [messages as OutboxMessageInput];
    return executor ? enqueueOutbox(executor, list) : enqueueOutbox(this.#db, list);
  }

  /** Messages of a bank that ran out of attempts, newest first. */
  dead(bankId: string, limit?: number): Promise<(OutboxMessage & { lastError: string | null })[]> {
    return deadMessages(this.#db, bankId, limit);
  }
}
