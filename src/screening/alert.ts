// A fraud alert as screening raises it, where it goes (the sink), and how it is queried.
import type { Kysely } from 'kysely';
import type { Reason } from './reasons.ts';

export type AlertStatus = 'open' | 'cleared' | 'confirmed_fraud' | 'escalated';
export type AlertDelivery = 'device' | 'bank-queue';
export type AlertReply = 'yes' | 'no';

export interface ScreeningAlert {
  readonly id: string;
  readonly bankId: string;
  readonly transactionId: string;
  readonly customerId: string;
  readonly cardId: string;
  readonly terminalId: string;
  readonly merchantName: string | null;
  readonly mcc: string | null;
  readonly country: string;
  readonly channel: string;
  /** Decimal string, as received. */
  readonly amount: string;
  readonly currency: string;
  readonly transactionTime: Date;
  readonly score: number;
  /** Technical reasons (model features, rules): for the bank's investigators. */
  readonly reasons: readonly Reason[];
  /** At most two reasons in the customer's words (see customer-reasons.ts). */
  readonly customerReasons: readonly string[];
  readonly status: AlertStatus;
  readonly delivery: AlertDelivery;
  readonly reply: AlertReply | null;
  readonly repliedAt: Date | null;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

/**
 * Where an alert goes besides the bank queue. The gateway's sink seals a "Was this you?"
 * card to the customer's device when they hold an active fraud_alerts consent and answers
 * 'device'; otherwise it answers 'bank-queue' (the bank's own channel).
 */
export interface AlertSink {
  raise(alert: ScreeningAlert): Promise<AlertDelivery>;
  /**
   * When present, the durable way: called inside the transaction that commits the alerts (an
   * outbox write), and the batch is answered once that commits — raise() is then not called
   * and nobody waits for the device. The delivery is marked later (markDelivered).
   */
  readonly enqueue?: ((trx: Kysely<unknown>, alerts: readonly ScreeningAlert[]) => Promise<void>) | undefined;
}

/** The default sink: the alert stays in the bank queue only. */
export const bankQueueSink: AlertSink = {
  async raise() {
    return 'bank-queue';
  },
};

export interface AlertQuery {
  readonly since?: Date;
  readonly until?: Date;
  readonly status?: AlertStatus;
  readonly minScore?: number;
  readonly limit?: number;
}
