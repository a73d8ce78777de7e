// Plain-words reasons for an alert: what an analyst or the cardholder reads. Reasons quote
// ratios and counts, never the amount itself (amounts are financial data we do not log).
import { FEATURE_INDEX, type FeatureName, NEVER_DAYS } from './features.ts';

export interface Reason {
  readonly feature: FeatureName | `rule:${string}`;
  readonly text: string;
  /** Share of the model's log-odds this feature added (0 for rules). */
  readonly weight: number;
}

const times = (v: number) => `${v < 10 ? v.toFixed(1) : Math.round(v)}×`;
const count = (v: number, one: string, many = `${one}s`) => `${v} ${v === 1 ? one : many}`;
const days = (v: number) => (v < 1 ? 'less than a day' : count(Math.round(v), 'day'));

const TEXTS: Record<FeatureName, (v: number, x: (name: FeatureName) => number) => string> = {
  amount: () => 'the amount is in a range where fraud is common',
  hour_of_day: (v) =>
    `made at ${String(Math.floor(v)).padStart(2, '0')}:${String(Math.round((v % 1) * 60)).padStart(2, '0')}, an hour with more fraud`,
  is_weekend: (v) => (v ? 'made on a weekend' : 'made on a weekday'),
  is_night: (v) => (v ? 'made at night' : 'made in the daytime'),
  card_tx_count_1d: (v) => `${count(v, 'other transaction')} on this card in the last 24 hours`,
  card_tx_count_7d: (v) => `${count(v, 'other transaction')} on this card in the last 7 days`,
  card_tx_count_30d: (v) =>
    v === 0 ? 'first transaction seen on this card' : `${count(v, 'transaction')} on this card in 30 days`,
  card_amount_mean_1d: (_, x) =>
    `amount ${times(x('amount') / Math.max(x('card_amount_mean_1d'), 1e-9))} this card's average of the last 24 hours`,
  card_amount_mean_7d: (_, x) =>
    `amount ${times(x('amount') / Math.max(x('card_amount_mean_7d'), 1e-9))} this card's 7-day average`,
  card_amount_mean_30d: (v) =>
    v === 0 ? 'no spending history on this card' : "this card's usual spending level",
  card_amount_ratio_mean_30d: (v) => `amount ${times(v)} this card's 30-day average`,
  card_amount_ratio_median_30d: (v) => `amount ${times(v)} this card's usual (median) amount`,
  card_amount_zscore_30d: (v) =>
    `amount ${Math.abs(v).toFixed(1)} standard deviations ${v >= 0 ? 'above' : 'below'} this card's 30-day mean`,
  card_amount_ratio_max_30d: (v) => `amount ${times(v)} the largest amount on this card in 30 days`,
  card_max_ratio_7d: (v) => `this card already had an amount ${times(v)} its usual in the last 7 days`,
  card_high_amount_count_14d: (v) => `${count(v, 'unusually large amount')} on this card in the last 14 days`,
  card_hour_deviation: (v) =>
    `time of day unusual for this card (${v.toFixed(1)} standard deviations from its habit)`,
  card_known_fraud_30d: (v) => `${count(v, 'confirmed fraud')} on this card in the last 30 days`,
  card_new_terminal: (v) =>
    v ? 'first use of this terminal by this card in 30 days' : 'a terminal this card uses',
  card_terminal_uses_30d: (v) => `this card used this terminal ${count(v, 'time')} in 30 days`,
  card_new_country: (v) =>
    v ? 'first transaction of this card in this country in 30 days' : 'a usual country',
  card_new_channel: (v) => (v ? 'first use of this channel by this card in 30 days' : 'a usual channel'),
  terminal_tx_count_1d: (v) => `${count(v, 'transaction')} at this terminal in the last 24 hours`,
  terminal_tx_count_7d: (v) => `${count(v, 'transaction')} at this terminal in the last 7 days`,
  terminal_tx_count_30d: (v) => `${count(v, 'transaction')} at this terminal in 30 days`,
  terminal_known_fraud_1d: (v) => `terminal had ${count(v, 'confirmed fraud')} on its latest labelled day`,
  terminal_known_fraud_7d: (v) => `terminal had ${count(v, 'confirmed fraud')} in its latest labelled week`,
  terminal_known_fraud_28d: (v) =>
    `terminal had ${count(v, 'confirmed fraud')} in the last 28 days of known labels`,
  terminal_known_labelled_28d: (v) => `terminal has ${count(v, 'labelled transaction')} in 28 days`,
  terminal_fraud_rate_28d: (v) =>
    `${Math.round(v * 100)}% of this terminal's labelled transactions in 28 days were fraud`,
  terminal_fraud_streak: (v) =>
    `the terminal's last ${count(v, 'labelled transaction')} were all confirmed fraud`,
  terminal_fraud_streak_age_days: (v) =>
    v >= NEVER_DAYS
      ? 'no ongoing fraud run at this terminal'
      : `terminal has been producing confirmed fraud for ${days(v)}`,
  terminal_days_since_known_fraud: (v) =>
    v >= NEVER_DAYS
      ? 'no confirmed fraud at this terminal'
      : `terminal's latest confirmed fraud was ${days(v)} ago`,
  customer_tx_count_1d: (v) => `${count(v, 'other transaction')} by this customer in the last 24 hours`,
  customer_card_count_30d: (v) => `customer used ${count(v, 'card')} in 30 days`,
  terminal_fraud_run_min_days: (v) =>
    v >= NEVER_DAYS
      ? 'no ongoing fraud run at this terminal'
      : `terminal compromised for at least ${days(v)}`,
  terminal_fraud_run_max_days: (v) =>
    v >= NEVER_DAYS
      ? 'start of the terminal fraud run unknown'
      : `terminal compromise began at most ${days(v)} ago`,
};

export function describeReason(feature: FeatureName, features: ArrayLike<number>, weight: number): Reason {
  const x = (name: FeatureName) => features[FEATURE_INDEX[name]]!;
  return { feature, text: TEXTS[feature](x(feature), x), weight };
}
