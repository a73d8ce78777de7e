// A bank's own model: trained on the bank's labelled history (its card authorisations and
// which of them were fraud), validated on the latest labelled weeks, with the alert threshold
// read off those weeks so that customers see few false alarms. The same replay that chooses
// the threshold measures it (`replayAlerts`), so the figures stored with the model are the
// ones the bench prints for a month of the bank's traffic.
import type { AuthorisationEvent } from './event.ts';
import { DAY_MS, FEATURE_COUNT, FEATURE_INDEX, FeatureEngine, NEVER_DAYS } from './features.ts';
import { seededRandom } from './gbdt.ts';
import { averagePrecision, rocAuc } from './metrics.ts';
import { ScreeningModel, type ScreeningModelJson } from './model.ts';
import { matchRules, type Rule } from './rules.ts';
import { InMemoryStateStore, type StateSnapshot } from './state.ts';
import { defaultNegativeRate, type FeatureTable, fit } from './train.ts';

export const FRAUD_KINDS = ['big-ticket', 'compromised-terminal', 'leaked-card'] as const;
export type FraudKind = (typeof FRAUD_KINDS)[number];

/** An authorisation of the bank's history and what it turned out to be (null = genuine). */
export interface BankAuthorisation {
  readonly event: AuthorisationEvent;
  readonly fraud: FraudKind | null;
}

/** Customer-facing alert figures over a stretch of a bank's traffic. */
export interface AlertFigures {
  readonly from: string;
  readonly to: string;
  readonly days: number;
  readonly genuine: number;
  readonly customers: number;
  /** Alerts raised on genuine payments. */
  readonly falseAlarms: number;
  readonly falseAlarmsPer1000: number;
  /** False alarms per customer who paid by card in the stretch, scaled to 30 days. */
  readonly falseAlarmsPerCustomerMonth: number;
  /** Per kind: frauds, how many were alerted, share caught. For compromised terminals only
   * the frauds whose terminal already had a confirmed fraud count (`eligible`). */
  readonly caught: Record<FraudKind, { frauds: number; eligible: number; alerted: number; share: number }>;
}

export interface ValidationFigures extends AlertFigures {
  readonly rows: number;
  readonly aucRoc: number;
  readonly averagePrecision: number;
  readonly threshold: number;
}

export interface BankTrainingOptions {
  readonly labelDelayDays?: number;
  /** Latest labelled days held out to validate and choose the threshold (default 14). */
  readonly validationDays?: number;
  /** Days at the start that only build state (default 3: the model must know new cards). */
  readonly warmupDays?: number;
  readonly trees?: number;
  /** Genuine rows kept for training at most (reweighted; default 60,000). */
  readonly maxGenuineRows?: number;
  /** The bank's rules: their alerts count against the false-alarm budget. */
  readonly rules?: readonly Rule[];
  /** False alarms allowed per 1,000 genuine payments when choosing the threshold (default 0.5). */
  readonly falseAlarmsPer1000?: number;
  /** …and per customer per month (default 0.5). Half the goals: margin for a new month. */
  readonly falseAlarmsPerCustomerMonth?: number;
  /** Share of alerted customers assumed to answer within the hour in training (default 0 = delay only). */
  readonly replyRate?: number;
}

export interface TrainedBankModel {
  readonly model: ScreeningModelJson;
  readonly threshold: number;
  readonly validation: ValidationFigures;
  /**
   * The engine's state at the end of the history (labels as known after the delay): what a
   * gateway starting on this bank should screen from, instead of empty state.
   */
  readonly state: StateSnapshot;
}

const HOUR_MS = 3_600_000;
const DAYS_SINCE_KNOWN_FRAUD = FEATURE_INDEX.terminal_days_since_known_fraud;

/**
 * Trains, validates and chooses the threshold of a bank's model from its history (any order),
 * on labels that arrive after the delay. With `replyRate` > 0 it trains twice: the history is
 * replayed with the first model's alerts answered by that share of customers within the hour
 * (labels at once) and the second model is trained on those features. Measured on the demo
 * banks (bench/fraud-demo.ts) the delay-only model is better both with and without replies
 * (it already reads a confirmed fraud at a terminal as risk), so 0 is the default.
 */
export function trainBankModel(
  history: readonly BankAuthorisation[],
  options: BankTrainingOptions = {},
): TrainedBankModel {
  const delayDays = options.labelDelayDays ?? 7;
  const rows = [...history].sort((a, b) => Date.parse(a.event.time) - Date.parse(b.event.time));
  if (rows.length === 0) throw new Error('no history to train on');
  const replyRate = options.replyRate ?? 0;
  const store = new InMemoryStateStore();
  const delayOnly = fitAndChoose(rows, featuriseHistory(rows, delayDays, undefined, store), store, {
    ...options,
    ...(replyRate > 0 ? { trees: Math.min(options.trees ?? 150, 60) } : {}),
  });
  if (replyRate <= 0) return delayOnly;
  const withReplies = featuriseHistory(rows, delayDays, {
    model: new ScreeningModel(delayOnly.model),
    threshold: delayOnly.threshold,
    rules: options.rules ?? [],
    rate: replyRate,
  });
  return { ...fitAndChoose(rows, withReplies, store, options), state: delayOnly.state };
}

function fitAndChoose(
  rows: readonly BankAuthorisation[],
  table: FeatureTable,
  store: InMemoryStateStore,
  options: BankTrainingOptions,
): TrainedBankModel {
  const delayDays = options.labelDelayDays ?? 7;
  const first = table.time[0]!;
  const last = table.time[table.rows - 1]!;
  // Only labels the bank knows by now (older than the delay) are targets.
  const labelledEnd = last - delayDays * DAY_MS;
  const validationStart = labelledEnd - (options.validationDays ?? 14) * DAY_MS;
  const trainStart = first + (options.warmupDays ?? 3) * DAY_MS;
  const training: number[] = [];
  const validation: number[] = [];
  for (let row = 0; row < table.rows; row++) {
    const t = table.time[row]!;
    if (t >= trainStart && t < validationStart) training.push(row);
    else if (t >= validationStart && t <= labelledEnd) validation.push(row);
  }
  let frauds = 0;
  for (const row of training) frauds += table.label[row]!;
  if (training.length === 0 || frauds < 5 || validation.length === 0)
    throw new Error(`not enough labelled history to train on (${frauds} frauds in the training window)`);
  const genuine = training.length - frauds;
  const model = fit(table, training, {
    labelDelayDays: delayDays,
    negativeRate: Math.min(
      defaultNegativeRate(table, training),
      (options.maxGenuineRows ?? 60_000) / Math.max(genuine, 1),
    ),
    params: { trees: options.trees ?? 150 },
  });
  const scorer = new ScreeningModel(model);
  const rules = options.rules ?? [];
  // The validation stretch replayed as it would have run: scores, rule alerts, kinds.
  const scores = new Float64Array(validation.length);
  const ruled = new Uint8Array(validation.length);
  const labels = new Uint8Array(validation.length);
  validation.forEach((row, i) => {
    const x = table.x.subarray(row * FEATURE_COUNT, (row + 1) * FEATURE_COUNT);
    scores[i] = scorer.score(x);
    labels[i] = table.label[row]!;
    const matched = matchRules(rules, { event: rows[row]!.event, features: x, score: scores[i]! });
    ruled[i] = matched.some((r) => r.action === 'suppress') ? 2 : matched.length > 0 ? 1 : 0;
  });
  const days = (labelledEnd - validationStart) / DAY_MS;
  const customers = new Set(validation.map((row) => rows[row]!.event.customerId)).size;
  const threshold = chooseAlertThreshold(scores, labels, ruled, {
    allowed: Math.min(
      ((options.falseAlarmsPer1000 ?? 0.5) * labels.filter((l) => l === 0).length) / 1000,
      ((options.falseAlarmsPerCustomerMonth ?? 0.5) * customers * days) / 30,
    ),
  });
  const alerted = (i: number) => ruled[i] !== 2 && (ruled[i] === 1 || scores[i]! >= threshold);
  const figures = alertFigures(
    validation.map((row, i) => ({
      authorisation: rows[row]!,
      alerted: alerted(i),
      terminalKnownFraud: table.x[row * FEATURE_COUNT + DAYS_SINCE_KNOWN_FRAUD]! < NEVER_DAYS,
    })),
    validationStart,
    labelledEnd,
  );
  return {
    model,
    threshold,
    state: store.snapshot(),
    validation: {
      ...figures,
      rows: validation.length,
      aucRoc: rocAuc(scores, labels),
      averagePrecision: averagePrecision(scores, labels),
      threshold,
    },
  };
}

/**
 * The lowest score threshold whose false alarms on genuine rows (plus the rules' own) stay
 * within `allowed`. `ruled`: 1 a rule alerts anyway, 2 a rule suppresses.
 */
export function chooseAlertThreshold(
  scores: Float64Array,
  labels: Uint8Array,
  ruled: Uint8Array,
  { allowed }: { allowed: number },
): number {
  let ruleFalse = 0;
  const genuineScores: number[] = [];
  for (let i = 0; i < scores.length; i++) {
    if (labels[i] !== 0) continue;
    if (ruled[i] === 1) ruleFalse++;
    else if (ruled[i] === 0) genuineScores.push(scores[i]!);
  }
  genuineScores.sort((a, b) => b - a);
  const budget = Math.max(0, Math.floor(allowed) - ruleFalse);
  // Alert when score >= threshold: just above the (budget+1)-th highest genuine score.
  const cut = genuineScores[budget];
  if (cut === undefined) return 0.05;
  return Math.min(0.999, Math.max(0.05, nextUp(cut)));
}

function nextUp(value: number): number {
  return value + Math.max(Number.EPSILON, Math.abs(value) * 1e-12);
}

interface AlertOutcome {
  readonly authorisation: BankAuthorisation;
  readonly alerted: boolean;
  /** The terminal had a fraud the bank knew of when the payment came. */
  readonly terminalKnownFraud: boolean;
}

export function alertFigures(outcomes: readonly AlertOutcome[], from: number, to: number): AlertFigures {
  const days = Math.max((to - from) / DAY_MS, 1 / 24);
  const customers = new Set<string>();
  let genuine = 0;
  let falseAlarms = 0;
  const caught = Object.fromEntries(
    FRAUD_KINDS.map((kind) => [kind, { frauds: 0, eligible: 0, alerted: 0, share: Number.NaN }]),
  ) as Record<FraudKind, { frauds: number; eligible: number; alerted: number; share: number }>;
  for (const { authorisation, alerted, terminalKnownFraud } of outcomes) {
    customers.add(authorisation.event.customerId);
    const kind = authorisation.fraud;
    if (kind === null) {
      genuine++;
      if (alerted) falseAlarms++;
      continue;
    }
    const c = caught[kind];
    c.frauds++;
    if (kind === 'compromised-terminal' && !terminalKnownFraud) continue;
    c.eligible++;
    if (alerted) c.alerted++;
  }
  for (const kind of FRAUD_KINDS) caught[kind].share = caught[kind].alerted / caught[kind].eligible;
  return {
    from: new Date(from).toISOString(),
    to: new Date(to).toISOString(),
    days,
    genuine,
    customers: customers.size,
    falseAlarms,
    falseAlarmsPer1000: (1000 * falseAlarms) / Math.max(genuine, 1),
    falseAlarmsPerCustomerMonth: (falseAlarms / Math.max(customers.size, 1)) * (30 / days),
    caught,
  };
}

/**
 * Streams the history through the engine, each label known `delayDays` after its payment;
 * with `replies`, that model's alerts are answered by a share of customers within the hour.
 */
function featuriseHistory(
  rows: readonly BankAuthorisation[],
  delayDays: number,
  replies?: { model: ScreeningModel; threshold: number; rules: readonly Rule[]; rate: number },
  store: InMemoryStateStore = new InMemoryStateStore(),
): FeatureTable {
  const engine = new FeatureEngine({ labelDelayDays: delayDays, store });
  const random = seededRandom(17);
  const x = new Float64Array(rows.length * FEATURE_COUNT);
  const time = new Float64Array(rows.length);
  const label = new Uint8Array(rows.length);
  rows.forEach(({ event, fraud }, n) => {
    const features = x.subarray(n * FEATURE_COUNT, (n + 1) * FEATURE_COUNT);
    engine.process(event, features);
    const t = Date.parse(event.time);
    time[n] = t;
    label[n] = fraud === null ? 0 : 1;
    engine.recordLabel(event.bankId, event.transactionId, fraud !== null, t);
    if (replies !== undefined && random() < replies.rate) {
      const score = replies.model.score(features);
      const matched = matchRules(replies.rules, { event, features, score });
      const alerted =
        !matched.some((rule) => rule.action === 'suppress') &&
        (score >= replies.threshold || matched.some((rule) => rule.action === 'alert'));
      if (alerted)
        engine.recordLabel(event.bankId, event.transactionId, fraud !== null, t + random() * HOUR_MS, true);
    }
  });
  return { x, time, label, rows: rows.length };
}

export interface ReplayOptions {
  readonly model: ScreeningModel;
  readonly threshold: number;
  readonly rules?: readonly Rule[];
  readonly labelDelayDays?: number;
  /** Share of alerted customers who answer truthfully within the hour (0 = delay only). */
  readonly replyRate?: number;
  /** Figures count payments from here on; earlier ones only build state. */
  readonly measureFrom: number;
  readonly seed?: number;
}

/**
 * Replays a bank's traffic in time order as the running service would: each payment scored
 * from the state before it, alerted by threshold or rule; every label known after the delay,
 * and an alerted customer's answer (with probability `replyRate`, within the hour) at once.
 */
export function replayAlerts(history: readonly BankAuthorisation[], options: ReplayOptions): AlertFigures {
  const rows = [...history].sort((a, b) => Date.parse(a.event.time) - Date.parse(b.event.time));
  const engine = new FeatureEngine({
    labelDelayDays: options.labelDelayDays ?? options.model.labelDelayDays,
  });
  const random = seededRandom(options.seed ?? 11);
  const replyRate = options.replyRate ?? 0;
  const rules = options.rules ?? [];
  const x = new Float64Array(FEATURE_COUNT);
  const outcomes: AlertOutcome[] = [];
  for (const authorisation of rows) {
    const { event, fraud } = authorisation;
    engine.process(event, x);
    const t = Date.parse(event.time);
    const score = options.model.score(x);
    const matched = matchRules(rules, { event, features: x, score });
    const alerted =
      !matched.some((rule) => rule.action === 'suppress') &&
      (score >= options.threshold || matched.some((rule) => rule.action === 'alert'));
    engine.recordLabel(event.bankId, event.transactionId, fraud !== null, t);
    if (alerted && random() < replyRate)
      engine.recordLabel(event.bankId, event.transactionId, fraud !== null, t + random() * HOUR_MS, true);
    if (t >= options.measureFrom)
      outcomes.push({ authorisation, alerted, terminalKnownFraud: x[DAYS_SINCE_KNOWN_FRAUD]! < NEVER_DAYS });
  }
  const last = rows.length > 0 ? Date.parse(rows[rows.length - 1]!.event.time) : options.measureFrom;
  return alertFigures(outcomes, options.measureFrom, last);
}
