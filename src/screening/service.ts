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
//   4. write the event rows, the states and the alerts in one statement each; commit. If an
//      event row was written meanwhile by another instance (same id, other card), roll back
//      and run again.
// Then the alerts go to the injected AlertSink together (the gateway seals them to the device
// when the customer consented to fraud alerts); the bank queue always has them.
//
// Order per card: events of one card are serialised by the card row lock. An event older
// than the newest one its card has seen ("late") is scored from the card's history before
// its own time — the score it would have had in order — and then inserted into the history
// in time order; later events are never rescored (their decisions were already acted on).
import { randomUUID } from 'node:crypto';
import { type Generated, type Insertable, type Kysely, sql } from 'kysely';
import type { Database } from '../storage/index.ts';
import { customerReasons } from './customer-reasons.ts';
import { DeadLetterStore } from './dead-letter.ts';
import { type AuthorisationEvent, minorUnitExponent, type ValidationError } from './event.ts';
import { reportableTransactionId, validateIngestedEvent } from './event-validation.ts';
import { FEATURE_COUNT, FeatureEngine, transactionKey } from './features.ts';
import type { ScreeningModel } from './model.ts';
import type { ModelRegistry } from './model-registry.ts';
import type { Reason } from './reasons.ts';
import type { Rule } from './rules.ts';
import { decideAlert } from './screener.ts';
import {
  type CardState,
  type CustomerState,
  emptyCardState,
  emptyCustomerState,
  emptyTerminalState,
  type FeatureStateStore,
  type TerminalState,
} from './state.ts';
import { type BudgetThreshold, thresholdForDailyBudget } from './threshold.ts';

export type AlertStatus = 'open' | 'cleared' | 'confirmed_fraud' | 'escalated';
export type AlertDelivery = 'device' | 'bank-queue';
export type AlertReply = 'yes' | 'no';

export interface ScreeningAlert {
  readonly id: string;
  readonly bankId: string;
  readonly transactionId: string;
  readonly customerId: string;
  readonly cardId: string;
  readonly terminalId: string;
  readonly merchantName: string | null;
  readonly mcc: string | null;
  readonly country: string;
  readonly channel: string;
  /** Decimal string, as received. */
  readonly amount: string;
  readonly currency: string;
  readonly transactionTime: Date;
  readonly score: number;
  /** Technical reasons (model features, rules): for the bank's investigators. */
  readonly reasons: readonly Reason[];
  /** At most two reasons in the customer's words (see customer-reasons.ts). */
  readonly customerReasons: readonly string[];
  readonly status: AlertStatus;
  readonly delivery: AlertDelivery;
  readonly reply: AlertReply | null;
  readonly repliedAt: Date | null;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

/**
 * Where an alert goes besides the bank queue. The gateway's sink seals a "Was this you?"
 * card to the customer's device when they hold an active fraud_alerts consent and answers
 * 'device'; otherwise it answers 'bank-queue' (the bank's own channel).
 */
export interface AlertSink {
  raise(alert: ScreeningAlert): Promise<AlertDelivery>;
  /**
   * When present, the durable way: called inside the transaction that commits the alerts (an
   * outbox write), and the batch is answered once that commits — raise() is then not called
   * and nobody waits for the device. The delivery is marked later (markDelivered).
   */
  readonly enqueue?: ((trx: Kysely<unknown>, alerts: readonly ScreeningAlert[]) => Promise<void>) | undefined;
}

/** The default sink: the alert stays in the bank queue only. */
export const bankQueueSink: AlertSink = {
  async raise() {
    return 'bank-queue';
  },
};

/** What the bank core says about a card (the gateway adapts SqlBankCore to it). */
export interface CardDirectory {
  find(bankId: string, cardId: string): Promise<{ customerId: string; status: string } | undefined>;
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

export interface AlertQuery {
  readonly since?: Date;
  readonly until?: Date;
  readonly status?: AlertStatus;
  readonly minScore?: number;
  readonly limit?: number;
}

interface Tables {
  screening_state: { bank_id: string; kind: string; key: string; state: unknown; updated_at: Date };
  screening_event: {
    bank_id: string;
    transaction_id: string;
    card_id: string;
    customer_id: string;
    terminal_id: string;
    at: Date;
    event: unknown;
    score: number;
    alert: boolean;
    late: boolean;
    rules: string[];
    reasons: unknown;
    label: Generated<number | null>;
    label_at: Generated<Date | null>;
    received_at: Generated<Date>;
  };
  screening_alert: {
    id: string;
    bank_id: string;
    transaction_id: string;
    customer_id: string;
    card_id: string;
    terminal_id: string;
    merchant_name: string | null;
    mcc: string | null;
    country: string;
    channel: string;
    amount: string;
    currency: string;
    transaction_at: Date;
    score: number;
    reasons: unknown;
    customer_reasons: unknown;
    status: AlertStatus;
    delivery: AlertDelivery;
    reply: AlertReply | null;
    replied_at: Date | null;
    created_at: Date;
    updated_at: Date;
  };
  screening_bank: {
    bank_id: string;
    threshold: number;
    alerts_per_day: number | null;
    chosen_from: Date | null;
    chosen_to: Date | null;
    updated_at: Date;
  };
}

type Trx = Kysely<Tables>;
type AlertRow = Tables['screening_alert'];

/** The three entity states of one event, handed to the engine as its whole world. */
class LockedStore implements FeatureStateStore {
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
class BatchStore implements FeatureStateStore {
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
function entityKey(bankId: string, id: string): string {
  return transactionKey(bankId, id);
}

type ScreenDecision = Extract<ScreenOutcome, { status: 'screened' | 'duplicate' }>;

interface BatchResult {
  /** Per transaction id: screened now, or the first decision of an earlier screening. */
  readonly decisions: Map<string, ScreenDecision>;
  /** Alerts raised by this batch, committed, in batch order. */
  readonly alerts: ScreeningAlert[];
}

/** A batch waiting for its bank's group transaction (see processBatch). */
interface WaitingBatch {
  readonly events: readonly AuthorisationEvent[];
  readonly resolve: (outcomes: ScreenOutcome[]) => void;
  readonly reject: (error: unknown) => void;
}

interface PendingCall {
  readonly input: unknown;
  readonly resolve: (outcome: ScreenOutcome) => void;
  readonly reject: (error: unknown) => void;
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
/** How long a card's owner is taken from memory, and how many cards are remembered. */
const CARD_CACHE_MS = 60_000;
const CARD_CACHE_SIZE = 100_000;
/** Transaction attempts of a batch before its error is the caller's. */
const MAX_ATTEMPTS = 5;

/** The batch inserted fewer events than it screened: another transaction won a race. */
class LostRace extends Error {}

/** PostgreSQL deadlock or serialisation failure: safe to run the transaction again. */
function isTransient(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === '40P01' || code === '40001';
}

export class ScreeningService {
  private readonly db: Kysely<Tables>;
  private readonly model: ScreeningModel;
  readonly models: ModelRegistry | undefined;
  private readonly sink: AlertSink;
  private readonly rules: readonly Rule[] | ReadonlyMap<string, readonly Rule[]>;
  private readonly defaultThreshold: number;
  readonly labelDelayDays: number;
  private readonly cards: CardDirectory | undefined;
  private readonly now: () => Date;
  private readonly onScreened: ScreeningServiceOptions['onScreened'];
  /** screen() calls waiting to be gathered into one batch, per bank. */
  private readonly pending = new Map<string, PendingCall[]>();
  /** Per bank: batches waiting for the group transaction this instance runs next. */
  private readonly lanes = new Map<string, WaitingBatch[]>();
  /** Card → owner, as the bank core answered recently (see findCards). */
  private readonly cardCache = new Map<string, { customerId: string; until: number }>();
  /** Messages the NATS ingest could not screen, recorded once for the bank (dead-letter.ts). */
  readonly deadLetters: DeadLetterStore;

  constructor(options: ScreeningServiceOptions) {
    this.db = options.database.tables<Tables>();
    this.deadLetters = new DeadLetterStore(options.database);
    this.model = options.model;
    this.models = options.models;
    this.sink = options.sink ?? bankQueueSink;
    this.rules = options.rules ?? [];
    this.defaultThreshold = options.defaultThreshold ?? 0.5;
    this.labelDelayDays = options.labelDelayDays ?? options.model.labelDelayDays;
    this.cards = options.cards;
    this.now = options.now ?? (() => new Date());
    this.onScreened = options.onScreened;
  }

  private rulesFor(bankId: string): readonly Rule[] {
    const rules = this.rules;
    return rules instanceof Map ? (rules.get(bankId) ?? []) : (rules as readonly Rule[]);
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
    return new Promise((resolve, reject) => {
      let queue = this.pending.get(bankId);
      if (queue === undefined) {
        queue = [];
        this.pending.set(bankId, queue);
        setImmediate(() => this.flush(bankId));
      }
      queue.push({ input, resolve, reject });
    });
  }

  private flush(bankId: string): void {
    const queue = this.pending.get(bankId) ?? [];
    this.pending.delete(bankId);
    for (let from = 0; from < queue.length; from += COALESCE_MAX) {
      const part = queue.slice(from, from + COALESCE_MAX);
      this.screenBatch(
        bankId,
        part.map((call) => call.input),
      ).then(
        (outcomes) => {
          for (let i = 0; i < part.length; i++) part[i]!.resolve(outcomes[i]!);
        },
        (error: unknown) => {
          if (part.length === 1) {
            part[0]!.reject(error);
            return;
          }
          // One call's trouble must not fail the others gathered with it: each on its own.
          for (const call of part) {
            this.screenBatch(bankId, [call.input]).then(
              (outcomes) => call.resolve(outcomes[0]!),
              call.reject,
            );
          }
        },
      );
    }
  }

  /**
   * Screens a batch in order, as one transaction: the result is the same as screening the
   * events one by one in batch order (a card's events keep their batch order; a repeated
   * transaction id, even within the batch, is a duplicate with the first decision). Bad
   * events are rejected on their own and do not affect the others.
   */
  async screenBatch(bankId: string, inputs: readonly unknown[]): Promise<ScreenOutcome[]> {
    const out: ScreenOutcome[] = new Array(inputs.length);
    const checked: { index: number; event: AuthorisationEvent }[] = [];
    for (let index = 0; index < inputs.length; index++) {
      const input = inputs[index];
      const id = reportableTransactionId(input);
      const result = validateIngestedEvent(input);
      if (!result.ok) {
        out[index] = { status: 'rejected', transactionId: id, errors: result.errors };
      } else if (result.event.bankId !== bankId) {
        out[index] = {
          status: 'rejected',
          transactionId: id,
          errors: [
            {
              field: 'bankId',
              code: 'bank_mismatch',
              message: `event is for bank ${result.event.bankId}, not ${bankId}`,
            },
          ],
        };
      } else {
        checked.push({ index, event: result.event });
      }
    }
    let valid = checked;
    const directory = this.cards;
    if (directory !== undefined && checked.length > 0) {
      const known = await this.findCards(
        directory,
        bankId,
        checked.map(({ event }) => event.cardId),
      );
      valid = [];
      for (const item of checked) {
        const card = known.get(item.event.cardId);
        if (card === undefined) {
          out[item.index] = {
            status: 'rejected',
            transactionId: item.event.transactionId,
            errors: [{ field: 'cardId', code: 'unknown_card', message: 'no such card at this bank' }],
          };
        } else if (card.customerId !== item.event.customerId) {
          out[item.index] = {
            status: 'rejected',
            transactionId: item.event.transactionId,
            errors: [
              {
                field: 'customerId',
                code: 'card_customer_mismatch',
                message: 'the card belongs to another customer',
              },
            ],
          };
        } else {
          valid.push(item);
        }
      }
    }
    if (valid.length > 0) {
      const outcomes = await this.processBatch(
        bankId,
        valid.map(({ event }) => event),
      );
      for (let i = 0; i < valid.length; i++) out[valid[i]!.index] = outcomes[i]!;
    }
    return out;
  }

  /**
   * The bank core's word on the batch's cards, each card asked once. A card's owner never
   * changes, so a found card is remembered for a short while (CARD_CACHE_MS): a busy card
   * costs the bank core one lookup a minute, not one per authorisation. Unknown cards are
   * always asked again.
   */
  private async findCards(
    directory: CardDirectory,
    bankId: string,
    cardIds: readonly string[],
  ): Promise<Map<string, { customerId: string } | undefined>> {
    const known = new Map<string, { customerId: string } | undefined>();
    const ask: string[] = [];
    const now = Date.now();
    for (const cardId of cardIds) {
      if (known.has(cardId)) continue;
      const cached = this.cardCache.get(`${bankId}\u001f${cardId}`);
      if (cached !== undefined && cached.until > now) known.set(cardId, cached);
      else {
        known.set(cardId, undefined);
        ask.push(cardId);
      }
    }
    const found = await Promise.all(ask.map((cardId) => directory.find(bankId, cardId)));
    for (let i = 0; i < ask.length; i++) {
      const card = found[i];
      known.set(ask[i]!, card);
      if (card === undefined) continue;
      if (this.cardCache.size >= CARD_CACHE_SIZE) this.cardCache.clear();
      this.cardCache.set(`${bankId}\u001f${ask[i]!}`, {
        customerId: card.customerId,
        until: now + CARD_CACHE_MS,
      });
    }
    return known;
  }

  /**
   * Screens valid events of one bank. One transaction per bank runs at a time in this
   * instance (group commit): batches arriving meanwhile wait and then run as one group, in
   * arrival order, which decides exactly what running them one after the other would. The
   * answer comes once the batch's alerts are handed to the sink; the next group does not
   * wait for that.
   */
  private processBatch(bankId: string, events: readonly AuthorisationEvent[]): Promise<ScreenOutcome[]> {
    return new Promise((resolve, reject) => {
      const waiting = this.lanes.get(bankId);
      if (waiting !== undefined) {
        waiting.push({ events, resolve, reject });
        return;
      }
      this.lanes.set(bankId, [{ events, resolve, reject }]);
      void this.drainLane(bankId);
    });
  }

  private async drainLane(bankId: string): Promise<void> {
    const waiting = this.lanes.get(bankId)!;
    while (waiting.length > 0) {
      const group: WaitingBatch[] = [waiting.shift()!];
      let size = group[0]!.events.length;
      while (waiting.length > 0 && size + waiting[0]!.events.length <= GROUP_MAX) {
        size += waiting[0]!.events.length;
        group.push(waiting.shift()!);
      }
      try {
        const result = await this.screenGroup(
          bankId,
          group.flatMap((batch) => batch.events),
        );
        this.answer(group, result);
      } catch (error) {
        if (group.length === 1) group[0]!.reject(error);
        else {
          // One batch's trouble must not fail the others grouped with it: each on its own.
          for (const batch of group) {
            try {
              this.answer([batch], await this.screenGroup(bankId, batch.events));
            } catch (alone) {
              batch.reject(alone);
            }
          }
        }
      }
    }
    this.lanes.delete(bankId);
  }

  /** Screens events in one transaction, retried on a lost race; nothing delivered yet. */
  private async screenGroup(bankId: string, events: readonly AuthorisationEvent[]): Promise<BatchResult> {
    // A transaction id repeated: only its first occurrence is screened.
    const first = new Map<string, AuthorisationEvent>();
    for (const event of events) if (!first.has(event.transactionId)) first.set(event.transactionId, event);
    const unique = [...first.values()];
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.db.transaction().execute((trx) => this.screenInTransaction(trx, bankId, unique));
      } catch (error) {
        // Lost a race (the same id committed by another instance meanwhile) or, should it
        // ever happen, a deadlock: nothing was written; run again, which sees the winner.
        if (attempt >= MAX_ATTEMPTS || !(error instanceof LostRace || isTransient(error))) throw error;
      }
    }
  }

  /**
   * Hands the group's alerts to the sink and answers each batch once its own alerts are
   * handed over. A transaction id's first occurrence in the group is 'screened', any later
   * one (in the same batch or a later batch of the group) a 'duplicate' with that decision.
   */
  private answer(group: readonly WaitingBatch[], { decisions, alerts }: BatchResult): void {
    const delivery = new Map<string, Promise<void>>();
    // With an outbox the alerts were enqueued with the commit: nothing to wait for.
    if (this.sink.enqueue === undefined)
      for (const alert of alerts) delivery.set(alert.transactionId, this.deliver(alert));
    const answered = new Set<string>();
    for (const batch of group) {
      const own: Promise<void>[] = [];
      const outcomes = batch.events.map((event): ScreenOutcome => {
        const decision = decisions.get(event.transactionId)!;
        if (decision.status === 'screened' && !answered.has(event.transactionId)) {
          answered.add(event.transactionId);
          const delivered = delivery.get(event.transactionId);
          if (delivered !== undefined) own.push(delivered);
          return decision;
        }
        return { ...decision, status: 'duplicate' };
      });
      Promise.all(own).then(
        () => batch.resolve(outcomes),
        (error: unknown) => batch.reject(error),
      );
    }
  }

  private async screenInTransaction(
    trx: Trx,
    bankId: string,
    unique: readonly AuthorisationEvent[],
  ): Promise<BatchResult> {
    const decisions = new Map<string, ScreenDecision>();
    // Already screened (takes no lock; the insert below settles races).
    const seen = await trx
      .selectFrom('screening_event as e')
      .leftJoin('screening_alert as a', (join) =>
        join.onRef('a.bank_id', '=', 'e.bank_id').onRef('a.transaction_id', '=', 'e.transaction_id'),
      )
      .select(['e.transaction_id', 'e.score', 'e.alert', 'e.late', 'a.id as alert_id'])
      .where('e.bank_id', '=', bankId)
      .where(
        'e.transaction_id',
        'in',
        unique.map((event) => event.transactionId),
      )
      .execute();
    for (const row of seen) {
      decisions.set(row.transaction_id, {
        status: 'duplicate',
        transactionId: row.transaction_id,
        score: row.score,
        alert: row.alert,
        alertId: row.alert_id ?? null,
        late: row.late,
      });
    }
    const fresh = unique.filter((event) => !decisions.has(event.transactionId));
    if (fresh.length === 0) return { decisions, alerts: [] };

    // Lock every entity of the batch in one statement, in one global order: cards, then
    // customers, then terminals, each by key (the per-event order card → customer →
    // terminal is a special case, so batches and single events never wait in a cycle).
    const sorted = (ids: Iterable<string>) => [...new Set(ids)].sort();
    const entities: [Kind, string][] = [
      ...sorted(fresh.map((e) => e.cardId)).map((key): [Kind, string] => ['card', key]),
      ...sorted(fresh.map((e) => e.customerId)).map((key): [Kind, string] => ['customer', key]),
      ...sorted(fresh.map((e) => e.terminalId)).map((key): [Kind, string] => ['terminal', key]),
    ];
    const states = await lockAll(trx, bankId, entities);
    const store = new BatchStore(states);
    const { model, threshold } = await this.modelFor(trx, bankId);
    const rules = this.rulesFor(bankId);

    // Featurise in batch order from the locked states, exactly as one event at a time.
    const engine = new FeatureEngine({ labelDelayDays: this.labelDelayDays, store });
    const features = new Float64Array(FEATURE_COUNT);
    const now = this.now();
    const eventRows: Insertable<Tables['screening_event']>[] = [];
    const alertRows: AlertRow[] = [];
    const alerts: ScreeningAlert[] = [];
    for (const event of fresh) {
      const t = Date.parse(event.time);
      const card = store.card(entityKey(bankId, event.cardId));
      const late = card.t.length > 0 && card.t[card.t.length - 1]! > t;
      engine.process(event, features);
      const score = model.score(features);
      const {
        matched,
        alert: alerting,
        reasons,
      } = decideAlert(model, rules, event, features, score, threshold);
      eventRows.push({
        bank_id: bankId,
        transaction_id: event.transactionId,
        card_id: event.cardId,
        customer_id: event.customerId,
        terminal_id: event.terminalId,
        at: new Date(t),
        event: JSON.stringify(event),
        score,
        alert: alerting,
        late,
        rules: matched.map((rule) => rule.id),
        reasons: JSON.stringify(reasons),
      });
      let alertId: string | null = null;
      if (alerting) {
        alertId = randomUUID();
        const row: AlertRow = {
          id: alertId,
          bank_id: bankId,
          transaction_id: event.transactionId,
          customer_id: event.customerId,
          card_id: event.cardId,
          terminal_id: event.terminalId,
          merchant_name: event.merchantName ?? null,
          mcc: event.mcc ?? null,
          country: event.country,
          channel: event.channel,
          amount: event.amount,
          currency: event.currency,
          transaction_at: new Date(t),
          score,
          reasons: JSON.stringify(reasons),
          customer_reasons: JSON.stringify(customerReasons(event, features, reasons)),
          status: 'open',
          delivery: 'bank-queue',
          reply: null,
          replied_at: null,
          created_at: now,
          updated_at: now,
        };
        alertRows.push(row);
        alerts.push(toAlert(row));
      }
      decisions.set(event.transactionId, {
        status: 'screened',
        transactionId: event.transactionId,
        score,
        alert: alerting,
        alertId,
        late,
      });
    }

    // Rows in transaction id order: two batches inserting the same ids meet in one order.
    const byId = (a: { transaction_id: string }, b: { transaction_id: string }) =>
      a.transaction_id < b.transaction_id ? -1 : a.transaction_id > b.transaction_id ? 1 : 0;
    eventRows.sort(byId);
    const inserted = await trx
      .insertInto('screening_event')
      .values(eventRows)
      .onConflict((oc) => oc.columns(['bank_id', 'transaction_id']).doNothing())
      .returning('transaction_id')
      .execute();
    // An id screened meanwhile with another card or terminal (so past our locks): start over.
    if (inserted.length !== eventRows.length) throw new LostRace();
    await saveAll(trx, bankId, entities, states);
    if (this.onScreened !== undefined)
      await this.onScreened(
        trx as unknown as Kysely<unknown>,
        bankId,
        fresh,
        new Set(alerts.map((alert) => alert.transactionId)),
      );
    if (alertRows.length > 0) {
      alertRows.sort(byId);
      await trx.insertInto('screening_alert').values(alertRows).execute();
      await this.sink.enqueue?.(trx as unknown as Kysely<unknown>, alerts);
    }
    return { decisions, alerts };
  }

  /** The bank's model and threshold for one group, from one snapshot (see ModelRegistry). */
  private async modelFor(trx: Trx, bankId: string): Promise<{ model: ScreeningModel; threshold: number }> {
    if (this.models !== undefined) {
      const current = await this.models.current(trx, bankId);
      return { model: current.model ?? this.model, threshold: current.threshold ?? this.defaultThreshold };
    }
    const bank = await trx
      .selectFrom('screening_bank')
      .select('threshold')
      .where('bank_id', '=', bankId)
      .executeTakeFirst();
    return { model: this.model, threshold: bank?.threshold ?? this.defaultThreshold };
  }

  /** Hands a committed alert to the sink; a failing sink leaves it in the bank queue. */
  private async deliver(alert: ScreeningAlert): Promise<void> {
    let delivery: AlertDelivery = 'bank-queue';
    try {
      delivery = await this.sink.raise(alert);
    } catch {
      delivery = 'bank-queue';
    }
    if (delivery === 'device') {
      await this.db
        .updateTable('screening_alert')
        .set({ delivery: 'device', updated_at: this.now() })
        .where('id', '=', alert.id)
        .execute();
    }
  }

  /** The alert reached the customer's device (the outbox's relay push was taken). */
  async markDelivered(alertId: string): Promise<void> {
    await this.db
      .updateTable('screening_alert')
      .set({ delivery: 'device', updated_at: this.now() })
      .where('id', '=', alertId)
      .execute();
  }

  /**
   * The customer's answer. 'yes' (it was me) clears the alert and feeds the engine a
   * genuine label; 'no' confirms fraud (the caller freezes the card in the bank core).
   * The first answer stands: a second one returns the alert unchanged.
   */
  async reply(alertId: string, answer: AlertReply): Promise<ScreeningAlert | undefined> {
    if (answer !== 'yes' && answer !== 'no') throw new Error("answer must be 'yes' or 'no'");
    const now = this.now();
    const updated = await this.db
      .updateTable('screening_alert')
      .set({
        reply: answer,
        replied_at: now,
        status: answer === 'yes' ? 'cleared' : 'confirmed_fraud',
        updated_at: now,
      })
      .where('id', '=', alertId)
      .where('reply', 'is', null)
      .where('status', 'in', ['open', 'escalated'])
      .returningAll()
      .executeTakeFirst();
    if (updated !== undefined) {
      await this.recordLabel(updated.bank_id, updated.transaction_id, answer === 'no', now, true);
      return toAlert(updated);
    }
    return this.alert(alertId);
  }

  /**
   * A label the bank learnt (chargeback, investigation) at `at`. It reaches the features
   * only from max(at, transaction time + label delay) — or at `at` itself when `confirmed`
   * (the customer's reply or staff's decision on the alert: the same day, not weeks later).
   * False if the transaction was never screened.
   */
  async recordLabel(
    bankId: string,
    transactionId: string,
    isFraud: boolean,
    at: Date = this.now(),
    confirmed = false,
  ): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      const tx = await trx
        .selectFrom('screening_event')
        .select(['card_id', 'terminal_id', 'at'])
        .where('bank_id', '=', bankId)
        .where('transaction_id', '=', transactionId)
        .executeTakeFirst();
      if (tx === undefined) return false;
      // Same lock order as screening (card before terminal).
      const [cardState, , terminalState] = await lockStates(trx, bankId, [
        ['card', tx.card_id],
        ['terminal', tx.terminal_id],
      ]);
      const engine = new FeatureEngine({
        labelDelayDays: this.labelDelayDays,
        store: new LockedStore(cardState, emptyCustomerState(), terminalState),
      });
      engine.applyLabel(
        { id: transactionId, card: tx.card_id, terminal: tx.terminal_id, t: new Date(tx.at).getTime() },
        isFraud,
        at.getTime(),
        confirmed,
      );
      await saveStates(trx, bankId, [
        ['card', tx.card_id, cardState],
        ['terminal', tx.terminal_id, terminalState],
      ]);
      await trx
        .updateTable('screening_event')
        .set({ label: isFraud ? 1 : 0, label_at: at })
        .where('bank_id', '=', bankId)
        .where('transaction_id', '=', transactionId)
        .execute();
      return true;
    });
  }

  /** Open alerts older than `afterSeconds` with no reply move to the bank's queue as escalated. */
  async escalateOverdue(now: Date, afterSeconds: number): Promise<ScreeningAlert[]> {
    const rows = await this.db
      .updateTable('screening_alert')
      .set({ status: 'escalated', updated_at: now })
      .where('status', '=', 'open')
      .where('reply', 'is', null)
      .where('created_at', '<=', new Date(now.getTime() - afterSeconds * 1000))
      .returningAll()
      .execute();
    return rows.map(toAlert);
  }

  /** Staff decision on an alert from the queue (the investigator view). */
  async resolve(alertId: string, status: 'cleared' | 'confirmed_fraud'): Promise<ScreeningAlert | undefined> {
    const now = this.now();
    const row = await this.db
      .updateTable('screening_alert')
      .set({ status, updated_at: now })
      .where('id', '=', alertId)
      .where('status', 'in', ['open', 'escalated'])
      .returningAll()
      .executeTakeFirst();
    if (row === undefined) return this.alert(alertId);
    await this.recordLabel(row.bank_id, row.transaction_id, status === 'confirmed_fraud', now, true);
    return toAlert(row);
  }

  async alert(alertId: string): Promise<ScreeningAlert | undefined> {
    const row = await this.db
      .selectFrom('screening_alert')
      .selectAll()
      .where('id', '=', alertId)
      .executeTakeFirst();
    return row === undefined ? undefined : toAlert(row);
  }

  async alerts(bankId: string, query: AlertQuery = {}): Promise<ScreeningAlert[]> {
    let q = this.db.selectFrom('screening_alert').selectAll().where('bank_id', '=', bankId);
    if (query.since !== undefined) q = q.where('created_at', '>=', query.since);
    if (query.until !== undefined) q = q.where('created_at', '<', query.until);
    if (query.status !== undefined) q = q.where('status', '=', query.status);
    if (query.minScore !== undefined) q = q.where('score', '>=', query.minScore);
    const rows = await q
      .orderBy('created_at', 'desc')
      .orderBy('id')
      .limit(query.limit ?? 500)
      .execute();
    return rows.map(toAlert);
  }

  /** How many authorisations of a bank were screened (and how many alerted). */
  async counts(bankId: string): Promise<{ events: number; alerts: number; late: number }> {
    const row = await this.db
      .selectFrom('screening_event')
      .select([
        sql<number>`count(*)::int`.as('events'),
        sql<number>`count(*) filter (where alert)::int`.as('alerts'),
        sql<number>`count(*) filter (where late)::int`.as('late'),
      ])
      .where('bank_id', '=', bankId)
      .executeTakeFirstOrThrow();
    return row;
  }

  /** The bank's threshold now (chosen, else the default). */
  async threshold(bankId: string): Promise<number> {
    const row = await this.db
      .selectFrom('screening_bank')
      .select('threshold')
      .where('bank_id', '=', bankId)
      .executeTakeFirst();
    return row?.threshold ?? this.defaultThreshold;
  }

  /**
   * Chooses and stores the bank's threshold so that its screened history of the last `days`
   * days would have raised `alertsPerDay` alerts a day on average (bank rules aside).
   */
  async chooseThreshold(
    bankId: string,
    alertsPerDay: number,
    options: { days?: number; until?: Date } = {},
  ): Promise<BudgetThreshold> {
    let q = this.db.selectFrom('screening_event').select(['at', 'score']).where('bank_id', '=', bankId);
    let until: Date | undefined = options.until;
    if (until === undefined) {
      const last = await this.db
        .selectFrom('screening_event')
        .select(sql<Date>`max(at)`.as('last'))
        .where('bank_id', '=', bankId)
        .executeTakeFirst();
      until = last?.last ? new Date(last.last) : this.now();
    }
    const from = new Date(until.getTime() - (options.days ?? 28) * 86_400_000);
    q = q.where('at', '>', from).where('at', '<=', until);
    const history = (await q.execute()).map((row) => ({
      time: new Date(row.at).getTime(),
      score: row.score,
    }));
    const chosen = thresholdForDailyBudget(history, alertsPerDay);
    await this.db
      .insertInto('screening_bank')
      .values({
        bank_id: bankId,
        threshold: chosen.threshold,
        alerts_per_day: alertsPerDay,
        chosen_from: from,
        chosen_to: until,
        updated_at: this.now(),
      })
      .onConflict((oc) =>
        oc.column('bank_id').doUpdateSet({
          threshold: chosen.threshold,
          alerts_per_day: alertsPerDay,
          chosen_from: from,
          chosen_to: until,
          updated_at: this.now(),
        }),
      )
      .execute();
    return chosen;
  }

  /** Sets a bank's threshold by hand. */
  /**
   * Re-chooses every budget threshold (set through chooseThreshold) chosen longer than
   * `olderThanMs` ago, over the same number of days as before: a bank's traffic drifts (new
   * cards and terminals fill their 30-day windows, seasons change), and a threshold chosen
   * once would drift away from the budget with it. Fixed thresholds (setThreshold) stay.
   * Returns the banks re-chosen.
   */
  async refreshBudgetThresholds(olderThanMs = 86_400_000): Promise<string[]> {
    const stale = await this.db
      .selectFrom('screening_bank')
      .select(['bank_id', 'alerts_per_day', 'chosen_from', 'chosen_to'])
      .where('alerts_per_day', 'is not', null)
      .where('updated_at', '<', new Date(this.now().getTime() - olderThanMs))
      .execute();
    const refreshed: string[] = [];
    for (const row of stale) {
      const days =
        row.chosen_from !== null && row.chosen_to !== null
          ? Math.max(
              1,
              Math.round(
                (new Date(row.chosen_to).getTime() - new Date(row.chosen_from).getTime()) / 86_400_000,
              ),
            )
          : 28;
      await this.chooseThreshold(row.bank_id, row.alerts_per_day!, { days });
      refreshed.push(row.bank_id);
    }
    return refreshed;
  }

  async setThreshold(bankId: string, threshold: number): Promise<void> {
    if (!(threshold >= 0 && threshold <= 1)) throw new Error('threshold must be within [0, 1]');
    await this.db
      .insertInto('screening_bank')
      .values({
        bank_id: bankId,
        threshold,
        alerts_per_day: null,
        chosen_from: null,
        chosen_to: null,
        updated_at: this.now(),
      })
      .onConflict((oc) =>
        oc.column('bank_id').doUpdateSet({ threshold, alerts_per_day: null, updated_at: this.now() }),
      )
      .execute();
  }

  /** Alerts per hour (created_at) between `from` and `to`, for the investigator chart. */
  async alertsPerHour(bankId: string, from: Date, to: Date): Promise<{ hour: Date; alerts: number }[]> {
    const rows = await this.db
      .selectFrom('screening_alert')
      .select([sql<Date>`date_trunc('hour', created_at)`.as('hour'), sql<number>`count(*)::int`.as('alerts')])
      .where('bank_id', '=', bankId)
      .where('created_at', '>=', from)
      .where('created_at', '<', to)
      .groupBy(sql`1`)
      .orderBy(sql`1`)
      .execute();
    return rows.map((row) => ({ hour: new Date(row.hour), alerts: row.alerts }));
  }

  /**
   * Precision of the alerts per day (created_at, UTC): confirmed fraud / alerts with an
   * outcome (cleared or confirmed). Days without a resolved alert have precision null.
   */
  async precisionByDay(
    bankId: string,
    from: Date,
    to: Date,
  ): Promise<{ day: string; alerts: number; resolved: number; fraud: number; precision: number | null }[]> {
    const rows = await this.db
      .selectFrom('screening_alert')
      .select([
        sql<string>`to_char(created_at at time zone 'UTC', 'YYYY-MM-DD')`.as('day'),
        sql<number>`count(*)::int`.as('alerts'),
        sql<number>`count(*) filter (where status in ('cleared', 'confirmed_fraud'))::int`.as('resolved'),
        sql<number>`count(*) filter (where status = 'confirmed_fraud')::int`.as('fraud'),
      ])
      .where('bank_id', '=', bankId)
      .where('created_at', '>=', from)
      .where('created_at', '<', to)
      .groupBy(sql`1`)
      .orderBy(sql`1`)
      .execute();
    return rows.map((row) => ({ ...row, precision: row.resolved > 0 ? row.fraud / row.resolved : null }));
  }

  /** Every card's history as the engine holds it (tests and audits: nothing lost, nothing twice). */
  async cardHistory(bankId: string, cardId: string): Promise<string[]> {
    const row = await this.db
      .selectFrom('screening_state')
      .select('state')
      .where('bank_id', '=', bankId)
      .where('kind', '=', 'card')
      .where('key', '=', cardId)
      .executeTakeFirst();
    return row === undefined ? [] : [...(parseState(row.state, emptyCardState) as CardState).id];
  }
}

function parseState<T extends object>(value: unknown, empty: () => T): T {
  const parsed = typeof value === 'string' ? (JSON.parse(value) as object) : (value as object);
  return { ...empty(), ...parsed };
}

type Kind = 'card' | 'customer' | 'terminal';

/**
 * Creates the entities' rows if missing and locks them, in the order given (always card,
 * customer, terminal: one global order, so no two transactions wait on each other in a
 * cycle). `on conflict do update` locks an existing row like `select … for update`.
 */
async function lockStates(
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
function stateSlot(kind: Kind, bankId: string, key: string): string {
  return `${kind}\u001f${entityKey(bankId, key)}`;
}

/**
 * Creates the batch's entity rows if missing and locks them, in one statement, in the order
 * given (rows of a multi-row insert are taken in list order). Returns the states by slot.
 */
async function lockAll(
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
async function saveAll(
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
async function saveStates(
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

function toAlert(row: AlertRow): ScreeningAlert {
  const reasons =
    typeof row.reasons === 'string' ? (JSON.parse(row.reasons) as Reason[]) : (row.reasons as Reason[]);
  const customer = (
    typeof row.customer_reasons === 'string' ? JSON.parse(row.customer_reasons) : (row.customer_reasons ?? [])
  ) as string[];
  return {
    id: row.id,
    bankId: row.bank_id,
    transactionId: row.transaction_id,
    customerId: row.customer_id,
    cardId: row.card_id,
    terminalId: row.terminal_id,
    merchantName: row.merchant_name,
    mcc: row.mcc,
    country: row.country,
    channel: row.channel,
    amount: normaliseAmount(row.amount, row.currency),
    currency: row.currency.trim(),
    transactionTime: new Date(row.transaction_at),
    score: row.score,
    reasons,
    customerReasons: customer,
    status: row.status,
    delivery: row.delivery,
    reply: row.reply,
    repliedAt: row.replied_at === null ? null : new Date(row.replied_at),
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
  };
}

/** numeric(20,4) comes back as "42.1000": back to the currency's own decimals ("42.10"). */
function normaliseAmount(amount: string, currency: string): string {
  const exponent = minorUnitExponent(currency.trim());
  const [whole = '0', fraction = ''] = amount.split('.');
  return exponent === 0 ? whole : `${whole}.${fraction.padEnd(exponent, '0').slice(0, exponent)}`;
}
