// Bank-core records → Open Banking resource shapes.
import type { Account, Balance, Transaction } from '../../bank/index.ts';

const SUBTYPE = { current: 'CurrentAccount', savings: 'Savings', credit_card: 'CreditCard' } as const;

export function toOBAccount(a: Account, holderName: string) {
  return {
    AccountId: a.id,
    Status: 'Enabled',
    Currency: a.currency,
    AccountType: 'Personal',
    AccountSubType: SUBTYPE[a.kind],
    Nickname: a.nickname,
    OpeningDate: a.openedAt.toISOString(),
    Account: [{ SchemeName: a.schemeName, Identification: a.identification, Name: holderName }],
  };
}

export function toOBBalance(b: Balance) {
  return {
    AccountId: b.accountId,
    CreditDebitIndicator: b.creditDebit,
    Type: b.type,
    DateTime: b.at.toISOString(),
    Amount: { Amount: b.amount, Currency: b.currency },
  };
}

export function toOBTransaction(t: Transaction) {
  return {
    AccountId: t.accountId,
    TransactionId: t.id,
    CreditDebitIndicator: t.creditDebit,
    Status: t.status === 'booked' ? 'Booked' : 'Pending',
    BookingDateTime: t.bookedAt.toISOString(),
    TransactionInformation: t.description,
    Amount: { Amount: t.amount, Currency: t.currency },
    ProprietaryBankTransactionCode: { Code: t.channel, Issuer: 'Proviso' },
    ...(t.merchantName
      ? {
          MerchantDetails: {
            MerchantName: t.merchantName,
            ...(t.mcc ? { MerchantCategoryCode: t.mcc } : {}),
          },
        }
      : {}),
    SupplementaryData: {
      Category: t.category,
      Channel: t.channel,
      ...(t.country ? { Country: t.country } : {}),
      ...(t.cardId ? { CardId: t.cardId } : {}),
    },
  };
}
