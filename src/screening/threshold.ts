// Per-bank alert thresholds. A bank staffs its fraud desk (and tolerates customer prompts)
// for so many alerts a day; the threshold is read off its own recent score history so that
// budget is met on average, instead of a global probability cut that ignores volume.
import { DAY_MS } from './features.ts';

export interface ScoredAt {
  /** Epoch ms of the authorisation. */
  readonly time: number;
  readonly score: number;
}

export interface BudgetThreshold {
  readonly threshold: number;
  readonly alertsPerDay: number;
  /** Alerts a day the threshold would have raised on the history (≤ budget unless ties). */
  readonly observedAlertsPerDay: number;
  readonly days: number;
}

/** The lowest score threshold whose alerts over the history average at most `alertsPerDay`. */
export function thresholdForDailyBudget(history: readonly ScoredAt[], alertsPerDay: number): BudgetThreshold {
  if (!(alertsPerDay > 0)) throw new Error('alertsPerDay must be positive');
  if (history.length === 0) throw new Error('need scored history to choose a threshold');
  const days = new Set(history.map((row) => Math.floor(row.time / DAY_MS))).size;
  const allowed = Math.floor(alertsPerDay * days);
  const scores = history.map((row) => row.score).sort((a, b) => b - a);
  // Alert when score >= threshold. Take the allowed-th score, then step above it if ties
  // would push the count over budget.
  let threshold: number;
  if (allowed >= scores.length) threshold = scores[scores.length - 1]!;
  else if (allowed === 0) threshold = nextUp(scores[0]!);
  else {
    const cut = scores[allowed - 1]!;
    const above = scores[allowed]!;
    threshold = above < cut ? cut : nextUp(cut);
  }
  const alerts = scores.filter((score) => score >= threshold).length;
  return { threshold, alertsPerDay, observedAlertsPerDay: alerts / days, days };
}

/** One threshold per bank from each bank's own history and budget. */
export function chooseBankThresholds(
  historyByBank: ReadonlyMap<string, readonly ScoredAt[]>,
  budgetByBank: ReadonlyMap<string, number>,
): Map<string, BudgetThreshold> {
  const chosen = new Map<string, BudgetThreshold>();
  for (const [bank, budget] of budgetByBank) {
    const history = historyByBank.get(bank);
    if (history === undefined || history.length === 0) throw new Error(`no scored history for bank ${bank}`);
    chosen.set(bank, thresholdForDailyBudget(history, budget));
  }
  return chosen;
}

/** The next double above x: a threshold sits strictly above a tied score when needed. */
function nextUp(x: number): number {
  if (Number.isNaN(x) || x === Number.POSITIVE_INFINITY) return x;
  if (x === 0) return Number.MIN_VALUE;
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const bits = view.getBigInt64(0);
  view.setBigInt64(0, x > 0 ? bits + 1n : bits - 1n);
  return view.getFloat64(0);
}
