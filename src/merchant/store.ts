// The merchant's orders (see migrations/0001_merchant_core.sql): the order, its amount and
// status, and the bank's identifiers and signed confirmation. Nothing about the account.
import { createHash, randomBytes } from 'node:crypto';
import type { Generated, Kysely, Selectable } from 'kysely';
import type { Database } from '../storage/index.ts';
import type { PricedLine } from './catalogue.ts';

export type OrderStatus = 'pending' | 'paid' | 'rejected' | 'refunded';

interface OrderTable {
  id: string;
  merchant_id: string;
  order_token: string;
  request_digest: string;
  bank_id: string;
  currency: string;
  amount: string;
  items: PricedLine[];
  status: OrderStatus;
  reason: string | null;
  state_digest: string | null;
  pending_auth: Record<string, unknown> | null;
  approval_url: string | null;
  consent_id: string | null;
  payment_id: string | null;
  confirmation_jws: string | null;
  refund_id: string | null;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface MerchantTables {
  merchant_order: OrderTable;
}

export type Order = Selectable<OrderTable>;

export interface NewOrder {
  merchantId: string;
  orderToken: string;
  requestDigest: string;
  bankId: string;
  currency: string;
  amount: string;
  items: PricedLine[];
}

export const digest = (text: string): string => createHash('sha256').update(text).digest('base64url');

export class MerchantStore {
  readonly db: Kysely<MerchantTables>;
  constructor(database: Database) {
    this.db = database.tables<MerchantTables>();
  }

  /**
   * Creates the order for a cart token, or returns the one that token already made (a
   * double-click, a retried request): `created` says which.
   */
  async createOrder(order: NewOrder): Promise<{ order: Order; created: boolean }> {
    const id = `ord_${randomBytes(12).toString('base64url')}`;
    const inserted = await this.db
      .insertInto('merchant_order')
      .values({
        id,
        merchant_id: order.merchantId,
        order_token: order.orderToken,
        request_digest: order.requestDigest,
        bank_id: order.bankId,
        currency: order.currency,
        amount: order.amount,
        items: JSON.stringify(order.items) as unknown as PricedLine[],
        status: 'pending',
      })
      .onConflict((c) => c.columns(['merchant_id', 'order_token']).doNothing())
      .returningAll()
      .executeTakeFirst();
    if (inserted) return { order: inserted, created: true };
    const existing = await this.db
      .selectFrom('merchant_order')
      .selectAll()
      .where('merchant_id', '=', order.merchantId)
      .where('order_token', '=', order.orderToken)
      .executeTakeFirstOrThrow();
    return { order: existing, created: false };
  }

  async order(merchantId: string, orderId: string): Promise<Order | undefined> {
    return this.db
      .selectFrom('merchant_order')
      .selectAll()
      .where('merchant_id', '=', merchantId)
      .where('id', '=', orderId)
      .executeTakeFirst();
  }

  async orderByState(state: string): Promise<Order | undefined> {
    return this.db
      .selectFrom('merchant_order')
      .selectAll()
      .where('state_digest', '=', digest(state))
      .executeTakeFirst();
  }

  async recentOrders(merchantId: string, limit = 50): Promise<Order[]> {
    return this.db
      .selectFrom('merchant_order')
      .selectAll()
      .where('merchant_id', '=', merchantId)
      .orderBy('created_at', 'desc')
      .limit(limit)
      .execute();
  }

  /** Remembers the pending authorisation at the bank (state digest, PKCE, DPoP key, consent). */
  async startAuthorisation(
    orderId: string,
    state: string,
    pending: Record<string, unknown>,
    consentId: string,
    approvalUrl: string,
  ): Promise<void> {
    await this.db
      .updateTable('merchant_order')
      .set({
        state_digest: digest(state),
        pending_auth: JSON.stringify(pending) as unknown as Record<string, unknown>,
        consent_id: consentId,
        approval_url: approvalUrl,
        updated_at: new Date(),
      })
      .where('id', '=', orderId)
      .where('status', '=', 'pending')
      .execute();
  }

  /**
   * Takes the pending authorisation once (the bank's redirect may arrive twice): the second
   * taker gets undefined.
   */
  async takePendingAuthorisation(orderId: string): Promise<Record<string, unknown> | undefined> {
    return this.db.transaction().execute(async (tx) => {
      const row = await tx
        .selectFrom('merchant_order')
        .select('pending_auth')
        .where('id', '=', orderId)
        .where('status', '=', 'pending')
        .forUpdate()
        .executeTakeFirst();
      if (!row?.pending_auth) return undefined;
      await tx
        .updateTable('merchant_order')
        .set({ pending_auth: null, updated_at: new Date() })
        .where('id', '=', orderId)
        .execute();
      return row.pending_auth;
    });
  }

  async finish(
    orderId: string,
    outcome:
      | { status: 'paid'; paymentId: string; confirmationJws: string }
      | { status: 'rejected'; reason: string; paymentId?: string; confirmationJws?: string },
  ): Promise<Order | undefined> {
    return this.db
      .updateTable('merchant_order')
      .set({
        status: outcome.status,
        reason: outcome.status === 'rejected' ? outcome.reason : null,
        payment_id: outcome.paymentId ?? null,
        confirmation_jws: outcome.confirmationJws ?? null,
        pending_auth: null,
        updated_at: new Date(),
      })
      .where('id', '=', orderId)
      .where('status', '=', 'pending')
      .returningAll()
      .executeTakeFirst();
  }

  async markRefunded(orderId: string, refundId: string): Promise<Order | undefined> {
    return this.db
      .updateTable('merchant_order')
      .set({ status: 'refunded', refund_id: refundId, updated_at: new Date() })
      .where('id', '=', orderId)
      .where('status', '=', 'paid')
      .returningAll()
      .executeTakeFirst();
  }
}
