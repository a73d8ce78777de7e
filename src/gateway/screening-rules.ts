// The demo banks' own screening rules, next to the model (a bank writes these as JSON; see
// docs/screening.md). A big-ticket payment far above the card's usual amounts is worth asking
// the customer about even when the model, trained on another population, is unsure.
import type { Rule } from '../screening/index.ts';

export const DEMO_SCREENING_RULES: readonly Rule[] = [
  {
    id: 'big-ticket',
    when: [
      { field: 'amount', op: '>=', value: 1000 },
      { field: 'card_amount_ratio_median_30d', op: '>=', value: 8 },
    ],
    action: 'alert',
    reason: 'Much larger than the payments you usually make with this card',
  },
];
