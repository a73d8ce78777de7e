import type { Generated } from 'kysely';

// Row types of the simulated core's tables (migration 0001_foundation).
export interface CoreTables {
  bank: { id: string; name: string; created_at: Generated<Date> };
  core_customer: { bank_id: string; id: string; display_name: string; username: string; created_at: Date };
  core_account: {
    bank_id: string;
    id: string;
    customer_id: string;
    kind: string;
    currency: string;
    nickname: string;
    scheme_name: string;
    identification: string;
    opened_at: Date;
    ledger_balance: string;
    credit_limit: string | null;
    /** Payments from a blocked account are refused (migration 0540). */
    blocked: Generated<boolean>;
  };
  core_card: {
    bank_id: string;
    id: string;
    account_id: string;
    customer_id: string;
    pan_last4: string;
    status: string;
    updated_at: Date;
  };
  core_transaction: {
    bank_id: string;
    id: string;
    account_id: string;
    booked_at: Date;
    status: string;
    amount: string;
    credit_debit: string;
    currency: string;
    description: string;
    merchant_name: string | null;
    mcc: string | null;
    country: string | null;
    channel: string;
    category: string;
    card_id: string | null;
  };
}
