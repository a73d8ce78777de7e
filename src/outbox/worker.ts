// The outbox worker: delivers outbox messages through the handler of their topic, out of the
// request path. Woken by the NOTIFY that enqueueOutbox issues with each commit (PostgreSQL
// LISTEN; on PGlite the same NOTIFY comes back from the database worker thread), with a
// periodic sweep as a safety net (a lost notification, a retry coming due, another
// instance's expired lease). A failed attempt is retried after an exponential backoff with
// full jitter; after `maxAttempts` the message is dead: kept, counted in /metrics, never
// retried by itself. Several instances share the table: a message is claimed with
// `for update skip locked` and a lease, so no two deliver it at once.
//
// On the embedded database (one session, owned by a transaction from begin to commit), the
// claim and the stages of `databaseTopics` run in one turn (Database.turn): a delivery waits
// once for screening's group in progress instead of behind one group per statement. The
// stages that wait on the network (the relay push) run after that turn, never in it.
import type { Kysely } from 'kysely';
import type { Database } from '../storage/index.ts';
import {
  advance,
  claimDue,
  markDelivered,
  markFailed,
  OUTBOX_CHANNEL,
  type OutboxMessage,
  type OutboxTables,
} from './store.ts';

/**
 * Delivers one message. Resolve: delivered (the row is deleted). Resolve with `{ next }`: the
 * message moves on to another topic (e.g. an alert becomes a sealed webhook body once it is
 * prepared, so a retry of the push does not prepare and log it twice). Throw: retried later;
 * throw a `PermanentFailure`: dead at once (retrying cannot help, e.g. HTTP 400).
 */
export type OutboxHandler = (message: OutboxMessage) => Promise<unknown>;

/** What a handler returns to move its message to the next stage. */
export interface OutboxNextStage {
  readonly next: { readonly topic: string; readonly payload: unknown };
}

function isNextStage(result: unknown): result is OutboxNextStage {
  return typeof result === 'object' && result !== null && 'next' in result;
}

/** A failure no retry can mend: the message goes dead at once. */
export class PermanentFailure extends Error {
  override name = 'PermanentFailure';
}

export interface BackoffPolicy {
  /** Delay after the first failure, before jitter. */
  readonly baseMs: number;
  /** Largest delay, before jitter. */
  readonly maxMs: number;
}

/**
 * Exponential backoff with full jitter (AWS Architecture Blog, "Exponential Backoff And
 * Jitter"): uniform in [0, min(max, base·2^(attempt−1))], so instances retrying the same
 * failed relay spread out instead of hammering it in step.
 */
export function retryDelayMs(
  attempt: number,
  policy: BackoffPolicy,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(random() * ceiling);
}

export interface OutboxWorkerOptions {
  readonly database: Database;
  /** Handler per topic; a message of a topic without one is dead at once. */
  readonly handlers: ReadonlyMap<string, OutboxHandler>;
  /** Attempts before a message is dead (default 8). */
  readonly maxAttempts?: number;
  readonly backoff?: BackoffPolicy;
  /** How long a claimed message is not offered to another worker (default 30 s). */
  readonly leaseMs?: number;
  /** Safety-net sweep period (default 1 s). */
  readonly sweepMs?: number;
  /** Messages claimed and delivered concurrently per round (default 64). */
  readonly batchSize?: number;
  readonly onError?: (error: unknown, message: OutboxMessage, dead: boolean) => void;
  /**
   * Topics whose handler waits on nothing but the database and CPU (e.g. preparing a sealed
   * alert: consent read, release, log append): they run in the claim's turn. Never a topic
   * whose handler waits on a network peer: a turn holds up the database's other users.
   */
  readonly databaseTopics?: ReadonlySet<string>;
}

/** Where one claimed message stands: its current stage, and how its delivery ended. */
interface Progress {
  message: OutboxMessage;
  /** Moved on to a later stage not yet written to its row. */
  advanced: boolean;
  stages: number;
  outcome?: { readonly delivered: true } | { readonly error: unknown };
}

/** Most stages one message goes through in one attempt (prepare → push is two). */
const MAX_STAGES = 4;
/** Rounds (of batchSize messages) whose pushes may be in progress at once. */
const MAX_FINISHING = 4;

const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 250, maxMs: 60_000 };

export class OutboxWorker {
  readonly #database: Database;
  readonly #db: Kysely<OutboxTables>;
  readonly #handlers: ReadonlyMap<string, OutboxHandler>;
  readonly #maxAttempts: number;
  readonly #backoff: BackoffPolicy;
  readonly #leaseMs: number;
  readonly #sweepMs: number;
  readonly #batchSize: number;
  readonly #onError: OutboxWorkerOptions['onError'];
  readonly #databaseTopics: ReadonlySet<string>;
  #running: Promise<void> | null = null;
  /** Deliveries past their turn (pushing, or writing how it went): not waited for by the next claim. */
  readonly #finishing = new Set<Promise<void>>();
  #again = false;
  #stopped = true;
  #sweep: NodeJS.Timeout | undefined;
  #unlisten: (() => Promise<void>) | undefined;

  constructor(options: OutboxWorkerOptions) {
    this.#database = options.database;
    this.#db = options.database.tables<OutboxTables>();
    this.#handlers = options.handlers;
    this.#maxAttempts = options.maxAttempts ?? 8;
    this.#backoff = options.backoff ?? DEFAULT_BACKOFF;
    this.#leaseMs = options.leaseMs ?? 30_000;
    this.#sweepMs = options.sweepMs ?? 1_000;
    this.#batchSize = options.batchSize ?? 64;
    this.#onError = options.onError;
    this.#databaseTopics = options.databaseTopics ?? new Set();
  }

  /** Listens for new messages and sweeps periodically, until stop(). */
  async start(): Promise<void> {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#unlisten = await this.#database.listen(OUTBOX_CHANNEL, () => this.wake());
    this.#sweep = setInterval(() => this.wake(), this.#sweepMs);
    this.#sweep.unref();
    this.wake();
  }

  /** Stops listening and sweeping; waits for the round in progress. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#sweep);
    await this.#unlisten?.().catch(() => {});
    this.#unlisten = undefined;
    await this.#running;
    await Promise.all(this.#finishing);
  }

  /** Delivers what is due now (also after start(): an in-process wake for callers that know). */
  wake(): void {
    if (this.#running) {
      this.#again = true;
      return;
    }
    this.#running = this.#rounds().finally(() => {
      this.#running = null;
    });
  }

  /** Runs rounds until nothing is due (tests call it directly, without start()). */
  async drain(): Promise<void> {
    this.wake();
    while (this.#running || this.#finishing.size > 0) {
      await this.#running;
      await Promise.all(this.#finishing);
    }
  }

  async #rounds(): Promise<void> {
    do {
      this.#again = false;
      let claimed: Progress[];
      try {
        // The claim and the database stages in one turn; the network stages after it.
        claimed = await this.#database.turn(async () => {
          const due = await claimDue(this.#db, this.#batchSize, this.#leaseMs);
          return Promise.all(
            due.map((message) => this.#runStages({ message, advanced: false, stages: 0 }, true)),
          );
        });
      } catch {
        return; // the database is away: the next sweep tries again
      }
      // The pushes and the deletes go on while the next round claims: a slow relay, or a
      // delete queued behind the database's other work, does not hold up the next message.
      for (const progress of claimed) {
        const finishing = this.#runStages(progress, false)
          .then((done) => this.#finish(done))
          .finally(() => this.#finishing.delete(finishing));
        this.#finishing.add(finishing);
      }
      // Bounded: a relay that does not answer holds a few rounds, not an unbounded number.
      while (this.#finishing.size >= MAX_FINISHING * this.#batchSize) await Promise.race(this.#finishing);
      if (claimed.length === this.#batchSize) this.#again = true;
    } while (this.#again && !this.#stopped);
  }

  /**
   * Runs the message's stages until one fails, it is delivered, or (with `databaseOnly`) the
   * next stage is not one of the database topics. A message may move through stages
   * (prepare → push), each its own handler; a next stage is written to the row only if it
   * fails (then with the failure): a delivery that goes through costs the delete alone. A
   * crash before that write runs the first stage again (at least once: the relay drops a
   * repeated message id).
   */
  async #runStages(progress: Progress, databaseOnly: boolean): Promise<Progress> {
    while (progress.outcome === undefined && progress.stages < MAX_STAGES) {
      const { message } = progress;
      const handler = this.#handlers.get(message.topic);
      if (databaseOnly && (handler === undefined || !this.#databaseTopics.has(message.topic))) break;
      progress.stages++;
      try {
        if (!handler) throw new PermanentFailure(`no handler for outbox topic ${message.topic}`);
        const result = await handler(message);
        if (isNextStage(result)) {
          progress.advanced = true;
          progress.message = {
            ...message,
            topic: result.next.topic,
            payload: result.next.payload,
            attempts: 1,
          };
          continue;
        }
        progress.outcome = { delivered: true };
      } catch (error) {
        progress.outcome = { error };
      }
    }
    return progress;
  }

  /** Deletes a delivered message; records a failed one for a retry (or as dead). */
  async #finish({ message, advanced, outcome }: Progress): Promise<void> {
    if (outcome === undefined) return; // out of stages: the lease runs out, tried again
    let error: unknown;
    if ('delivered' in outcome) {
      try {
        await markDelivered(this.#db, message.id);
        return;
      } catch (failed) {
        error = failed; // not deleted: recorded as a failed attempt, delivered again later
      }
    } else error = outcome.error;
    const dead = error instanceof PermanentFailure || message.attempts >= this.#maxAttempts;
    this.#onError?.(error, message, dead);
    const why = error instanceof Error ? error.message : String(error);
    const delayMs = retryDelayMs(message.attempts, this.#backoff);
    await (advanced
      ? advance(this.#db, message.id, message).then(() =>
          markFailed(this.#db, message.id, why, delayMs, dead),
        )
      : markFailed(this.#db, message.id, why, delayMs, dead)
    ).catch(
      () => {}, // the lease runs out and the message is tried again
    );
  }
}
