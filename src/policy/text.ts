// Plain-language wording for the consent and connected-apps screens. The same words a
// customer reads when approving are the ones the policy enforces: each purpose text
// names only the clusters in PURPOSE_CLUSTERS.
import type { DataCluster, ForbiddenPurpose, Purpose } from '../access/index.ts';

export const PURPOSE_TEXT: Readonly<Record<Purpose, { title: string; explanation: string }>> = {
  balance_inquiry: {
    title: 'Check your balance in chat',
    explanation:
      'When you ask, the bank sends the available balance and currency of the accounts you pick, sealed so only your device can read it. No account numbers, no transactions.',
  },
  transaction_notifications: {
    title: 'Tell you about new transactions',
    explanation:
      'The bank sends a short note for each new transaction — amount, merchant, time and category — sealed to your device. Account and card numbers are never included.',
  },
  fraud_alerts: {
    title: 'Warn you about suspicious card payments',
    explanation:
      'If a card payment looks unusual, the bank asks you in chat whether it was you, showing the merchant, amount, country and which card. If you say no, the bank freezes that card.',
  },
  checkout: {
    title: 'Pay in chat',
    explanation:
      'When you buy something in chat, the platform only learns yes or no to "can this be paid?" — never your balance. You approve each payment at your bank.',
  },
  customer_service: {
    title: 'Help with your account in chat',
    explanation:
      'When you ask for help, the bank can show your accounts (only the last four digits of the account number) and your transactions, sealed to your device. No balances.',
  },
};

export const CLUSTER_TEXT: Readonly<Record<DataCluster, { title: string; permissions: readonly string[] }>> =
  {
    accounts: { title: 'Your account names, types and currencies', permissions: ['ReadAccountsBasic'] },
    balances: { title: 'Your available balance', permissions: ['ReadBalances'] },
    transactions: {
      title: 'Your transactions: amount, time, merchant and category',
      permissions: [
        'ReadTransactionsBasic',
        'ReadTransactionsDetail',
        'ReadTransactionsCredits',
        'ReadTransactionsDebits',
      ],
    },
    // Open Banking AIS has no permission for these two; the names are Proviso's own.
    card_controls: {
      title: 'Freeze a card when you report a payment as not yours',
      permissions: ['ProvisoCardControls'],
    },
    payments: {
      title: 'Start payments that you approve at your bank',
      permissions: ['ProvisoPaymentInitiation'],
    },
  };

/** Shown on every consent screen, and used in refusals. */
export const FORBIDDEN_PURPOSE_TEXT: Readonly<Record<ForbiddenPurpose, string>> = {
  advertising: 'Your data is never used for advertising.',
  marketing: 'Your data is never used for marketing.',
  profiling: 'Your data is never used to build a profile of you.',
  resale: 'Your data is never sold or passed on.',
  credit_decisioning: 'Your data is never used to decide on credit.',
};
