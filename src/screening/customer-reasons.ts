// What the customer reads under "Was this you?": at most two reasons in plain words, about
// their own card and the shop, never the model's wording (no standard deviations, medians or
// scores). Chosen in the order the model weighed them (the technical reasons, strongest
// first; the bank's rules before them), each turned into the customer's terms; two technical
// reasons saying the same thing ("5× the 30-day mean", "5× the median") become one sentence.
import type { AuthorisationEvent } from './event.ts';
import { FEATURE_INDEX, type FeatureName, NEVER_DAYS } from './features.ts';
import type { Reason } from './reasons.ts';

export const MAX_CUSTOMER_REASONS = 2;

type Topic = 'amount' | 'shop' | 'country' | 'channel' | 'pace' | 'card-fraud' | 'time';

const TOPIC: Partial<Record<FeatureName, Topic>> = {
  amount: 'amount',
  card_amount_mean_1d: 'amount',
  card_amount_mean_7d: 'amount',
  card_amount_mean_30d: 'amount',
  card_amount_ratio_mean_30d: 'amount',
  card_amount_ratio_median_30d: 'amount',
  card_amount_zscore_30d: 'amount',
  card_amount_ratio_max_30d: 'amount',
  card_max_ratio_7d: 'amount',
  card_high_amount_count_14d: 'amount',
  card_new_terminal: 'shop',
  card_terminal_uses_30d: 'shop',
  terminal_known_fraud_1d: 'shop',
  terminal_known_fraud_7d: 'shop',
  terminal_known_fraud_28d: 'shop',
  terminal_fraud_rate_28d: 'shop',
  terminal_fraud_streak: 'shop',
  terminal_fraud_streak_age_days: 'shop',
  terminal_days_since_known_fraud: 'shop',
  terminal_fraud_run_min_days: 'shop',
  terminal_fraud_run_max_days: 'shop',
  card_new_country: 'country',
  card_new_channel: 'channel',
  card_tx_count_1d: 'pace',
  customer_tx_count_1d: 'pace',
  card_known_fraud_30d: 'card-fraud',
  hour_of_day: 'time',
  is_night: 'time',
  card_hour_deviation: 'time',
};

function money(event: AuthorisationEvent): string {
  try {
    return new Intl.NumberFormat('en-GB', { style: 'currency', currency: event.currency }).format(
      Number(event.amount),
    );
  } catch {
    return `${event.amount} ${event.currency}`;
  }
}

function countryName(code: string): string {
  try {
    return new Intl.DisplayNames(['en'], { type: 'region' }).of(code) ?? code;
  } catch {
    return code;
  }
}

/** The sentence for a topic, or null when the facts do not support saying it. */
function sentence(topic: Topic, event: AuthorisationEvent, x: (name: FeatureName) => number): string | null {
  const terminalFraudDays = x('terminal_days_since_known_fraud');
  const shopReported = terminalFraudDays < NEVER_DAYS;
  const firstHere = x('card_new_terminal') === 1;
  switch (topic) {
    case 'amount': {
      const ratio = Math.max(x('card_amount_ratio_median_30d'), x('card_amount_ratio_mean_30d'));
      if (x('card_tx_count_30d') === 0) return `${money(event)} on a card with no recent payments`;
      if (ratio >= 3) return `${money(event)} is far above what you usually spend with this card`;
      if (x('card_max_ratio_7d') >= 3) return 'another unusually large payment on this card this week';
      return null;
    }
    case 'shop': {
      const when = terminalFraudDays <= 7 ? 'this week' : 'recently';
      if (firstHere && shopReported)
        return `first payment at this shop, which other customers reported as fraud ${when}`;
      if (shopReported) return `other customers reported fraud at this shop ${when}`;
      if (firstHere) return 'the first payment with this card at this shop';
      return null;
    }
    case 'country':
      return x('card_new_country') === 1
        ? `the first payment with this card in ${countryName(event.country)} for a month`
        : null;
    case 'channel':
      if (x('card_new_channel') !== 1) return null;
      return event.channel === 'ecom'
        ? 'an online payment, which you have not made with this card for a month'
        : 'paid in a way you have not used with this card for a month';
    case 'pace':
      return x('card_tx_count_1d') >= 5 ? 'more payments than usual on this card today' : null;
    case 'card-fraud':
      return x('card_known_fraud_30d') > 0 ? 'this card had a payment confirmed as fraud this month' : null;
    case 'time': {
      const hour = x('hour_of_day');
      const clock = `${String(Math.floor(hour)).padStart(2, '0')}:${String(Math.round((hour % 1) * 60) % 60).padStart(2, '0')}`;
      return x('card_hour_deviation') >= 2 || x('is_night') === 1
        ? `made at ${clock}, a time you do not usually pay`
        : null;
    }
  }
}

/**
 * At most two plain-words reasons for the customer, from the alert's technical reasons in
 * their order (rules first: a bank writes its rule reasons for customers).
 */
export function customerReasons(
  event: AuthorisationEvent,
  features: ArrayLike<number>,
  reasons: readonly Reason[],
): string[] {
  const x = (name: FeatureName) => features[FEATURE_INDEX[name]]!;
  const out: string[] = [];
  const said = new Set<Topic>();
  for (const reason of reasons) {
    if (out.length >= MAX_CUSTOMER_REASONS) break;
    if (reason.feature.startsWith('rule:')) {
      if (!out.includes(reason.text)) out.push(reason.text);
      // A bank's big-ticket rule speaks about the amount: do not say it twice.
      if (/larger|amount|spend/i.test(reason.text)) said.add('amount');
      continue;
    }
    const topic = TOPIC[reason.feature as FeatureName];
    if (topic === undefined || said.has(topic)) continue;
    said.add(topic);
    const text = sentence(topic, event, x);
    if (text !== null) out.push(text);
  }
  if (out.length === 0) out.push('this payment is unlike the ones you usually make with this card');
  return out.slice(0, MAX_CUSTOMER_REASONS);
}
