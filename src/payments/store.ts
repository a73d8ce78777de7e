// The payment tables (migration 0540): consents, payments, refunds, idempotency records, the
// funds-probe budget. State changes are single conditional statements, so two requests racing
// on one consent cannot both move it (one payment per consent, charged once).
import { type Kysely, sql } from 'kysely';
import type { ReleaseAdmission } from '../audit/index.ts';
import type { Database } from '../storage/index.ts';

export type ConsentStatus = 'AwaitingAuthorisation' | 'Authorised' | 'Rejected' | 'Consumed';
export type PaymentStatus = 'AcceptedSettlementInProcess' | 'AcceptedSettlementCompleted' | 'Rejected';

export interface PaymentTables {
  payment_consent: {
    bank_id: string;
    id: string;
    merchant_id: string;
    status: ConsentStatus;
    initiation: unknown;
    risk: unknown;
    amount: string;
    currency: string;
    order_reference: string;
    creditor_account_id: string;
    customer_id: string | null;
    debtor_account_id: string | null;
    link_consent_id: string | null;
    created_at: Date;
    status_updated_at: Date;
    expires_at: Date;
  };
  payment: {
    bank_id: string;
    id: string;
    consent_id: string;
    merchant_id: string;
    status: PaymentStatus;
    debit_transaction_id: string | null;
    credit_transaction_id: string | null;
    confirmation: string | null;
    log_index: number | null;
    created_at: Date;
    status_updated_at: Date;
  };
  payment_refund: {
    bank_id: string;
    id: string;
    payment_id: string;
    amount: string;
    currency: string;
    reference: string;
    confirmation: string;
    created_at: Date;
  };
  payment_idempotency: {
    bank_id: string;
    merchant_id: string;
    key: string;
    route: string;
    body_sha256: Uint8Array;
    status_code: number | null;
    response: unknown;
    headers: unknown;
    created_at: Date;
  };
  payment_funds_probe: { bank_id: string; link_consent_id: string; day: string; used: number };
  payment_link_stop: { bank_id: string; link_consent_id: string; stopped_at: Date };
}

export type ConsentRow = PaymentTables['payment_consent'];
export type PaymentRow = PaymentTables['payment'];

const json = (value: unknown) =>
  (typeof value === 'string' ? JSON.parse(value) : value) as Record<string, unknown>;

export class PaymentStore {
  readonly #db;
  constructor(database: Database) {
    this.#db = database.tables<PaymentTables>();
  }

  async insertConsent(row: Omit<ConsentRow, 'created_at' | 'status_updated_at'>): Promise<ConsentRow> {
    const inserted = await this.#db
      .insertInto('payment_consent')
      .values({ ...row, initiation: JSON.stringify(row.initiation), risk: JSON.stringify(row.risk) } as never)
      .returningAll()
      .executeTakeFirstOrThrow();
    return this.#consent(inserted);
  }

  #consent(r: ConsentRow): ConsentRow {
    return { ...r, initiation: json(r.initiation), risk: json(r.risk), amount: String(r.amount) };
  }

  async consent(bankId: string, id: string): Promise<ConsentRow | null> {
    const r = await this.#db
      .selectFrom('payment_consent')
      .selectAll()
      .where('bank_id', '=', bankId)
      .where('id', '=', id)
      .executeTakeFirst();
    return r ? this.#consent(r) : null;
  }

  /** Moves a consent from one state to another; null if it was not in `from` (someone else won). */
  async transition(
    bankId: string,
    id: string,
    from: ConsentStatus,
    to: ConsentStatus,
    extra: Partial<
      Pick<ConsentRow, 'customer_id' | 'debtor_account_id' | 'link_consent_id' | 'expires_at'>
    > = {},
  ): Promise<ConsentRow | null> {
    const r = await this.#db
      .updateTable('payment_consent')
      .set({ status: to, status_updated_at: new Date(), ...extra })
      .where('bank_id', '=', bankId)
      .where('id', '=', id)
      .where('status', '=', from)
      .returningAll()
      .executeTakeFirst();
    return r ? this.#consent(r) : null;
  }

  /** Consents nobody approved in time become Rejected (UK OB has no Expired state). */
  async rejectExpired(bankId: string, id: string): Promise<void> {
    await this.#db
      .updateTable('payment_consent')
      .set({ status: 'Rejected', status_updated_at: new Date() })
      .where('bank_id', '=', bankId)
      .where('id', '=', id)
      .where('status', 'in', ['AwaitingAuthorisation', 'Authorised'])
      .where('expires_at', '<=', new Date())
      .execute();
  }

  /**
   * The sweep's side of `rejectExpired`: up to `limit` consents, of any bank, that nobody
   * approved before `now` become Rejected, oldest first. Returns the rows it moved; the state
   * is re-checked in the update, so two sweepers (or a sweep and a read) move each row once.
   */
  async rejectExpiredUnapproved(now: Date, limit: number): Promise<ConsentRow[]> {
    const due = this.#db
      .selectFrom('payment_consent')
      .select(['bank_id', 'id'])
      .where('status', '=', 'AwaitingAuthorisation')
      .where('expires_at', '<=', now)
      .orderBy('expires_at')
      .limit(limit);
    const moved = await this.#db
      .updateTable('payment_consent')
      .set({ status: 'Rejected', status_updated_at: new Date() })
      .where((eb) => eb(eb.refTuple('bank_id', 'id'), 'in', due.$asTuple('bank_id', 'id')))
      .where('status', '=', 'AwaitingAuthorisation')
      .where('expires_at', '<=', now)
      .returningAll()
      .execute();
    return moved.map((r) => this.#consent(r));
  }

  async insertPayment(row: Omit<PaymentRow, 'created_at' | 'status_updated_at'>): Promise<PaymentRow> {
    return this.#db
      .insertInto('payment')
      .values(row as never)
      .returningAll()
      .executeTakeFirstOrThrow();
  }

  async payment(bankId: string, id: string): Promise<PaymentRow | null> {
    return (
      (await this.#db
        .selectFrom('payment')
        .selectAll()
        .where('bank_id', '=', bankId)
        .where('id', '=', id)
        .executeTakeFirst()) ?? null
    );
  }

  async refunds(bankId: string, paymentId: string) {
    return this.#db
      .selectFrom('payment_refund')
      .selectAll()
      .where('bank_id', '=', bankId)
      .where('payment_id', '=', paymentId)
      .execute();
  }

  async insertRefund(row: Omit<PaymentTables['payment_refund'], 'created_at'>) {
    return this.#db
      .insertInto('payment_refund')
      .values(row as never)
      .returningAll()
      .executeTakeFirstOrThrow();
  }

  /** Payments the customer made through a link (connected-apps page). */
  async paymentsThroughLink(bankId: string, linkConsentId: string) {
    return this.#db
      .selectFrom('payment_consent as c')
      .innerJoin('payment as p', (j) =>
        j.onRef('p.consent_id', '=', 'c.id').onRef('p.bank_id', '=', 'c.bank_id'),
      )
      .select([
        'p.id',
        'p.status',
        'c.amount',
        'c.currency',
        'c.merchant_id',
        'c.order_reference',
        'p.created_at',
      ])
      .where('c.bank_id', '=', bankId)
      .where('c.link_consent_id', '=', linkConsentId)
      .orderBy('p.created_at', 'desc')
      .limit(50)
      .execute();
  }

  // ---- idempotency ------------------------------------------------------------------------

  /** Claims a key, or returns the record already there (finished or in flight). */
  async claimKey(
    bankId: string,
    merchantId: string,
    route: string,
    key: string,
    bodySha256: Buffer,
  ): Promise<PaymentTables['payment_idempotency'] | null> {
    const inserted = await this.#db
      .insertInto('payment_idempotency')
      .values({ bank_id: bankId, merchant_id: merchantId, route, key, body_sha256: bodySha256 } as never)
      .onConflict((c) => c.doNothing())
      .returning('key')
      .executeTakeFirst();
    if (inserted) return null;
    const existing = await this.#db
      .selectFrom('payment_idempotency')
      .selectAll()
      .where('bank_id', '=', bankId)
      .where('merchant_id', '=', merchantId)
      .where('route', '=', route)
      .where('key', '=', key)
      .executeTakeFirstOrThrow();
    return { ...existing, response: json(existing.response), headers: json(existing.headers) };
  }

  async finishKey(
    bankId: string,
    merchantId: string,
    route: string,
    key: string,
    answer: { statusCode: number; response: unknown; headers: Record<string, string> },
  ): Promise<void> {
    await this.#db
      .updateTable('payment_idempotency')
      .set({
        status_code: answer.statusCode,
        response: JSON.stringify(answer.response),
        headers: JSON.stringify(answer.headers),
      })
      .where('bank_id', '=', bankId)
      .where('merchant_id', '=', merchantId)
      .where('route', '=', route)
      .where('key', '=', key)
      .execute();
  }

  /** x-idempotency-key is unique per merchant for 24 hours; older records go (periodic job). */
  async purgeIdempotency(): Promise<void> {
    await this.#db
      .deleteFrom('payment_idempotency')
      .where('created_at', '<', sql<Date>`now() - interval '24 hours'`)
      .execute();
  }

  async releaseKey(bankId: string, merchantId: string, route: string, key: string): Promise<void> {
    await this.#db
      .deleteFrom('payment_idempotency')
      .where('bank_id', '=', bankId)
      .where('merchant_id', '=', merchantId)
      .where('route', '=', route)
      .where('key', '=', key)
      .where('status_code', 'is', null)
      .execute();
  }

  // ---- funds probes and stopped links -------------------------------------------------------

  /** Uses one probe of today's budget; false when the budget is spent. */
  async useProbe(
    bankId: string,
    linkConsentId: string,
    budget: number,
    now = new Date(),
  ): Promise<number | null> {
    const day = now.toISOString().slice(0, 10);
    const r = await sql<{ used: number }>`
      insert into payment_funds_probe (bank_id, link_consent_id, day, used) values (${bankId}, ${linkConsentId}, ${day}, 1)
      on conflict (bank_id, link_consent_id, day) do update set used = payment_funds_probe.used + 1
        where payment_funds_probe.used < ${budget}
      returning used`.execute(this.#db);
    const used = r.rows[0]?.used;
    return used === undefined ? null : budget - Number(used);
  }

  /** Probes left today (for the answer; the budget itself is spent by useProbe). */
  async probesLeft(bankId: string, linkConsentId: string, budget: number, now = new Date()): Promise<number> {
    const r = await this.#db
      .selectFrom('payment_funds_probe')
      .select('used')
      .where('bank_id', '=', bankId)
      .where('link_consent_id', '=', linkConsentId)
      .where('day', '=', now.toISOString().slice(0, 10))
      .executeTakeFirst();
    return Math.max(0, budget - Number(r?.used ?? 0));
  }

  async stopLink(bankId: string, linkConsentId: string): Promise<void> {
    await this.#db
      .insertInto('payment_link_stop')
      .values({ bank_id: bankId, link_consent_id: linkConsentId } as never)
      .onConflict((c) => c.doNothing())
      .execute();
  }

  async linkStopped(bankId: string, linkConsentId: string): Promise<boolean> {
    const r = await this.#db
      .selectFrom('payment_link_stop')
      .select('link_consent_id')
      .where('bank_id', '=', bankId)
      .where('link_consent_id', '=', linkConsentId)
      .executeTakeFirst();
    return r !== undefined;
  }
}

/**
 * The payment side of the audit trail's release guard: among `ids`, the payment consents a
 * release may still be logged under (approved or consumed by its one payment) — asked inside
 * the log batch's transaction, like the link consents' guard.
 */
export async function paymentConsentsStillValid(
  trx: unknown,
  ids: readonly string[],
): Promise<ReadonlySet<string>> {
  if (ids.length === 0) return new Set();
  const rows = await (trx as Kysely<PaymentTables>)
    .selectFrom('payment_consent')
    .select('id')
    .where('id', 'in', [...ids])
    .where('status', 'in', ['Authorised', 'Consumed'])
    .execute();
  return new Set(rows.map((r) => r.id));
}

/**
 * The one-statement admission of link releases (consent re-check + DPoP replay records), with
 * payment consents (`pc_…`) re-checked against their own table in the same transaction. A
 * merchant's proof is claimed when its token is checked, so its claims carry no consent here.
 */
export function withPaymentAdmission(admission: ReleaseAdmission): ReleaseAdmission {
  return async (trx, ids, claims, at) => {
    const payments = ids.filter((id) => id.startsWith('pc_'));
    const links = ids.filter((id) => !id.startsWith('pc_'));
    const linkClaims = claims.map((claim) =>
      claim.consentId?.startsWith('pc_') ? { ...claim, consentId: null } : claim,
    );
    const [admitted, paid] = await Promise.all([
      admission(trx, links, linkClaims, at),
      paymentConsentsStillValid(trx, payments),
    ]);
    return { live: new Set([...admitted.live, ...paid]), refused: admitted.refused };
  };
}
