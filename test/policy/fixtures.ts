// Shared inputs: one authorised consent and a request it allows.
import type { DecisionInput } from '../../src/policy/index.ts';

export const NOW = new Date('2026-03-01T12:00:00.000Z');
export const EXPIRES = new Date('2026-06-01T00:00:00.000Z');

type Overrides = {
  consent?: Partial<DecisionInput['consent']>;
  request?: Partial<DecisionInput['request']>;
};

export function input(o: Overrides = {}): DecisionInput {
  return {
    consent: {
      id: 'cns_1',
      status: 'authorised',
      platform: 'chatapp',
      customerId: 'cus_1',
      purposes: ['balance_inquiry', 'transaction_notifications'],
      clusters: ['accounts', 'balances', 'transactions'],
      accountIds: ['acc_1', 'acc_2'],
      expiresAt: EXPIRES,
      ...o.consent,
    },
    request: {
      platform: 'chatapp',
      customerId: 'cus_1',
      purpose: 'balance_inquiry',
      cluster: 'balances',
      accountId: 'acc_1',
      now: NOW,
      ...o.request,
    },
  };
}
