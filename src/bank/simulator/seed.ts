// Writes simulated customers into the core tables. Rows go in as column arrays through
// `unnest`, one statement per table per batch: the same fast path on PGlite and pg, and a
// batch commits whole or not at all.
import { type Kysely, sql } from 'kysely';
import type { Database } from '../../storage/index.ts';
import type { CoreTables } from '../tables.ts';
import type { Region } from './catalog.ts';
import { generateCustomer, type SimCustomer } from './generate.ts';

export interface SeedOptions {
  bankId: string;
  region: Region;
  customers: number;
  days: number;
  seed: number;
  end: Date;
  /** Customers per transaction. */
  batchSize?: number;
  onProgress?: (done: number, total: number, transactions: number) => void;
}

export interface SeedResult {
  customers: number;
  accounts: number;
  transactions: number;
  skipped: number;
}

const money = (minor: number) => (minor / 100).toFixed(2);

export async function seedBank(database: Database, options: SeedOptions): Promise<SeedResult> {
  const db = database.tables<CoreTables>();
  const existing = await db
    .selectFrom('core_customer')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('bank_id', '=', options.bankId)
    // Merchants (business customers holding checkout creditor accounts) are not simulated.
    .where('id', 'not like', 'cus\\_merchant\\_%')
    .executeTakeFirstOrThrow();
  // Customers are generated in index order, so a bank already holding k customers
  // resumes at index k: seeding twice never duplicates and an interrupted seed continues.
  const startAt = Number(existing.n);
  const batchSize = options.batchSize ?? 250;
  const result: SeedResult = {
    customers: 0,
    accounts: 0,
    transactions: 0,
    skipped: Math.min(startAt, options.customers),
  };
  for (let from = startAt; from < options.customers; from += batchSize) {
    const batch: SimCustomer[] = [];
    for (let i = from; i < Math.min(options.customers, from + batchSize); i++) {
      batch.push(
        generateCustomer(i, {
          seed: options.seed,
          bankId: options.bankId,
          region: options.region,
          days: options.days,
          end: options.end,
        }),
      );
    }
    await db.transaction().execute((trx) => writeBatch(trx, options.bankId, options.region.currency, batch));
    result.customers += batch.length;
    for (const c of batch) {
      result.accounts += c.accounts.length;
      result.transactions += c.transactions.length;
    }
    options.onProgress?.(from + batch.length, options.customers, result.transactions);
  }
  return result;
}

async function writeBatch(
  db: Kysely<CoreTables>,
  bankId: string,
  currency: string,
  batch: SimCustomer[],
): Promise<void> {
  const customers = batch;
  await sql`insert into core_customer (bank_id, id, display_name, username, created_at)
    select ${bankId}, * from unnest(${customers.map((c) => c.id)}::text[], ${customers.map((c) => c.displayName)}::text[],
      ${customers.map((c) => c.username)}::text[], ${customers.map((c) => c.createdAt.toISOString())}::timestamptz[])`.execute(
    db,
  );

  const accounts = batch.flatMap((c) => c.accounts.map((a) => ({ c, a })));
  await sql`insert into core_account (bank_id, id, customer_id, kind, currency, nickname, scheme_name, identification, opened_at, ledger_balance, credit_limit)
    select ${bankId}, id, customer_id, kind, ${currency}, nickname, scheme, ident, opened, balance, lim from unnest(
      ${accounts.map((x) => x.a.id)}::text[], ${accounts.map((x) => x.c.id)}::text[], ${accounts.map((x) => x.a.kind)}::text[],
      ${accounts.map((x) => x.a.nickname)}::text[], ${accounts.map(() => schemeFor(currency))}::text[],
      ${accounts.map((x) => x.a.identification)}::text[], ${accounts.map((x) => x.a.openedAt.toISOString())}::timestamptz[],
      ${accounts.map((x) => money(x.a.ledgerMinor))}::numeric[], ${accounts.map((x) => (x.a.creditLimitMinor === null ? null : money(x.a.creditLimitMinor)))}::numeric[]
    ) as t(id, customer_id, kind, nickname, scheme, ident, opened, balance, lim)`.execute(db);

  const cards = batch.flatMap((c) => c.cards.map((card) => ({ c, card })));
  await sql`insert into core_card (bank_id, id, account_id, customer_id, pan_last4, status, updated_at)
    select ${bankId}, id, account_id, customer_id, last4, 'active', now() from unnest(
      ${cards.map((x) => x.card.id)}::text[], ${cards.map((x) => x.card.accountId)}::text[], ${cards.map((x) => x.c.id)}::text[],
      ${cards.map((x) => x.card.last4)}::text[]) as t(id, account_id, customer_id, last4)`.execute(db);

  const txs = batch.flatMap((c) => c.transactions);
  // Large batches are split so no single statement carries unbounded arrays.
  for (let i = 0; i < txs.length; i += 20_000) {
    const part = txs.slice(i, i + 20_000);
    await sql`insert into core_transaction (bank_id, id, account_id, booked_at, status, amount, credit_debit, currency, description,
        merchant_name, mcc, country, channel, category, card_id)
      select ${bankId}, id, account_id, booked_at, status, amount, cd, ${currency}, descr, merchant, mcc, country, channel, category, card_id
      from unnest(${part.map((t) => t.id)}::text[], ${part.map((t) => t.accountId)}::text[],
        ${part.map((t) => t.bookedAt.toISOString())}::timestamptz[], ${part.map((t) => t.status)}::text[],
        ${part.map((t) => money(t.amountMinor))}::numeric[], ${part.map((t) => t.creditDebit)}::text[],
        ${part.map((t) => t.description)}::text[], ${part.map((t) => t.merchantName)}::text[], ${part.map((t) => t.mcc)}::text[],
        ${part.map((t) => t.country)}::text[], ${part.map((t) => t.channel)}::text[], ${part.map((t) => t.category)}::text[],
        ${part.map((t) => t.cardId)}::text[])
      as t(id, account_id, booked_at, status, amount, cd, descr, merchant, mcc, country, channel, category, card_id)`.execute(
      db,
    );
  }
}

function schemeFor(currency: string): string {
  return currency === 'GBP' ? 'UK.OBIE.SortCodeAccountNumber' : 'UK.OBIE.IBAN';
}
