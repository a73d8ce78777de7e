// The demo merchants: each a FAPI 2.0 client of its own at every demo bank (the payment
// initiator is the party the customer pays, PSD2 / UK OB), with one creditor account in each
// bank's core. The merchant app (src/merchant) imports this data; the gateway registers the
// public keys and seeds the accounts.
import type { JWK } from 'jose';
import type { CoreTables } from '../bank/tables.ts';
import type { Database } from '../storage/index.ts';

export interface CreditorAccount {
  /** The account's id in the bank core. */
  accountId: string;
  currency: string;
  schemeName: 'UK.OBIE.SortCodeAccountNumber' | 'UK.OBIE.IBAN';
  identification: string;
}

export interface DemoMerchant {
  /** Short id, used in paths and key file names. */
  id: string;
  clientId: string;
  tradingName: string;
  /** Creditor account per bank id. */
  accounts: Readonly<Record<string, CreditorAccount>>;
}

export const DEMO_MERCHANTS: readonly DemoMerchant[] = [
  {
    id: 'corner-books',
    clientId: 'merchant-corner-books',
    tradingName: 'Corner Books',
    accounts: {
      northwind: {
        accountId: 'acc_merchant_corner_books_gbp',
        currency: 'GBP',
        schemeName: 'UK.OBIE.SortCodeAccountNumber',
        identification: '40400412345678',
      },
      fjord: {
        accountId: 'acc_merchant_corner_books_eur',
        currency: 'EUR',
        schemeName: 'UK.OBIE.IBAN',
        identification: 'DE89370400440532013000',
      },
    },
  },
  {
    id: 'harbour-tea',
    clientId: 'merchant-harbour-tea',
    tradingName: 'Harbour Tea Co.',
    accounts: {
      northwind: {
        accountId: 'acc_merchant_harbour_tea_gbp',
        currency: 'GBP',
        schemeName: 'UK.OBIE.SortCodeAccountNumber',
        identification: '40400487654321',
      },
      fjord: {
        accountId: 'acc_merchant_harbour_tea_eur',
        currency: 'EUR',
        schemeName: 'UK.OBIE.IBAN',
        identification: 'DE12500105170648489890',
      },
    },
  },
];

/** A merchant as one bank registers it: its client, keys, redirect URIs and creditor account. */
export interface MerchantRegistration {
  clientId: string;
  tradingName: string;
  redirectUris: string[];
  /** Public signing keys (private_key_jwt, request x-jws-signature), ES256. */
  jwks: { keys: JWK[] };
  /** Creditor account per bank id. */
  accounts: Readonly<Record<string, CreditorAccount>>;
}

/** Where the merchant app listens: PROVISO_MERCHANT_URL, else 127.0.0.1 on MERCHANT_PORT (4300). */
export function merchantBaseUrl(env: NodeJS.ProcessEnv = process.env): string {
  return env['PROVISO_MERCHANT_URL'] || `http://127.0.0.1:${env['MERCHANT_PORT'] || '4300'}`;
}

/** The key file of a demo merchant in the data folder (owner-only; the merchant app holds it). */
export function merchantKeyFile(merchant: Pick<DemoMerchant, 'id'>): string {
  return `merchant-${merchant.id}.jwk.json`;
}

/** The redirect URI a demo merchant registers. */
export function merchantRedirectUri(baseUrl: string, merchant: Pick<DemoMerchant, 'id'>): string {
  return `${baseUrl}/merchants/${merchant.id}/callback`;
}

/**
 * Seeds each merchant as a business customer with its creditor accounts at every bank the
 * database holds; idempotent (start-up runs it each time).
 */
export async function ensureMerchantAccounts(
  database: Database,
  bankIds: readonly string[],
  merchants: readonly Pick<MerchantRegistration, 'clientId' | 'tradingName' | 'accounts'>[] = DEMO_MERCHANTS,
): Promise<void> {
  const db = database.tables<CoreTables>();
  for (const bankId of bankIds)
    for (const m of merchants) {
      const account = m.accounts[bankId];
      if (!account) continue;
      const customerId = `cus_${m.clientId.replaceAll('-', '_')}`;
      await db
        .insertInto('core_customer')
        .values({
          bank_id: bankId,
          id: customerId,
          display_name: m.tradingName,
          username: m.clientId,
          created_at: new Date(),
        })
        .onConflict((c) => c.doNothing())
        .execute();
      await db
        .insertInto('core_account')
        .values({
          bank_id: bankId,
          id: account.accountId,
          customer_id: customerId,
          kind: 'current',
          currency: account.currency,
          nickname: `${m.tradingName} takings`,
          scheme_name: account.schemeName,
          identification: account.identification,
          opened_at: new Date(Date.UTC(2024, 0, 1)),
          ledger_balance: '0.00',
          credit_limit: null,
        })
        .onConflict((c) => c.doNothing())
        .execute();
    }
}
