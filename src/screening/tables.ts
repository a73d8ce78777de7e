// Screening's tables (migrations 04xx) as Kysely sees them, and their rows read back.
import type { Generated, Kysely } from 'kysely';
import type { AlertDelivery, AlertReply, AlertStatus, ScreeningAlert } from './alert.ts';
import { minorUnitExponent } from './event.ts';
import type { Reason } from './reasons.ts';
import { decodeState } from './state-codec.ts';

export interface ScreeningTables {
  screening_state: {
    bank_id: string;
    kind: string;
    key: string;
    state: unknown;
    /** Steps taken since `state` was stored (state-rows.ts). */
    steps: Generated<unknown>;
    updated_at: Date;
    version: Generated<number>;
  };
  screening_event: {
    bank_id: string;
    transaction_id: string;
    card_id: string;
    customer_id: string;
    terminal_id: string;
    at: Date;
    event: unknown;
    score: number;
    alert: boolean;
    late: boolean;
    rules: string[];
    reasons: unknown;
    label: Generated<number | null>;
    label_at: Generated<Date | null>;
    received_at: Generated<Date>;
  };
  screening_alert: {
    id: string;
    bank_id: string;
    transaction_id: string;
    customer_id: string;
    card_id: string;
    terminal_id: string;
    merchant_name: string | null;
    mcc: string | null;
    country: string;
    channel: string;
    amount: string;
    currency: string;
    transaction_at: Date;
    score: number;
    reasons: unknown;
    customer_reasons: unknown;
    status: AlertStatus;
    delivery: AlertDelivery;
    reply: AlertReply | null;
    replied_at: Date | null;
    created_at: Date;
    updated_at: Date;
  };
  screening_bank: {
    bank_id: string;
    threshold: number;
    alerts_per_day: number | null;
    chosen_from: Date | null;
    chosen_to: Date | null;
    updated_at: Date;
  };
}

export type Trx = Kysely<ScreeningTables>;
export type AlertRow = ScreeningTables['screening_alert'];

/** A screening_state row's state as the engine's state (see state-codec.ts for the stored form). */
export function parseState<T extends object>(value: unknown, empty: () => T): T {
  const parsed = typeof value === 'string' ? (JSON.parse(value) as object) : (value as object);
  return decodeState({ ...empty(), ...parsed });
}

export function toAlert(row: AlertRow): ScreeningAlert {
  const reasons =
    typeof row.reasons === 'string' ? (JSON.parse(row.reasons) as Reason[]) : (row.reasons as Reason[]);
  const customer = (
    typeof row.customer_reasons === 'string' ? JSON.parse(row.customer_reasons) : (row.customer_reasons ?? [])
  ) as string[];
  return {
    id: row.id,
    bankId: row.bank_id,
    transactionId: row.transaction_id,
    customerId: row.customer_id,
    cardId: row.card_id,
    terminalId: row.terminal_id,
    merchantName: row.merchant_name,
    mcc: row.mcc,
    country: row.country,
    channel: row.channel,
    amount: normaliseAmount(row.amount, row.currency),
    currency: row.currency.trim(),
    transactionTime: new Date(row.transaction_at),
    score: row.score,
    reasons,
    customerReasons: customer,
    status: row.status,
    delivery: row.delivery,
    reply: row.reply,
    repliedAt: row.replied_at === null ? null : new Date(row.replied_at),
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
  };
}

/** numeric(20,4) comes back as "42.1000": back to the currency's own decimals ("42.10"). */
function normaliseAmount(amount: string, currency: string): string {
  const exponent = minorUnitExponent(currency.trim());
  const [whole = '0', fraction = ''] = amount.split('.');
  return exponent === 0 ? whole : `${whole}.${fraction.padEnd(exponent, '0').slice(0, exponent)}`;
}
