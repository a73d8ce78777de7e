// The engine as a bank runs it: features from the stream, the model's score, the bank's
// rules and its threshold, and an alert with reasons. Labels come back through
// `recordLabel` and only count once older than the delay (see FeatureEngine).
import type { AuthorisationEvent } from './event.ts';
import { FEATURE_COUNT, FeatureEngine } from './features.ts';
import type { LabelledAuthorisation } from './fraud-sim.ts';
import type { ScreeningModel } from './model.ts';
import type { Reason } from './reasons.ts';
import { matchRules, type Rule } from './rules.ts';
import type { FeatureStateStore } from './state.ts';

export interface ScreenerOptions {
  readonly model: ScreeningModel;
  /** Defaults to the delay the model was trained with. */
  readonly labelDelayDays?: number;
  readonly rules?: readonly Rule[];
  /** Score threshold per bank (see thresholdForDailyBudget); banks not listed use `defaultThreshold`. */
  readonly thresholds?: ReadonlyMap<string, number>;
  readonly defaultThreshold?: number;
  readonly store?: FeatureStateStore;
}

export interface ScreeningDecision {
  readonly transactionId: string;
  readonly bankId: string;
  /** Model fraud probability. */
  readonly score: number;
  readonly alert: boolean;
  /** Rules that matched, by id. */
  readonly rules: readonly string[];
  /** Why it alerts: bank rules first, then the model's strongest features. Empty when no alert. */
  readonly reasons: readonly Reason[];
}

/**
 * The alert decision for one scored event, the same offline and online: a `suppress` rule
 * wins; otherwise the score at or over the threshold, or an `alert` rule, raises it, with the
 * rules' reasons first and then the model's.
 */
export function decideAlert(
  model: ScreeningModel,
  rules: readonly Rule[],
  event: AuthorisationEvent,
  features: Float64Array,
  score: number,
  threshold: number,
): { matched: Rule[]; alert: boolean; reasons: Reason[] } {
  const matched = matchRules(rules, { event, features, score });
  const ruleAlerts = matched.filter((rule) => rule.action === 'alert');
  const alert =
    !matched.some((rule) => rule.action === 'suppress') && (score >= threshold || ruleAlerts.length > 0);
  const reasons: Reason[] = alert
    ? [
        ...ruleAlerts.map((rule) => ({ feature: `rule:${rule.id}` as const, text: rule.reason, weight: 0 })),
        ...model.reasons(features),
      ]
    : [];
  return { matched, alert, reasons };
}

export class Screener {
  readonly engine: FeatureEngine;
  private readonly model: ScreeningModel;
  private readonly rules: readonly Rule[];
  private readonly thresholds: ReadonlyMap<string, number>;
  private readonly defaultThreshold: number;
  private readonly features = new Float64Array(FEATURE_COUNT);

  constructor(options: ScreenerOptions) {
    this.model = options.model;
    this.engine = new FeatureEngine({
      labelDelayDays: options.labelDelayDays ?? options.model.labelDelayDays,
      ...(options.store ? { store: options.store } : {}),
    });
    this.rules = options.rules ?? [];
    this.thresholds = options.thresholds ?? new Map();
    this.defaultThreshold = options.defaultThreshold ?? 0.5;
  }

  /** Score only (no rules, no reasons): the hot path of bulk scoring. */
  score(event: AuthorisationEvent): number {
    return this.model.score(this.engine.process(event, this.features));
  }

  screen(event: AuthorisationEvent): ScreeningDecision {
    const features = this.engine.process(event, this.features);
    const score = this.model.score(features);
    const threshold = this.thresholds.get(event.bankId) ?? this.defaultThreshold;
    const { matched, alert, reasons } = decideAlert(
      this.model,
      this.rules,
      event,
      features,
      score,
      threshold,
    );
    return {
      transactionId: event.transactionId,
      bankId: event.bankId,
      score,
      alert,
      rules: matched.map((rule) => rule.id),
      reasons,
    };
  }

  /**
   * A label learnt at `labelTime` (epoch ms); usable from max(labelTime, transaction time +
   * delay), or from labelTime when the customer confirmed it (`confirmed`, a reply).
   */
  recordLabel(
    bankId: string,
    transactionId: string,
    isFraud: boolean,
    labelTime: number,
    confirmed = false,
  ): boolean {
    return this.engine.recordLabel(bankId, transactionId, isFraud, labelTime, confirmed);
  }
}

/**
 * `proviso score`: rows in time order, each scored from the stream so far, and its own label
 * (if the file has one) recorded only after it was scored — visible `labelDelayDays` later.
 */
export async function* scoreRows(
  rows: AsyncIterable<LabelledAuthorisation> | Iterable<LabelledAuthorisation>,
  model: ScreeningModel,
  options: { labelDelayDays?: number; onSorted?: (rows: number) => void } = {},
): AsyncGenerator<{ transactionId: string; score: number }> {
  const screener = new Screener({
    model,
    ...(options.labelDelayDays === undefined ? {} : { labelDelayDays: options.labelDelayDays }),
  });
  const all: LabelledAuthorisation[] = [];
  for await (const row of rows) all.push(row);
  const time = all.map((row) => Date.parse(row.event.time));
  let sorted = true;
  for (let i = 1; i < time.length && sorted; i++) sorted = time[i - 1]! <= time[i]!;
  const order = all.map((_, i) => i);
  // Stable sort: rows of the same second keep their file order.
  if (!sorted) order.sort((a, b) => time[a]! - time[b]! || a - b);
  options.onSorted?.(order.length);
  for (const i of order) {
    const { event, isFraud } = all[i]!;
    const score = screener.score(event);
    yield { transactionId: event.transactionId, score };
    if (isFraud !== undefined) screener.recordLabel(event.bankId, event.transactionId, isFraud, time[i]!);
  }
}
