// Transactions entering the bank core as they happen, and the core's "booked" hook. Two ways
// in today: card authorisations the card processor sends through the screening ingest
// (bookCardPayments: pending card payments, in the screening transaction), and payments the
// bank executes itself (checkout, transfers), which the code that books them announces with
// `booked()` in its own transaction. Listeners (purchase notifications) run inside that
// transaction, so what they write (an outbox message) commits with the transaction or not at all.
import { type Kysely, sql } from 'kysely';
import type { Channel, Transaction } from './model.ts';

/** One transaction just booked in the core, with the customer who owns the account. */
export interface BookedTransaction {
  readonly bankId: string;
  readonly customerId: string;
  readonly transaction: Transaction;
  /** Screening raised a fraud alert on it: the "Was this you?" is the customer's notice of it. */
  readonly fraudAlert?: boolean;
}

export type BookingListener = (booked: readonly BookedTransaction[], trx: Kysely<unknown>) => Promise<void>;

/** A card authorisation as the card processor reports it (see screening's AuthorisationEvent). */
export interface CardPayment {
  readonly transactionId: string;
  readonly cardId: string;
  readonly merchantName?: string | undefined;
  readonly mcc?: string | undefined;
  readonly country: string;
  /** The processor's channel word (pos, ecom, contactless, atm, …). */
  readonly channel: string;
  /** Decimal string, positive: the customer pays it. */
  readonly amount: string;
  readonly currency: string;
  /** ISO 8601. */
  readonly time: string;
  /** Screening raised a fraud alert on it. */
  readonly fraudAlert?: boolean;
}

/** The core's channel for a processor channel word. */
function coreChannel(channel: string): Channel {
  const c = channel.toLowerCase();
  if (c === 'ecom' || c === 'online' || c === 'card_online') return 'card_online';
  if (c === 'contactless') return 'contactless';
  if (c === 'atm') return 'atm';
  return 'card_present';
}

interface BookedRow {
  id: string;
  account_id: string;
  customer_id: string;
  booked_at: Date;
  status: string;
  amount: string;
  currency: string;
  description: string;
  merchant_name: string | null;
  mcc: string | null;
  country: string | null;
  channel: string;
  category: string;
  card_id: string | null;
}

/** The core's "booked" hook: who wants to know, and the card-payment way in. */
export class CoreBookings {
  readonly #listeners: BookingListener[] = [];

  /** Adds a listener; it runs inside the booking transaction (keep it to a few statements). */
  onBooked(listener: BookingListener): void {
    this.#listeners.push(listener);
  }

  /** Announces transactions the caller booked in `trx` (checkout payments, transfers). */
  async booked(trx: Kysely<unknown>, booked: readonly BookedTransaction[]): Promise<void> {
    if (booked.length === 0) return;
    for (const listener of this.#listeners) await listener(booked, trx);
  }

  /**
   * Books card authorisations as pending card payments of the card's account (one statement;
   * a card the core does not know, or a transaction id it already has, books nothing), then
   * announces them. Pending: the available balance drops at once, the ledger at settlement.
   */
  async bookCardPayments(
    trx: Kysely<unknown>,
    bankId: string,
    payments: readonly CardPayment[],
  ): Promise<BookedTransaction[]> {
    if (payments.length === 0) return [];
    const list = JSON.stringify(
      payments.map((p) => ({
        id: p.transactionId,
        card_id: p.cardId,
        at: p.time,
        amount: p.amount,
        currency: p.currency,
        merchant: p.merchantName ?? null,
        mcc: p.mcc ?? null,
        country: p.country,
        channel: coreChannel(p.channel),
      })),
    );
    const { rows } = await sql<BookedRow>`
      insert into core_transaction (bank_id, id, account_id, booked_at, status, amount, credit_debit, currency,
                                    description, merchant_name, mcc, country, channel, category, card_id)
      select ${bankId}, p.id, c.account_id, p.at, 'pending', p.amount, 'Debit', p.currency,
             coalesce(p.merchant, 'Card payment'), p.merchant, p.mcc, p.country, p.channel, 'card_payment', p.card_id
        from jsonb_to_recordset(${list}::jsonb)
             as p(id text, card_id text, at timestamptz, amount numeric, currency text, merchant text,
                  mcc text, country text, channel text)
        join core_card c on c.bank_id = ${bankId} and c.id = p.card_id
      on conflict do nothing
      returning id, account_id, (select customer_id from core_card k where k.bank_id = ${bankId} and k.id = card_id) as customer_id,
                booked_at, status, amount::text as amount, currency, description, merchant_name, mcc, country,
                channel, category, card_id`.execute(trx);
    const alerted = new Set(payments.filter((p) => p.fraudAlert).map((p) => p.transactionId));
    const booked = rows.map(
      (r): BookedTransaction => ({
        bankId,
        customerId: r.customer_id,
        ...(alerted.has(r.id) ? { fraudAlert: true } : {}),
        transaction: {
          id: r.id,
          accountId: r.account_id,
          bookedAt: new Date(r.booked_at),
          status: r.status as Transaction['status'],
          amount: r.amount,
          creditDebit: 'Debit',
          currency: r.currency.trim(),
          description: r.description,
          merchantName: r.merchant_name,
          mcc: r.mcc,
          country: r.country,
          channel: r.channel as Channel,
          category: r.category,
          cardId: r.card_id,
        },
      }),
    );
    await this.booked(trx, booked);
    return booked;
  }
}
