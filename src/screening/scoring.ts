// The scoring transaction: one group of a bank's events in one transaction — duplicates
// answered with their first decision, every entity row locked in one global order, features,
// score, rules and threshold in memory event after event, then events, states and alerts
// written in one statement each (see service.ts for the whole story). Retried on a lost race.
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { TakeTurn } from '../storage/index.ts';
import type { AlertSink, ScreeningAlert } from './alert.ts';
import { customerReasons } from './customer-reasons.ts';
import { cardStep } from './entity-steps.ts';
import type { AuthorisationEvent } from './event.ts';
import { type EventRow, insertEventRows } from './event-rows.ts';
import { DAY_MS } from './feature-names.ts';
import { FEATURE_COUNT, FeatureEngine } from './features.ts';
import type { ScreeningModel } from './model.ts';
import type { ModelRegistry } from './model-registry.ts';
import type { Rule } from './rules.ts';
import { decideAlert } from './screener.ts';
import type { ScreeningServiceOptions, ScreenOutcome } from './service.ts';
import { lockAll, type RowAt, StateCache, saveAll } from './state-rows.ts';
import { BatchStore, entityKey, type Kind, slotOf } from './state-stores.ts';
import { type AlertRow, type ScreeningTables, type Trx, toAlert } from './tables.ts';

export type ScreenDecision = Extract<ScreenOutcome, { status: 'screened' | 'duplicate' }>;

export interface BatchResult {
  /** Per transaction id: screened now, or the first decision of an earlier screening. */
  readonly decisions: Map<string, ScreenDecision>;
  /** Alerts raised by this batch, committed, in batch order. */
  readonly alerts: ScreeningAlert[];
}

/** Transaction attempts of a batch before its error is the caller's. */
const MAX_ATTEMPTS = 5;

/** The states a transaction attempt ends with and where their rows are, kept once it commits. */
interface SavedStates {
  states?: ReadonlyMap<string, object>;
  rows?: ReadonlyMap<string, RowAt>;
}

/** The batch inserted fewer events than it screened: another transaction won a race. */
class LostRace extends Error {}

/** PostgreSQL deadlock or serialisation failure: safe to run the transaction again. */
function isTransient(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === '40P01' || code === '40001';
}

export interface ScoringOptions {
  readonly db: Kysely<ScreeningTables>;
  readonly model: ScreeningModel;
  readonly models: ModelRegistry | undefined;
  readonly sink: AlertSink;
  readonly rules: readonly Rule[] | ReadonlyMap<string, readonly Rule[]>;
  readonly defaultThreshold: number;
  readonly labelDelayDays: number;
  readonly now: () => Date;
  readonly onScreened: ScreeningServiceOptions['onScreened'];
  /** The database's turns (Database.turn): one transaction attempt is one turn. */
  readonly turn: TakeTurn;
}

export class Scoring {
  private readonly db: Kysely<ScreeningTables>;
  private readonly model: ScreeningModel;
  private readonly models: ModelRegistry | undefined;
  private readonly sink: AlertSink;
  private readonly rules: readonly Rule[] | ReadonlyMap<string, readonly Rule[]>;
  private readonly defaultThreshold: number;
  private readonly labelDelayDays: number;
  private readonly now: () => Date;
  private readonly onScreened: ScreeningServiceOptions['onScreened'];
  private readonly turn: TakeTurn;
  /** The entity states this instance last wrote (see StateCache). */
  private readonly cache = new StateCache();
  constructor(options: ScoringOptions) {
    this.db = options.db;
    this.model = options.model;
    this.models = options.models;
    this.sink = options.sink;
    this.rules = options.rules;
    this.defaultThreshold = options.defaultThreshold;
    this.labelDelayDays = options.labelDelayDays;
    this.now = options.now;
    this.onScreened = options.onScreened;
    this.turn = options.turn;
  }

  private rulesFor(bankId: string): readonly Rule[] {
    const rules = this.rules;
    return rules instanceof Map ? (rules.get(bankId) ?? []) : (rules as readonly Rule[]);
  }

  /** Screens events in one transaction, retried on a lost race; nothing delivered yet. */
  async screenGroup(bankId: string, events: readonly AuthorisationEvent[]): Promise<BatchResult> {
    // A transaction id repeated: only its first occurrence is screened.
    const first = new Map<string, AuthorisationEvent>();
    for (const event of events) if (!first.has(event.transactionId)) first.set(event.transactionId, event);
    const unique = [...first.values()];
    for (let attempt = 1; ; attempt++) {
      try {
        // One turn per attempt: on the embedded database, a task waiting for its turn (the
        // outbox's delivery) goes between two groups instead of behind all of them.
        const saved: SavedStates = {};
        const result = await this.turn(() =>
          this.db.transaction().execute((trx) => this.screenInTransaction(trx, bankId, unique, saved)),
        );
        // Committed: the states as written stay current until their rows' versions move on.
        if (saved.states !== undefined && saved.rows !== undefined) this.cache.keep(saved.states, saved.rows);
        return result;
      } catch (error) {
        // Lost a race (the same id committed by another instance meanwhile) or, should it
        // ever happen, a deadlock: nothing was written; run again, which sees the winner.
        if (attempt >= MAX_ATTEMPTS || !(error instanceof LostRace || isTransient(error))) throw error;
      }
    }
  }

  private async screenInTransaction(
    trx: Trx,
    bankId: string,
    unique: readonly AuthorisationEvent[],
    saved: SavedStates,
  ): Promise<BatchResult> {
    const decisions = new Map<string, ScreenDecision>();
    // Lock every entity of the group in one statement, in one global order: cards, then
    // customers, then terminals, each by key (the per-event order card → customer →
    // terminal is a special case, so batches and single events never wait in a cycle). The
    // same statement says which ids were screened already; their entities are locked too
    // (a redelivery is rare) and written back unchanged.
    const sorted = (ids: Iterable<string>) => [...new Set(ids)].sort();
    const entities: [Kind, string][] = [
      ...sorted(unique.map((e) => e.cardId)).map((key): [Kind, string] => ['card', key]),
      ...sorted(unique.map((e) => e.customerId)).map((key): [Kind, string] => ['customer', key]),
      ...sorted(unique.map((e) => e.terminalId)).map((key): [Kind, string] => ['terminal', key]),
    ];
    const labelDelayMs = this.labelDelayDays * DAY_MS;
    const { states, rows, screened } = await lockAll(trx, bankId, entities, {
      cache: this.cache,
      transactionIds: unique.map((event) => event.transactionId),
      labelDelayMs,
    });
    for (const row of screened) {
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
    if (fresh.length === 0) {
      // Nothing changed: the states go back to the cache as they were.
      saved.states = states;
      saved.rows = rows;
      return { decisions, alerts: [] };
    }
    const store = new BatchStore(states);
    const { model, threshold } = await this.modelFor(trx, bankId);
    const rules = this.rulesFor(bankId);

    // Featurise in batch order from the locked states, exactly as one event at a time.
    // Each entity's steps, in the order the engine took them (state-rows.ts writes them back).
    const steps = new Map<string, unknown[]>();
    const step = (slot: string, value: unknown) => {
      const taken = steps.get(slot);
      if (taken === undefined) steps.set(slot, [value]);
      else taken.push(value);
    };
    const engine = new FeatureEngine({
      labelDelayDays: this.labelDelayDays,
      store,
      onAdded: (observation) => {
        step(slotOf('card', observation.card), cardStep(observation));
        step(slotOf('customer', observation.customer), [observation.t, observation.card]);
        step(slotOf('terminal', observation.terminal), observation.t);
      },
    });
    const features = new Float64Array(FEATURE_COUNT);
    const now = this.now();
    const eventRows: EventRow[] = [];
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
        transaction_id: event.transactionId,
        card_id: event.cardId,
        customer_id: event.customerId,
        terminal_id: event.terminalId,
        at: new Date(t).toISOString(),
        event,
        score,
        alert: alerting,
        late,
        rules: matched.map((rule) => rule.id),
        reasons,
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
    const inserted = await insertEventRows(trx, bankId, eventRows);
    // An id screened meanwhile with another card or terminal (so past our locks): start over.
    if (inserted !== eventRows.length) throw new LostRace();
    saved.states = states;
    const written = await saveAll(trx, bankId, entities, states, steps, rows);
    saved.rows = new Map([...rows, ...written]);
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
}
