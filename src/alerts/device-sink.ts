// The fraud-alert loop's push side (src/alerts). A screening alert for a customer who holds an active
// fraud_alerts consent becomes a sealed "Was this you?" card, released through the release
// path under that consent (Cedar, projection to fraud_alerts, log entry, seal to the consent's
// device key) and pushed to the platform's relay through its Messenger-style webhook
// (HMAC-SHA256 over the raw body). Anyone else is alerted only through the bank's own queue.
// Answers come back through the bot.
//
// Out of the request path: with an outbox, screening writes an ALERT_RAISED_TOPIC message in
// the transaction that commits the alert (enqueue) and answers the card processor at once;
// the outbox worker then prepares it (the release: alertRaisedHandler → prepare) and moves it
// on to a relay push (relay-push.ts), retried until the relay takes it.
import type { Kysely } from 'kysely';
import type { BankCore } from '../bank/index.ts';
import { type CardType, cardType } from '../bot/index.ts';
import type { ConsentRecord, ConsentService } from '../consent/index.ts';
import { Problem } from '../http/index.ts';
import { enqueueOutbox, type OutboxHandler } from '../outbox/index.ts';
import type { ObObject } from '../policy/index.ts';
import type { ReleasePath } from '../release/index.ts';
import type { AlertDelivery, AlertSink, ScreeningAlert } from '../screening/index.ts';
import { customersHolding } from './consent-holders.ts';
import { postToRelay, type RelayWebhook, type SealedPush, sealedPushMessage } from './relay-push.ts';

/** Outbox topic of an alert committed by screening, not yet prepared for the device. */
export const ALERT_RAISED_TOPIC = 'alert.raised';

export interface DeviceAlertSinkOptions {
  /** Finds the consent an alert may ride on. */
  consent: ConsentService;
  /** The one release path (Cedar, core read, projection, log, seal). */
  release: ReleasePath;
  /** Late-bound: the relay may start after the gateway. */
  relay(): RelayWebhook | undefined;
  onError?(error: unknown, alert: ScreeningAlert): void;
  timeoutMs?: number;
  /**
   * Push through the outbox (the gateway's way): screening then enqueues the alert with its
   * commit and does not wait for the relay. Without it, raise() pushes inline (older callers).
   */
  outbox?: boolean;
}

/** The alerted payment as an Open Banking transaction record, the projection's input. */
export function alertTransaction(alert: ScreeningAlert): ObObject {
  return {
    TransactionId: alert.transactionId,
    BookingDateTime: alert.transactionTime.toISOString(),
    Status: 'Pending',
    CreditDebitIndicator: 'Debit',
    Amount: { Amount: alert.amount, Currency: alert.currency },
    ...(alert.merchantName
      ? {
          MerchantDetails: {
            MerchantName: alert.merchantName,
            ...(alert.mcc ? { MerchantCategoryCode: alert.mcc } : {}),
          },
        }
      : {}),
    SupplementaryData: { Channel: alert.channel, Country: alert.country, CardId: alert.cardId },
  };
}

const field = (record: ObObject | undefined, name: string): ObObject =>
  (record?.[name] as ObObject | undefined) ?? {};
const text = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

/**
 * What the device shows: the payment in the customer's words, and the two buttons. The
 * payment's fields come from its record as projected to fraud_alerts; a field the purpose
 * does not release is not shown.
 */
export function alertPayload(
  alert: ScreeningAlert,
  payment: ObObject | undefined,
  card?: AlertCard,
): Record<string, unknown> {
  const amount = field(payment, 'Amount');
  const supplementary = field(payment, 'SupplementaryData');
  const time = text(payment?.['BookingDateTime']);
  const place = text(supplementary['Country']);
  const channel = text(supplementary['Channel']);
  return {
    ...(card ? { card } : {}),
    alert_id: alert.id,
    question: 'Was this you?',
    ...(amount['Amount'] !== undefined
      ? { amount: { amount: amount['Amount'], currency: amount['Currency'] } }
      : {}),
    merchant: text(field(payment, 'MerchantDetails')['MerchantName']) ?? 'Unknown merchant',
    ...(time ? { time } : {}),
    ...(place ? { place } : {}),
    ...(channel ? { channel: channel.replaceAll('_', ' ') } : {}),
    // Plain words for the customer (at most two); `why` stays for older clients.
    reasons: alert.customerReasons,
    why: alert.customerReasons.join('; '),
  };
}

/** The card the payment was made with, as the customer knows it. */
export interface AlertCard {
  type: CardType;
  last4: string;
}

async function alertCard(core: BankCore, cardId: string): Promise<AlertCard | undefined> {
  const card = await core.card(cardId);
  if (!card) return undefined;
  return { type: cardType(card, await core.accounts(card.customerId)), last4: card.last4 };
}

export class DeviceAlertSink implements AlertSink {
  /**
   * The newest consent that could carry the alert: authorised, unexpired, naming fraud_alerts
   * over transactions, its device still there. Whether it may is Cedar's decision, in the release path.
   */
  async #carrier(alert: ScreeningAlert, now: Date): Promise<ConsentRecord | undefined> {
    return (await this.#options.consent.store.forCustomer(alert.bankId, alert.customerId))
      .filter(
        (c) =>
          c.status === 'authorised' &&
          (c.expiresAt === null || c.expiresAt > now) &&
          c.deviceKeyRemovedAt === null &&
          c.purposes.includes('fraud_alerts') &&
          c.clusters.includes('transactions'),
      )
      .sort((a, b) => (b.authorisedAt?.getTime() ?? 0) - (a.authorisedAt?.getTime() ?? 0))[0];
  }

  readonly #options: DeviceAlertSinkOptions;
  constructor(options: DeviceAlertSinkOptions) {
    this.#options = options;
  }

  async raise(alert: ScreeningAlert): Promise<AlertDelivery> {
    try {
      const relay = this.#options.relay();
      if (!relay) return 'bank-queue';
      const push = await this.prepare(alert);
      if (!push) return 'bank-queue';
      const { payload } = sealedPushMessage(push);
      const status = await postToRelay(relay, alert.bankId, payload.body, this.#options.timeoutMs ?? 5000);
      if (status < 200 || status > 299)
        throw new Error(`the relay refused the alert push with HTTP ${status}`);
      return 'device';
    } catch (error) {
      this.#options.onError?.(error, alert);
      return 'bank-queue';
    }
  }

  /** Whether a relay is known to push to (late-bound: it may start after the gateway). */
  get relayConnected(): boolean {
    return this.#options.relay() !== undefined;
  }

  /** Set when the gateway delivers through the outbox (see DeviceAlertSinkOptions.outbox). */
  get enqueue(): ((trx: Kysely<unknown>, alerts: readonly ScreeningAlert[]) => Promise<void>) | undefined {
    if (!this.#options.outbox) return undefined;
    return async (trx, alerts) => {
      // Only alerts that may go to a device; the others are in the bank queue already.
      const byBank = new Map<string, ScreeningAlert[]>();
      for (const alert of alerts) byBank.set(alert.bankId, [...(byBank.get(alert.bankId) ?? []), alert]);
      const pushed: ScreeningAlert[] = [];
      for (const [bankId, list] of byBank) {
        const holders = await customersHolding(trx, bankId, 'fraud_alerts', [
          ...new Set(list.map((alert) => alert.customerId)),
        ]);
        pushed.push(...list.filter((alert) => holders.has(alert.customerId)));
      }
      await enqueueOutbox(
        trx,
        pushed.map((alert) => ({
          topic: ALERT_RAISED_TOPIC,
          bankId: alert.bankId,
          payload: { alertId: alert.id },
        })),
      );
    };
  }

  /**
   * The sealed "Was this you?" for the customer's device, logged — or null when the customer
   * holds no consent that lets it go there (it stays in the bank queue).
   */
  async prepare(alert: ScreeningAlert): Promise<SealedPush | null> {
    const consent = await this.#carrier(alert, new Date());
    if (!consent) return null;
    try {
      // One release under that consent: Cedar decides, the payment is projected to
      // fraud_alerts, the entry is logged, the card is sealed to the consent's device key.
      const { envelope, authenticated } = await this.#options.release.release<AlertCard | undefined>({
        bankId: alert.bankId,
        caller: { kind: 'consent', consent },
        purpose: 'fraud_alerts',
        clusters: ['transactions'],
        kind: 'alert.raised',
        read: async ({ core }) => ({
          records: { transaction: [alertTransaction(alert)] },
          extra: await alertCard(core, alert.cardId),
        }),
        answer: (projected, card) => alertPayload(alert, projected.transaction?.[0], card),
        seal: { type: 'alert', id: alert.id, batch: true },
      });
      if (!envelope) return null;
      return {
        bankId: alert.bankId,
        recipient: authenticated.pairwiseId,
        mid: `alert-${alert.id}`,
        envelope,
        alertId: alert.id,
      };
    } catch (error) {
      // Refused by policy (a 4xx problem: purpose, expiry, device): the bank queue has it.
      // Anything else (the log unavailable…) is retried by the outbox.
      if (error instanceof Problem && error.status < 500) return null;
      throw error;
    }
  }
}

/**
 * The outbox handler of ALERT_RAISED_TOPIC: prepares the committed alert for the device
 * (logged once) and hands it on as a relay push; an alert for a customer without a fraud
 * alerts consent (or already answered) is done — it stays in the bank queue.
 */
export function alertRaisedHandler(
  sink: DeviceAlertSink,
  alert: (alertId: string) => Promise<ScreeningAlert | undefined>,
): OutboxHandler {
  return async (message) => {
    const { alertId } = message.payload as { alertId: string };
    const found = await alert(alertId);
    // No relay to push to (none configured): the bank queue, as an inline raise() would do.
    if (!found || found.reply !== null || !sink.relayConnected) return;
    const push = await sink.prepare(found);
    if (!push) return;
    const next = sealedPushMessage(push);
    return { next: { topic: next.topic, payload: next.payload } };
  };
}
