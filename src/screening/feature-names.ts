// The features' names and order (the model's columns), and the day constants the features
// are written in. Shared by the engine (features.ts), training, rules and reasons.
export const DAY_MS = 86_400_000;

export const FEATURE_NAMES = [
  'amount',
  'hour_of_day',
  'is_weekend',
  'is_night',
  'card_tx_count_1d',
  'card_tx_count_7d',
  'card_tx_count_30d',
  'card_amount_mean_1d',
  'card_amount_mean_7d',
  'card_amount_mean_30d',
  'card_amount_ratio_mean_30d',
  'card_amount_ratio_median_30d',
  'card_amount_zscore_30d',
  'card_amount_ratio_max_30d',
  'card_max_ratio_7d',
  'card_high_amount_count_14d',
  'card_hour_deviation',
  'card_known_fraud_30d',
  'card_new_terminal',
  'card_terminal_uses_30d',
  'card_new_country',
  'card_new_channel',
  'terminal_tx_count_1d',
  'terminal_tx_count_7d',
  'terminal_tx_count_30d',
  'terminal_known_fraud_1d',
  'terminal_known_fraud_7d',
  'terminal_known_fraud_28d',
  'terminal_known_labelled_28d',
  'terminal_fraud_rate_28d',
  'terminal_fraud_streak',
  'terminal_fraud_streak_age_days',
  'terminal_days_since_known_fraud',
  'customer_tx_count_1d',
  'customer_card_count_30d',
  'terminal_fraud_run_min_days',
  'terminal_fraud_run_max_days',
] as const;

export type FeatureName = (typeof FEATURE_NAMES)[number];
export const FEATURE_COUNT = FEATURE_NAMES.length;
export const FEATURE_INDEX: Readonly<Record<FeatureName, number>> = Object.fromEntries(
  FEATURE_NAMES.map((name, index) => [name, index]),
) as Record<FeatureName, number>;

/** Stand-in for "never" in day-valued features (a tree splits it off like any large value). */
export const NEVER_DAYS = 60;
