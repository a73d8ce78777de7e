// The bank core over the simulator's tables. Reads are keyset-paginated (newest first)
// so a page costs the same at any depth.
import { sql } from 'kysely';
import type { Database } from '../storage/index.ts';
import type { CoreBookings } from './booking.ts';
import {
  type Account,
  type AccountKind,
  type Balance,
  type BankCore,
  type Card,
  type Channel,
  type Customer,
  InvalidCursorError,
  type Transaction,
  type TransactionPage,
  type TransactionQuery,
  type TransferOrder,
  type TransferOutcome,
} from './model.ts';
import type { CoreTables } from './tables.ts';
import { bookTransfer } from './transfer.ts';

function encodeCursor(t: Transaction): string {
  return Buffer.from(JSON.stringify([t.bookedAt.toISOString(), t.id])).toString('base64url');
}

function decodeCursor(cursor: string): [Date, string] {
  try {
    const [at, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [unknown, unknown];
    const date = new Date(String(at));
    if (typeof id !== 'string' || Number.isNaN(date.getTime())) throw new Error();
    return [date, id];
  } catch {
    throw new InvalidCursorError('the page cursor is not one this API issued');
  }
}

function toAccount(r: Omit<CoreTables['core_account'], 'blocked'>): Account {
  return {
    id: r.id,
    customerId: r.customer_id,
    kind: r.kind as AccountKind,
    currency: r.currency,
    nickname: r.nickname,
    schemeName: r.scheme_name,
    identification: r.identification,
    openedAt: r.opened_at,
    creditLimit: r.credit_limit,
  };
}

function toCard(r: CoreTables['core_card']): Card {
  return {
    id: r.id,
    accountId: r.account_id,
    customerId: r.customer_id,
    last4: r.pan_last4,
    status: r.status as Card['status'],
    updatedAt: r.updated_at,
  };
}

function toTransaction(r: CoreTables['core_transaction']): Transaction {
  return {
    id: r.id,
    accountId: r.account_id,
    bookedAt: r.booked_at,
    status: r.status as Transaction['status'],
    amount: r.amount,
    creditDebit: r.credit_debit as Transaction['creditDebit'],
    currency: r.currency,
    description: r.description,
    merchantName: r.merchant_name,
    mcc: r.mcc,
    country: r.country,
    channel: r.channel as Channel,
    category: r.category,
    cardId: r.card_id,
  };
}

/** Splits a signed decimal string into an unsigned amount and a direction. */
function signed(value: string): { amount: string; creditDebit: 'Credit' | 'Debit' } {
  return value.startsWith('-')
    ? { amount: value.slice(1), creditDebit: 'Debit' }
    : { amount: value, creditDebit: 'Credit' };
}

export class SqlBankCore implements BankCore {
  readonly bankId: string;
  readonly #db;

  constructor(database: Database, bankId: string) {
    this.#db = database.tables<CoreTables>();
    this.bankId = bankId;
  }

  async customer(customerId: string): Promise<Customer | null> {
    const r = await this.#db
      .selectFrom('core_customer')
      .selectAll()
      .where('bank_id', '=', this.bankId)
      .where('id', '=', customerId)
      .executeTakeFirst();
    return r ? { id: r.id, displayName: r.display_name, username: r.username } : null;
  }

  async customerByUsername(username: string): Promise<Customer | null> {
    const r = await this.#db
      .selectFrom('core_customer')
      .selectAll()
      .where('bank_id', '=', this.bankId)
      .where('username', '=', username)
      .executeTakeFirst();
    return r ? { id: r.id, displayName: r.display_name, username: r.username } : null;
  }

  async accounts(customerId: string): Promise<Account[]> {
    const rows = await this.#db
      .selectFrom('core_account')
      .selectAll()
      .where('bank_id', '=', this.bankId)
      .where('customer_id', '=', customerId)
      .orderBy('kind')
      .orderBy('opened_at')
      .orderBy('id')
      .execute();
    return rows.map(toAccount);
  }

  async account(accountId: string): Promise<Account | null> {
    const r = await this.#db
      .selectFrom('core_account')
      .selectAll()
      .where('bank_id', '=', this.bankId)
      .where('id', '=', accountId)
      .executeTakeFirst();
    return r ? toAccount(r) : null;
  }

  async balances(accountId: string): Promise<Balance[]> {
    // Available = booked balance, less pending debits, plus any credit line.
    const r = await this.#db
      .selectFrom('core_account as a')
      .select([
        'a.currency',
        'a.ledger_balance',
        sql<string>`(a.ledger_balance + coalesce(a.credit_limit, 0) - coalesce((
          select sum(case when t.credit_debit = 'Debit' then t.amount else -t.amount end)
          from core_transaction t
          where t.bank_id = a.bank_id and t.account_id = a.id and t.status = 'pending'), 0))::numeric(18,2)::text`.as(
          'available',
        ),
      ])
      .where('a.bank_id', '=', this.bankId)
      .where('a.id', '=', accountId)
      .executeTakeFirst();
    if (!r) return [];
    const at = new Date();
    return [
      { accountId, type: 'InterimBooked', currency: r.currency, at, ...signed(r.ledger_balance) },
      { accountId, type: 'InterimAvailable', currency: r.currency, at, ...signed(r.available) },
    ];
  }

  async transactions(accountId: string, query: TransactionQuery): Promise<TransactionPage> {
    let q = this.#db
      .selectFrom('core_transaction')
      .selectAll()
      .where('bank_id', '=', this.bankId)
      .where('account_id', '=', accountId);
    if (query.from) q = q.where('booked_at', '>=', query.from);
    if (query.to) q = q.where('booked_at', '<=', query.to);
    if (query.after) {
      const [at, id] = decodeCursor(query.after);
      q = q.where(sql<boolean>`(booked_at, id) < (${at}, ${id})`);
    }
    const rows = await q
      .orderBy('booked_at', 'desc')
      .orderBy('id', 'desc')
      .limit(query.limit + 1)
      .execute();
    const items = rows.slice(0, query.limit).map(toTransaction);
    const last = items.at(-1);
    return { items, next: rows.length > query.limit && last ? encodeCursor(last) : null };
  }

  async transaction(transactionId: string): Promise<Transaction | null> {
    const r = await this.#db
      .selectFrom('core_transaction')
      .selectAll()
      .where('bank_id', '=', this.bankId)
      .where('id', '=', transactionId)
      .executeTakeFirst();
    return r ? toTransaction(r) : null;
  }

  async cards(customerId: string): Promise<Card[]> {
    const rows = await this.#db
      .selectFrom('core_card')
      .selectAll()
      .where('bank_id', '=', this.bankId)
      .where('customer_id', '=', customerId)
      .orderBy('id')
      .execute();
    return rows.map(toCard);
  }

  async cardsById(cardIds: readonly string[]): Promise<Card[]> {
    if (cardIds.length === 0) return [];
    // One JSON parameter, whatever the number of ids: one statement text, one plan.
    const rows = await this.#db
      .selectFrom('core_card')
      .selectAll()
      .where('bank_id', '=', this.bankId)
      .where('id', 'in', sql<string>`(select jsonb_array_elements_text(${JSON.stringify(cardIds)}::jsonb))`)
      .execute();
    return rows.map(toCard);
  }

  async card(cardId: string): Promise<Card | null> {
    const r = await this.#db
      .selectFrom('core_card')
      .selectAll()
      .where('bank_id', '=', this.bankId)
      .where('id', '=', cardId)
      .executeTakeFirst();
    return r ? toCard(r) : null;
  }

  async setCardStatus(cardId: string, status: Card['status']): Promise<Card | null> {
    const r = await this.#db
      .updateTable('core_card')
      .set({ status, updated_at: new Date() })
      .where('bank_id', '=', this.bankId)
      .where('id', '=', cardId)
      .returningAll()
      .executeTakeFirst();
    return r ? toCard(r) : null;
  }

  /** Books a checkout payment or refund (see transfer.ts), announced to the booked hook in its transaction. */
  async bookTransfer(order: TransferOrder): Promise<TransferOutcome> {
    const bookings = this.#bookings;
    return bookTransfer(
      this.#db,
      this.bankId,
      order,
      bookings ? (trx, booked) => bookings.booked(trx, booked) : undefined,
    );
  }

  /** The core's booked hook (purchase notifications): told of every transfer this core books. */
  announceBookings(bookings: CoreBookings): void {
    this.#bookings = bookings;
  }
  #bookings: CoreBookings | undefined;
}
