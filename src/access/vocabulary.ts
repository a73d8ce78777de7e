// The closed vocabularies a consent is written in. Nothing outside these lists can be
// asked for; the forbidden purposes exist so that asking for them is a named refusal.
export const PURPOSES = [
  'balance_inquiry',
  'transaction_notifications',
  'fraud_alerts',
  'checkout',
  'customer_service',
] as const;
export type Purpose = (typeof PURPOSES)[number];

export const FORBIDDEN_PURPOSES = [
  'advertising',
  'marketing',
  'profiling',
  'resale',
  'credit_decisioning',
] as const;
export type ForbiddenPurpose = (typeof FORBIDDEN_PURPOSES)[number];

export const DATA_CLUSTERS = ['accounts', 'balances', 'transactions', 'card_controls', 'payments'] as const;
export type DataCluster = (typeof DATA_CLUSTERS)[number];

export function isPurpose(value: string): value is Purpose {
  return (PURPOSES as readonly string[]).includes(value);
}

export function isForbiddenPurpose(value: string): value is ForbiddenPurpose {
  return (FORBIDDEN_PURPOSES as readonly string[]).includes(value);
}
