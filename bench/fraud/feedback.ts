// The alert loop simulated day by day on the shared data: what customers' same-day answers
// to "Was this you?" add to the 7-day-delayed labels. One streaming pass over the whole file
// per reply rate:
//   - every transaction is scored from the state before it by the fold's model (the model of
//     the test week it falls in; before the first test week, the first fold's);
//   - it raises an alert when its score reaches the day's threshold, set from the previous day
//     as the score of its 100th highest card (the handbook's 100 cards a day);
//   - each alerted customer answers with probability `replyRate`, within the hour (uniform),
//     truthfully; the answer is a confirmed label, usable by every feature at once (the
//     terminal's and the card's risk);
//   - every label also arrives the usual way, 7 days after the transaction.
// Test rows, CP@100, AP and AUC as in the handbook protocol (protocol.ts), so the delay-only
// pass (rate 0) reproduces the reported "history" figures exactly.
import {
  FEATURE_COUNT,
  FeatureEngine,
  type LabelledAuthorisation,
  type ScreeningModel,
  seededRandom,
} from '../../src/screening/index.ts';
import {
  type BenchTable,
  DELAY_DAYS,
  evaluate,
  type Fold,
  type FoldMetrics,
  TEST_DAYS,
  testRows,
} from './protocol.ts';

export interface FeedbackResult {
  readonly replyRate: number;
  readonly perFold: FoldMetrics[];
  /** Over the four test weeks. */
  readonly alerts: number;
  readonly falseAlarms: number;
  readonly genuine: number;
  readonly falseAlarmsPer1000: number;
  readonly answered: number;
  readonly seconds: number;
}

const HOUR_MS = 3_600_000;
const CARDS_A_DAY = 100;

export function simulateFeedback(
  events: readonly LabelledAuthorisation[],
  table: BenchTable,
  folds: readonly Fold[],
  models: readonly ScreeningModel[],
  replyRate: number,
  seed = 5,
): FeedbackResult {
  const started = performance.now();
  const engine = new FeatureEngine({ labelDelayDays: DELAY_DAYS });
  const random = seededRandom(seed);
  const x = new Float64Array(FEATURE_COUNT);
  const scores = new Float64Array(table.rows);
  const modelOfDay = (day: number) => {
    for (let f = folds.length - 1; f >= 0; f--) if (day >= folds[f]!.testStartDay) return models[f]!;
    return models[0]!;
  };
  const firstTest = folds[0]!.testStartDay;
  const lastTest = folds.at(-1)!.testStartDay + TEST_DAYS;
  let threshold = Number.POSITIVE_INFINITY;
  let day = -1;
  let cardMax = new Map<number, number>();
  let alerts = 0;
  let falseAlarms = 0;
  let genuine = 0;
  let answered = 0;
  let model = models[0]!;
  for (let i = 0; i < events.length; i++) {
    const { event, isFraud } = events[i]!;
    const d = table.day[i]!;
    if (d !== day) {
      // The day's threshold: the previous day's 100th highest card score.
      const best = [...cardMax.values()].sort((a, b) => b - a);
      if (best.length >= CARDS_A_DAY) threshold = best[CARDS_A_DAY - 1]!;
      cardMax = new Map();
      day = d;
      model = modelOfDay(d);
    }
    engine.process(event, x);
    const score = model.score(x);
    scores[i] = score;
    const card = table.card[i]!;
    if (score > (cardMax.get(card) ?? -1)) cardMax.set(card, score);
    const t = table.time[i]!;
    const fraud = isFraud === true;
    engine.recordLabel(event.bankId, event.transactionId, fraud, t);
    const measured = d >= firstTest && d < lastTest;
    if (measured && !fraud) genuine++;
    if (score >= threshold) {
      if (measured) {
        alerts++;
        if (!fraud) falseAlarms++;
      }
      if (random() < replyRate) {
        engine.recordLabel(event.bankId, event.transactionId, fraud, t + random() * HOUR_MS, true);
        if (measured) answered++;
      }
    }
  }
  const perFold = folds.map((fold) => {
    const rows = testRows(table, fold);
    return evaluate(
      table,
      rows,
      Float64Array.from(rows, (row) => scores[row]!),
    );
  });
  return {
    replyRate,
    perFold,
    alerts,
    falseAlarms,
    genuine,
    falseAlarmsPer1000: (1000 * falseAlarms) / Math.max(genuine, 1),
    answered,
    seconds: (performance.now() - started) / 1000,
  };
}
