// The bank-side screening service: the engine with its state in the database, so any number
// of gateway instances share it. One authorisation = one transaction:
//   1. lock the card, customer and terminal state rows (upsert … on conflict do update, in
//      that fixed order, so two events never wait on each other in a cycle);
//   2. if the transaction id is already screened, stop: a redelivery changes nothing and gets
//      the first decision back (the event row's primary key is the idempotency key);
//   3. featurise from the locked state, score, apply the bank's rules and threshold;
//   4. write the event row, the new state and, when it alerts, the alert row; commit.
// Then the alert goes to the injected AlertSink (the gateway seals it to the device when the
// customer consented to fraud alerts); the bank queue always has it.
//
// Order per card: events of one card are serialised by the card row lock. An event older
// than the newest one its card has seen ("late") is scored from the card's history before
// its own time — the score it would have had in order — and then inserted into the history
// in time order; later events are never rescored (their decisions were already acted on).
import { randomUUID } from 'node:crypto';
import { type Generated, type Kysely, sql } from 'kysely';
import type { Database } from '../storage/index.ts';
import {
  type AuthorisationEvent,
  minorUnitExponent,
  type ValidationError,
  validateAuthorisation,
} from './event.ts';
import { FEATURE_COUNT, FeatureEngine } from './features.ts';
import type { ScreeningModel } from './model.ts';
import type { Reason } from './reasons.ts';
import { matchRules, type Rule } from './rules.ts';
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
  readonly reasons: readonly Reason[];
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
  readonly model: ScreeningModel;
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

class Duplicate extends Error {}

export class ScreeningService {
  private readonly db: Kysely<Tables>;
  private readonly model: ScreeningModel;
  private readonly sink: AlertSink;
  private readonly rules: readonly Rule[] | ReadonlyMap<string, readonly Rule[]>;
  private readonly defaultThreshold: number;
  readonly labelDelayDays: number;
  private readonly cards: CardDirectory | undefined;
  private readonly now: () => Date;

  constructor(options: ScreeningServiceOptions) {
    this.db = options.database.tables<Tables>();
    this.model = options.model;
    this.sink = options.sink ?? bankQueueSink;
    this.rules = options.rules ?? [];
    this.defaultThreshold = options.defaultThreshold ?? 0.5;
    this.labelDelayDays = options.labelDelayDays ?? options.model.labelDelayDays;
    this.cards = options.cards;
    this.now = options.now ?? (() => new Date());
  }

  private rulesFor(bankId: string): readonly Rule[] {
    const rules = this.rules;
    return rules instanceof Map ? (rules.get(bankId) ?? []) : (rules as readonly Rule[]);
  }

  /**
   * Validates and screens one authorisation of `bankId`. Never throws for a bad event: it
   * comes back 'rejected' with every error named by field.
   */
  async screen(bankId: string, input: unknown): Promise<ScreenOutcome> {
    const id =
      typeof input === 'object' &&
      input !== null &&
      typeof (input as { transactionId?: unknown }).transactionId === 'string'
        ? (input as { transactionId: string }).transactionId
        : null;
    const checked = validateAuthorisation(input);
    if (!checked.ok) return { status: 'rejected', transactionId: id, errors: checked.errors };
    const event = checked.event;
    if (event.bankId !== bankId) {
      return {
        status: 'rejected',
        transactionId: id,
        errors: [
          {
            field: 'bankId',
            code: 'bank_mismatch',
            message: `event is for bank ${event.bankId}, not ${bankId}`,
          },
        ],
      };
    }
    if (this.cards !== undefined) {
      const card = await this.cards.find(bankId, event.cardId);
      if (card === undefined) {
        return {
          status: 'rejected',
          transactionId: id,
          errors: [{ field: 'cardId', code: 'unknown_card', message: 'no such card at this bank' }],
        };
      }
      if (card.customerId !== event.customerId) {
        return {
          status: 'rejected',
          transactionId: id,
          errors: [
            {
              field: 'customerId',
              code: 'card_customer_mismatch',
              message: 'the card belongs to another customer',
            },
          ],
        };
      }
    }
    return this.process(event);
  }

  /** Screens a batch in order (events of one card keep their batch order). */
  async screenBatch(bankId: string, inputs: readonly unknown[]): Promise<ScreenOutcome[]> {
    const out: ScreenOutcome[] = [];
    for (const input of inputs) out.push(await this.screen(bankId, input));
    return out;
  }

  private async process(event: AuthorisationEvent): Promise<ScreenOutcome> {
    let alert: ScreeningAlert | undefined;
    let outcome: ScreenOutcome;
    try {
      outcome = await this.db.transaction().execute(async (trx) => {
        // Fast path for redeliveries (takes no lock); the insert below settles races.
        const seen = await trx
          .selectFrom('screening_event')
          .select('transaction_id')
          .where('bank_id', '=', event.bankId)
          .where('transaction_id', '=', event.transactionId)
          .executeTakeFirst();
        if (seen !== undefined) throw new Duplicate();
        const [cardState, customerState, terminalState] = await lockStates(trx, event.bankId, [
          ['card', event.cardId],
          ['customer', event.customerId],
          ['terminal', event.terminalId],
        ]);
        const t = Date.parse(event.time);
        const late = cardState.t.length > 0 && cardState.t[cardState.t.length - 1]! > t;
        const engine = new FeatureEngine({
          labelDelayDays: this.labelDelayDays,
          store: new LockedStore(cardState, customerState, terminalState),
        });
        const features = engine.process(event, new Float64Array(FEATURE_COUNT));
        const score = this.model.score(features);
        const matched = matchRules(this.rulesFor(event.bankId), { event, features, score });
        const bank = await trx
          .selectFrom('screening_bank')
          .select('threshold')
          .where('bank_id', '=', event.bankId)
          .executeTakeFirst();
        const threshold = bank?.threshold ?? this.defaultThreshold;
        const ruleAlerts = matched.filter((rule) => rule.action === 'alert');
        const alerting =
          !matched.some((rule) => rule.action === 'suppress') &&
          (score >= threshold || ruleAlerts.length > 0);
        const reasons: Reason[] = alerting
          ? [
              ...ruleAlerts.map((rule) => ({
                feature: `rule:${rule.id}` as const,
                text: rule.reason,
                weight: 0,
              })),
              ...this.model.reasons(features),
            ]
          : [];

        const inserted = await trx
          .insertInto('screening_event')
          .values({
            bank_id: event.bankId,
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
          })
          .onConflict((oc) => oc.columns(['bank_id', 'transaction_id']).doNothing())
          .returning('transaction_id')
          .executeTakeFirst();
        // Same id with another card or terminal raced past the locks: still a duplicate.
        if (inserted === undefined) throw new Duplicate();
        await saveStates(trx, event.bankId, [
          ['card', event.cardId, cardState],
          ['customer', event.customerId, customerState],
          ['terminal', event.terminalId, terminalState],
        ]);

        let alertId: string | null = null;
        if (alerting) {
          alertId = randomUUID();
          const now = this.now();
          const row: AlertRow = {
            id: alertId,
            bank_id: event.bankId,
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
            status: 'open',
            delivery: 'bank-queue',
            reply: null,
            replied_at: null,
            created_at: now,
            updated_at: now,
          };
          await trx.insertInto('screening_alert').values(row).execute();
          alert = toAlert({ ...row, reasons });
        }
        return {
          status: 'screened' as const,
          transactionId: event.transactionId,
          score,
          alert: alerting,
          alertId,
          late,
        };
      });
    } catch (error) {
      if (!(error instanceof Duplicate)) throw error;
      const first = await this.db
        .selectFrom('screening_event')
        .select(['score', 'alert', 'late'])
        .where('bank_id', '=', event.bankId)
        .where('transaction_id', '=', event.transactionId)
        .executeTakeFirstOrThrow();
      const alertRow = await this.db
        .selectFrom('screening_alert')
        .select('id')
        .where('bank_id', '=', event.bankId)
        .where('transaction_id', '=', event.transactionId)
        .executeTakeFirst();
      return {
        status: 'duplicate',
        transactionId: event.transactionId,
        score: first.score,
        alert: first.alert,
        alertId: alertRow?.id ?? null,
        late: first.late,
      };
    }
    if (alert !== undefined) await this.deliver(alert);
    return outcome;
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
      await this.recordLabel(updated.bank_id, updated.transaction_id, answer === 'no', now);
      return toAlert(updated);
    }
    return this.alert(alertId);
  }

  /**
   * A label the bank learnt (reply, chargeback, investigation) at `at`. It reaches the
   * features only from max(at, transaction time + label delay). False if the transaction
   * was never screened.
   */
  async recordLabel(
    bankId: string,
    transactionId: string,
    isFraud: boolean,
    at: Date = this.now(),
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
    await this.recordLabel(row.bank_id, row.transaction_id, status === 'confirmed_fraud', now);
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

/** Writes the new states of locked entities back in one statement. */
async function saveStates(
  trx: Trx,
  bankId: string,
  entities: readonly (readonly [Kind, string, object])[],
): Promise<void> {
  const values = sql.join(
    entities.map(([kind, key, state]) => sql`(${kind}, ${key}, ${JSON.stringify(state)})`),
  );
  await sql`update screening_state as s set state = v.state::jsonb, updated_at = now()
    from (values ${values}) as v(kind, key, state)
    where s.bank_id = ${bankId} and s.kind = v.kind and s.key = v.key`.execute(trx);
}

function toAlert(row: AlertRow): ScreeningAlert {
  const reasons =
    typeof row.reasons === 'string' ? (JSON.parse(row.reasons) as Reason[]) : (row.reasons as Reason[]);
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
