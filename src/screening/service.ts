// The bank-side screening service: the engine with its state in the database, so any number
// of gateway instances share it. One batch (an HTTP ingest batch, or the screen() calls
// gathered while others were pending, e.g. the NATS lanes) = one transaction:
//   1. read the decisions of transaction ids already screened (a redelivery changes nothing
//      and gets the first decision back; the event row's primary key is the idempotency key);
//   2. lock the state rows of every card, customer and terminal the rest touches, in one
//      statement, in one global order (cards, customers, terminals, each sorted by key), so
//      two batches — or a batch and a label — never wait on each other in a cycle;
//   3. featurise, score, apply the bank's rules and threshold in memory, event after event in
//      batch order: exactly the decisions the events would get one at a time;
//   4. write the event rows, the states' steps and the alerts in one statement each; commit. If an
//      event row was written meanwhile by another instance (same id, other card), roll back
//      and run again.
// Then the alerts go to the injected AlertSink together (the gateway seals them to the device
// when the customer consented to fraud alerts); the bank queue always has them.
//
// Order per card: events of one card are serialised by the card row lock. An event older
// than the newest one its card has seen ("late") is scored from the card's history before
// its own time — the score it would have had in order — and then inserted into the history
// in time order; later events are never rescored (their decisions were already acted on).//
// One file per job: admission.ts (valid events on known cards), batcher.ts (the one batching
// queue: screen() calls gathered per tick, batches grouped per bank), scoring.ts (the scoring
// transaction), alert-lifecycle.ts, labels.ts, thresholds.ts, reports.ts, tables.ts,
// state-rows.ts. This class composes them behind the service's public methods.
import type { Kysely } from 'kysely';
import type { Database } from '../storage/index.ts';
import { Admission } from './admission.ts';
import {
  type AlertQuery,
  type AlertReply,
  type AlertSink,
  bankQueueSink,
  type ScreeningAlert,
} from './alert.ts';
import { AlertLifecycle } from './alert-lifecycle.ts';
import { Batcher } from './batcher.ts';
import { DeadLetterStore } from './dead-letter.ts';
import type { AuthorisationEvent, ValidationError } from './event.ts';
import { Labels } from './labels.ts';
import type { ScreeningModel } from './model.ts';
import type { ModelRegistry } from './model-registry.ts';
import { ScreeningReports } from './reports.ts';
import type { Rule } from './rules.ts';
import { type BatchResult, Scoring } from './scoring.ts';
import type { ScreeningTables } from './tables.ts';
import type { BudgetThreshold } from './threshold.ts';
import { Thresholds } from './thresholds.ts';

export * from './alert.ts';

/** What the bank core says about a card (the gateway adapts SqlBankCore to it). */
export interface CardDirectory {
  find(bankId: string, cardId: string): Promise<{ customerId: string; status: string } | undefined>;
  /** The cards of these ids the bank knows, by id, in one lookup (a batch's unknown cards). */
  findMany?(
    bankId: string,
    cardIds: readonly string[],
  ): Promise<ReadonlyMap<string, { customerId: string; status: string }>>;
}

export type ScreenOutcome =
  | {
      readonly status: 'screened' | 'duplicate';
      readonly transactionId: string;
      readonly score: number;
      readonly alert: boolean;
      readonly alertId: string | null;
      /** Older than the newest event its card had seen when it arrived. */
      readonly late: boolean;
    }
  | {
      readonly status: 'rejected';
      readonly transactionId: string | null;
      readonly errors: readonly ValidationError[];
    };

export interface ScreeningServiceOptions {
  readonly database: Database;
  /** The model of a bank without one of its own in `models`. */
  readonly model: ScreeningModel;
  /** The banks' own models (see model-registry.ts); read at the start of every group. */
  readonly models?: ModelRegistry;
  readonly sink?: AlertSink;
  /** Rules of every bank, or per bank id. */
  readonly rules?: readonly Rule[] | ReadonlyMap<string, readonly Rule[]>;
  /** Threshold of a bank without a chosen one (see chooseThreshold). Default 0.5. */
  readonly defaultThreshold?: number;
  /** Default: the delay the model was trained with. */
  readonly labelDelayDays?: number;
  /** When given, events for cards it does not know are rejected ('unknown_card'). */
  readonly cards?: CardDirectory;
  /** Wall clock (tests fix it). */
  readonly now?: () => Date;
  /**
   * Runs inside the transaction that commits newly screened events (never for duplicates):
   * the gateway books them in the bank core there, so a card payment is in the customer's
   * transactions (and announced) exactly when its screening is.
   */
  readonly onScreened?: (
    trx: Kysely<unknown>,
    bankId: string,
    events: readonly AuthorisationEvent[],
    /** Transaction ids among `events` that raised an alert. */
    alerted: ReadonlySet<string>,
  ) => Promise<void>;
}

/** Most screen() calls gathered into one batch. */
const COALESCE_MAX = 500;
/**
 * Most events in one group transaction. Batches that arrive while a bank's transaction is
 * running wait and then run together: the hot rows (a busy terminal, the bank's threshold)
 * are read and written once per group instead of once per batch, and batches that would
 * only queue on each other's row locks cost one round of statements.
 */
const GROUP_MAX = 2_000;

export class ScreeningService {
  readonly models: ModelRegistry | undefined;
  readonly labelDelayDays: number;
  /** Messages the NATS ingest could not screen, recorded once for the bank (dead-letter.ts). */
  readonly deadLetters: DeadLetterStore;
  private readonly sink: AlertSink;
  private readonly admission: Admission;
  private readonly scoring: Scoring;
  private readonly lifecycle: AlertLifecycle;
  private readonly labels: Labels;
  private readonly thresholds: Thresholds;
  private readonly reports: ScreeningReports;
  /** screen() calls of a bank gathered per event-loop turn into one screenBatch. */
  private readonly calls: Batcher<unknown, ScreenOutcome>;
  /** Per bank: admitted batches grouped into the one transaction this instance runs next. */
  private readonly groups: Batcher<readonly AuthorisationEvent[], ScreenOutcome[]>;

  constructor(options: ScreeningServiceOptions) {
    const db = options.database.tables<ScreeningTables>();
    const now = options.now ?? (() => new Date());
    this.deadLetters = new DeadLetterStore(options.database);
    this.models = options.models;
    this.sink = options.sink ?? bankQueueSink;
    this.labelDelayDays = options.labelDelayDays ?? options.model.labelDelayDays;
    const defaultThreshold = options.defaultThreshold ?? 0.5;
    this.admission = new Admission(options.cards);
    this.scoring = new Scoring({
      db,
      model: options.model,
      models: options.models,
      sink: this.sink,
      rules: options.rules ?? [],
      defaultThreshold,
      labelDelayDays: this.labelDelayDays,
      now,
      onScreened: options.onScreened,
      turn: (work) => options.database.turn(work),
    });
    this.labels = new Labels(db, this.labelDelayDays, now);
    this.lifecycle = new AlertLifecycle(db, this.sink, this.labels, now);
    this.thresholds = new Thresholds(db, defaultThreshold, now);
    this.reports = new ScreeningReports(db);
    this.calls = new Batcher({
      mode: 'tick',
      maxWeight: COALESCE_MAX,
      run: (bankId, inputs) => this.screenBatch(bankId, inputs),
    });
    this.groups = new Batcher({
      mode: 'serial',
      maxWeight: GROUP_MAX,
      weight: (events) => events.length,
      run: async (bankId, batches) =>
        this.answer(batches, await this.scoring.screenGroup(bankId, batches.flat())),
    });
  }

  /**
   * Validates and screens one authorisation of `bankId`. Never throws for a bad event: it
   * comes back 'rejected' with every error named by field.
   *
   * Calls made while others are pending (the NATS lanes, concurrent requests) are gathered
   * and screened together, in call order, as one batch (one transaction); a caller only
   * issues a card's next event after the previous one answered, so per-card order holds.
   */
  screen(bankId: string, input: unknown): Promise<ScreenOutcome> {
    return this.calls.submit(bankId, input);
  }

  /**
   * Screens a batch in order, as one transaction: the result is the same as screening the
   * events one by one in batch order (a card's events keep their batch order; a repeated
   * transaction id, even within the batch, is a duplicate with the first decision). Bad
   * events are rejected on their own and do not affect the others.
   */
  async screenBatch(bankId: string, inputs: readonly unknown[]): Promise<ScreenOutcome[]> {
    const { out, valid } = await this.admission.admit(bankId, inputs);
    if (valid.length > 0) {
      const outcomes = await this.groups.submit(
        bankId,
        valid.map(({ event }) => event),
      );
      for (let i = 0; i < valid.length; i++) out[valid[i]!.index] = outcomes[i]!;
    }
    return out;
  }

  /**
   * The outcomes of each batch of a committed group, each answered once its own alerts are
   * handed to the sink (with an outbox they were enqueued with the commit: nothing to wait
   * for). A transaction id's first occurrence in the group is 'screened', any later one (in
   * the same batch or a later batch of the group) a 'duplicate' with that decision.
   */
  private answer(
    group: readonly (readonly AuthorisationEvent[])[],
    { decisions, alerts }: BatchResult,
  ): Promise<ScreenOutcome[]>[] {
    const delivery = new Map<string, Promise<void>>();
    if (this.sink.enqueue === undefined)
      for (const alert of alerts) delivery.set(alert.transactionId, this.lifecycle.deliver(alert));
    const answered = new Set<string>();
    return group.map((events) => {
      const own: Promise<void>[] = [];
      const outcomes = events.map((event): ScreenOutcome => {
        const decision = decisions.get(event.transactionId)!;
        if (decision.status === 'screened' && !answered.has(event.transactionId)) {
          answered.add(event.transactionId);
          const delivered = delivery.get(event.transactionId);
          if (delivered !== undefined) own.push(delivered);
          return decision;
        }
        return { ...decision, status: 'duplicate' };
      });
      return Promise.all(own).then(() => outcomes);
    });
  }

  // The alert lifecycle (alert-lifecycle.ts).
  markDelivered(alertId: string): Promise<void> {
    return this.lifecycle.markDelivered(alertId);
  }
  /**
   * The customer's answer. 'yes' (it was me) clears the alert and feeds the engine a
   * genuine label; 'no' confirms fraud (the caller freezes the card in the bank core).
   * The first answer stands: a second one returns the alert unchanged.
   */
  reply(alertId: string, answer: AlertReply): Promise<ScreeningAlert | undefined> {
    return this.lifecycle.reply(alertId, answer);
  }
  /** Open alerts older than `afterSeconds` with no reply move to the bank's queue as escalated. */
  escalateOverdue(now: Date, afterSeconds: number): Promise<ScreeningAlert[]> {
    return this.lifecycle.escalateOverdue(now, afterSeconds);
  }
  /** Staff decision on an alert from the queue (the investigator view). */
  resolve(alertId: string, status: 'cleared' | 'confirmed_fraud'): Promise<ScreeningAlert | undefined> {
    return this.lifecycle.resolve(alertId, status);
  }
  alert(alertId: string): Promise<ScreeningAlert | undefined> {
    return this.lifecycle.alert(alertId);
  }
  alerts(bankId: string, query: AlertQuery = {}): Promise<ScreeningAlert[]> {
    return this.lifecycle.alerts(bankId, query);
  }

  // Labels (labels.ts).
  /**
   * A label the bank learnt (chargeback, investigation) at `at`; see Labels.recordLabel.
   * False if the transaction was never screened.
   */
  recordLabel(
    bankId: string,
    transactionId: string,
    isFraud: boolean,
    at?: Date,
    confirmed = false,
  ): Promise<boolean> {
    return this.labels.recordLabel(bankId, transactionId, isFraud, at, confirmed);
  }

  // Thresholds (thresholds.ts).
  /** The bank's threshold now (chosen, else the default). */
  threshold(bankId: string): Promise<number> {
    return this.thresholds.threshold(bankId);
  }
  /** Chooses and stores the bank's threshold for a daily alert budget; see Thresholds. */
  chooseThreshold(
    bankId: string,
    alertsPerDay: number,
    options: { days?: number; until?: Date } = {},
  ): Promise<BudgetThreshold> {
    return this.thresholds.chooseThreshold(bankId, alertsPerDay, options);
  }
  /** Re-chooses stale budget thresholds; see Thresholds. Returns the banks re-chosen. */
  refreshBudgetThresholds(olderThanMs = 86_400_000): Promise<string[]> {
    return this.thresholds.refreshBudgetThresholds(olderThanMs);
  }
  /** Sets a bank's threshold by hand. */
  setThreshold(bankId: string, threshold: number): Promise<void> {
    return this.thresholds.setThreshold(bankId, threshold);
  }

  // Reports (reports.ts).
  /** How many authorisations of a bank were screened (and how many alerted). */
  counts(bankId: string): Promise<{ events: number; alerts: number; late: number }> {
    return this.reports.counts(bankId);
  }
  /** Alerts per hour (created_at) between `from` and `to`, for the investigator chart. */
  alertsPerHour(bankId: string, from: Date, to: Date): Promise<{ hour: Date; alerts: number }[]> {
    return this.reports.alertsPerHour(bankId, from, to);
  }
  /** Precision of the alerts per day (created_at, UTC); see ScreeningReports. */
  precisionByDay(
    bankId: string,
    from: Date,
    to: Date,
  ): Promise<{ day: string; alerts: number; resolved: number; fraud: number; precision: number | null }[]> {
    return this.reports.precisionByDay(bankId, from, to);
  }
  /** Every card's history as the engine holds it (tests and audits: nothing lost, nothing twice). */
  cardHistory(bankId: string, cardId: string): Promise<string[]> {
    return this.reports.cardHistory(bankId, cardId);
  }
}
