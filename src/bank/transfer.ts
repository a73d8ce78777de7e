// A transfer inside one bank's simulated core (a checkout payment or a refund), in one
// database transaction: both account rows locked in id order (so a payment and a refund
// crossing each other cannot deadlock), the debtor's availability checked (booked balance
// plus credit line less pending debits, the same figure `balances` reports), two booked
// transactions inserted and both ledger balances moved. Nothing is booked when refused.
import { randomBytes } from 'node:crypto';
import { type Kysely, sql } from 'kysely';
import type { BookedTransaction } from './booking.ts';
import type { Transaction, TransferOrder, TransferOutcome } from './model.ts';
import type { CoreTables } from './tables.ts';

const newTransactionId = () => `txn_${randomBytes(10).toString('hex')}`;

export async function bookTransfer(
  db: Kysely<CoreTables>,
  bankId: string,
  order: TransferOrder,
  /** Announces the two booked lines inside the transaction (the core's booked hook). */
  announce?: (trx: Kysely<unknown>, booked: readonly BookedTransaction[]) => Promise<void>,
): Promise<TransferOutcome> {
  return db.transaction().execute(async (trx) => {
    const ids = [order.debtorAccountId, order.creditorAccountId].sort();
    const rows = await trx
      .selectFrom('core_account')
      .select(['id', 'currency', 'blocked', 'customer_id'])
      .where('bank_id', '=', bankId)
      .where('id', 'in', ids)
      .orderBy('id')
      .forUpdate()
      .execute();
    const debtor = rows.find((r) => r.id === order.debtorAccountId);
    const creditor = rows.find((r) => r.id === order.creditorAccountId);
    if (!debtor || !creditor || debtor.id === creditor.id) return { status: 'account-not-found' };
    if (debtor.currency !== order.currency || creditor.currency !== order.currency)
      return { status: 'currency-mismatch' };
    if (debtor.blocked || creditor.blocked) return { status: 'account-blocked' };
    // A frozen card on the paying account stops payments from it too: the customer froze it
    // because something is wrong, and the chat's "freeze" is the only brake they have.
    const frozen = await trx
      .selectFrom('core_card')
      .select('id')
      .where('bank_id', '=', bankId)
      .where('account_id', '=', debtor.id)
      .where('status', '=', 'frozen')
      .executeTakeFirst();
    if (frozen) return { status: 'account-blocked' };
    const { rows: enough } = await sql<{ ok: boolean }>`
      select (a.ledger_balance + coalesce(a.credit_limit, 0) - coalesce((
        select sum(case when t.credit_debit = 'Debit' then t.amount else -t.amount end)
        from core_transaction t
        where t.bank_id = a.bank_id and t.account_id = a.id and t.status = 'pending'), 0)) >= ${order.amount}::numeric as ok
      from core_account a where a.bank_id = ${bankId} and a.id = ${debtor.id}`.execute(trx);
    if (!enough[0]?.ok) return { status: 'insufficient-funds' };
    const bookedAt = new Date();
    const debitTransactionId = newTransactionId();
    const creditTransactionId = newTransactionId();
    const row = {
      bank_id: bankId,
      booked_at: bookedAt,
      status: 'booked',
      amount: order.amount,
      currency: order.currency,
    };
    await trx
      .insertInto('core_transaction')
      .values([
        {
          ...row,
          id: debitTransactionId,
          account_id: debtor.id,
          credit_debit: 'Debit',
          description: order.debtorDescription,
          merchant_name: order.merchantName,
          mcc: null,
          country: null,
          channel: 'transfer',
          category: order.category,
          card_id: null,
        },
        {
          ...row,
          id: creditTransactionId,
          account_id: creditor.id,
          credit_debit: 'Credit',
          description: order.creditorDescription,
          merchant_name: null,
          mcc: null,
          country: null,
          channel: 'transfer',
          category: order.category,
          card_id: null,
        },
      ])
      .execute();
    const line = (
      id: string,
      accountId: string,
      creditDebit: 'Credit' | 'Debit',
      description: string,
    ): Transaction => ({
      id,
      accountId,
      bookedAt,
      status: 'booked',
      amount: order.amount,
      creditDebit,
      currency: order.currency,
      description,
      merchantName: creditDebit === 'Debit' ? order.merchantName : null,
      mcc: null,
      country: null,
      channel: 'transfer',
      category: order.category,
      cardId: null,
    });
    await announce?.(trx as unknown as Kysely<unknown>, [
      {
        bankId,
        customerId: debtor.customer_id,
        transaction: line(debitTransactionId, debtor.id, 'Debit', order.debtorDescription),
      },
      {
        bankId,
        customerId: creditor.customer_id,
        transaction: line(creditTransactionId, creditor.id, 'Credit', order.creditorDescription),
      },
    ]);
    await trx
      .updateTable('core_account')
      .set({ ledger_balance: sql`ledger_balance - ${order.amount}::numeric` })
      .where('bank_id', '=', bankId)
      .where('id', '=', debtor.id)
      .execute();
    await trx
      .updateTable('core_account')
      .set({ ledger_balance: sql`ledger_balance + ${order.amount}::numeric` })
      .where('bank_id', '=', bankId)
      .where('id', '=', creditor.id)
      .execute();
    return { status: 'booked', debitTransactionId, creditTransactionId, bookedAt };
  });
}
