// The alert lifecycle after screening committed it: handed to the sink (or enqueued with the
// commit), delivered, answered by the customer, escalated when unanswered, resolved by staff;
// and the bank's queue of alerts. Answers and decisions become labels (labels.ts).
import type { Kysely } from 'kysely';
import type { AlertDelivery, AlertQuery, AlertReply, AlertSink, ScreeningAlert } from './alert.ts';
import type { Labels } from './labels.ts';
import { type ScreeningTables, toAlert } from './tables.ts';

export class AlertLifecycle {
  private readonly db: Kysely<ScreeningTables>;
  private readonly sink: AlertSink;
  private readonly labels: Labels;
  private readonly now: () => Date;
  constructor(db: Kysely<ScreeningTables>, sink: AlertSink, labels: Labels, now: () => Date) {
    this.db = db;
    this.sink = sink;
    this.labels = labels;
    this.now = now;
  }

  private recordLabel(bankId: string, transactionId: string, isFraud: boolean, at: Date, confirmed: boolean) {
    return this.labels.recordLabel(bankId, transactionId, isFraud, at, confirmed);
  }

  /** Hands a committed alert to the sink; a failing sink leaves it in the bank queue. */
  async deliver(alert: ScreeningAlert): Promise<void> {
    let delivery: AlertDelivery = 'bank-queue';
    try {
      delivery = await this.sink.raise(alert);
    } catch {
      delivery = 'bank-queue';
    }
    if (delivery === 'device') {
      await this.db
        .updateTable('screening_alert')
        .set({ delivery: 'device', updated_at: this.now() })
        .where('id', '=', alert.id)
        .execute();
    }
  }

  /** The alert reached the customer's device (the outbox's relay push was taken). */
  async markDelivered(alertId: string): Promise<void> {
    await this.db
      .updateTable('screening_alert')
      .set({ delivery: 'device', updated_at: this.now() })
      .where('id', '=', alertId)
      .execute();
  }

  /**
   * The customer's answer. 'yes' (it was me) clears the alert and feeds the engine a
   * genuine label; 'no' confirms fraud (the caller freezes the card in the bank core).
   * The first answer stands: a second one returns the alert unchanged.
   */
  async reply(alertId: string, answer: AlertReply): Promise<ScreeningAlert | undefined> {
    if (answer !== 'yes' && answer !== 'no') throw new Error("answer must be 'yes' or 'no'");
    const now = this.now();
    const updated = await this.db
      .updateTable('screening_alert')
      .set({
        reply: answer,
        replied_at: now,
        status: answer === 'yes' ? 'cleared' : 'confirmed_fraud',
        updated_at: now,
      })
      .where('id', '=', alertId)
      .where('reply', 'is', null)
      .where('status', 'in', ['open', 'escalated'])
      .returningAll()
      .executeTakeFirst();
    if (updated !== undefined) {
      await this.recordLabel(updated.bank_id, updated.transaction_id, answer === 'no', now, true);
      return toAlert(updated);
    }
    return this.alert(alertId);
  }

  /** Open alerts older than `afterSeconds` with no reply move to the bank's queue as escalated. */
  async escalateOverdue(now: Date, afterSeconds: number): Promise<ScreeningAlert[]> {
    const rows = await this.db
      .updateTable('screening_alert')
      .set({ status: 'escalated', updated_at: now })
      .where('status', '=', 'open')
      .where('reply', 'is', null)
      .where('created_at', '<=', new Date(now.getTime() - afterSeconds * 1000))
      .returningAll()
      .execute();
    return rows.map(toAlert);
  }

  /** Staff decision on an alert from the queue (the investigator view). */
  async resolve(alertId: string, status: 'cleared' | 'confirmed_fraud'): Promise<ScreeningAlert | undefined> {
    const now = this.now();
    const row = await this.db
      .updateTable('screening_alert')
      .set({ status, updated_at: now })
      .where('id', '=', alertId)
      .where('status', 'in', ['open', 'escalated'])
      .returningAll()
      .executeTakeFirst();
    if (row === undefined) return this.alert(alertId);
    await this.recordLabel(row.bank_id, row.transaction_id, status === 'confirmed_fraud', now, true);
    return toAlert(row);
  }

  async alert(alertId: string): Promise<ScreeningAlert | undefined> {
    const row = await this.db
      .selectFrom('screening_alert')
      .selectAll()
      .where('id', '=', alertId)
      .executeTakeFirst();
    return row === undefined ? undefined : toAlert(row);
  }

  async alerts(bankId: string, query: AlertQuery = {}): Promise<ScreeningAlert[]> {
    let q = this.db.selectFrom('screening_alert').selectAll().where('bank_id', '=', bankId);
    if (query.since !== undefined) q = q.where('created_at', '>=', query.since);
    if (query.until !== undefined) q = q.where('created_at', '<', query.until);
    if (query.status !== undefined) q = q.where('status', '=', query.status);
    if (query.minScore !== undefined) q = q.where('score', '>=', query.minScore);
    const rows = await q
      .orderBy('created_at', 'desc')
      .orderBy('id')
      .limit(query.limit ?? 500)
      .execute();
    return rows.map(toAlert);
  }
}
