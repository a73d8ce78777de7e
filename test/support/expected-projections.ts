// What each purpose may return, field by field, written out from the issue and docs/policy.md
// independently of src/policy, so a change to a projection has to change the tests too. Shared
// by the projection unit test (test/policy) and the HTTP one (test/consent).

export type ProjectedResource = 'account' | 'balance' | 'transaction' | 'payment';

/** Every leaf of an object as a dotted path; arrays as `[]`. */
export function fieldPaths(value: unknown, prefix = ''): string[] {
  if (Array.isArray(value)) return value.flatMap((v) => fieldPaths(v, `${prefix}[]`));
  if (typeof value === 'object' && value !== null)
    return Object.entries(value).flatMap(([k, v]) => fieldPaths(v, prefix ? `${prefix}.${k}` : k));
  return [prefix];
}

const ACCOUNT_LABEL = ['AccountId', 'Nickname', 'AccountSubType', 'Currency'];
const TRANSACTION_CORE = [
  'AccountId',
  'TransactionId',
  'BookingDateTime',
  'Status',
  'CreditDebitIndicator',
  'Amount.Amount',
  'Amount.Currency',
  'MerchantDetails.MerchantName',
  'MerchantDetails.MerchantCategoryCode',
];

/** Field paths each purpose may return per resource; a resource not listed is refused. */
export const EXPECTED_FIELDS: Record<string, Partial<Record<ProjectedResource, string[]>>> = {
  balance_inquiry: {
    account: ACCOUNT_LABEL,
    balance: ['AccountId', 'Type', 'Amount.Amount', 'Amount.Currency', 'CreditDebitIndicator', 'DateTime'],
  },
  transaction_notifications: {
    account: ACCOUNT_LABEL,
    transaction: [...TRANSACTION_CORE, 'SupplementaryData.Category'],
  },
  fraud_alerts: {
    account: ACCOUNT_LABEL,
    transaction: [
      ...TRANSACTION_CORE,
      'SupplementaryData.Channel',
      'SupplementaryData.Country',
      'SupplementaryData.CardId',
    ],
  },
  checkout: {
    payment: [
      'iss',
      'payment_id',
      'consent_id',
      'status',
      'amount',
      'currency',
      'order_reference',
      'merchant',
      'merchant_name',
      'time',
    ],
  },
  customer_service: {
    account: [...ACCOUNT_LABEL, 'Status', 'AccountType', 'Account[].SchemeName', 'Account[].Identification'],
    transaction: [
      ...TRANSACTION_CORE,
      'TransactionInformation',
      'SupplementaryData.Category',
      'SupplementaryData.Channel',
    ],
  },
};
