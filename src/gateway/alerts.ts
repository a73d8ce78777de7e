// The fraud-alert loop, gateway side. A screening alert for a customer who holds an active
// fraud_alerts consent becomes a sealed "Was this you?" card: Cedar allows it, the release is
// appended to the bank's log, the card is sealed to the consent's device key and pushed to the
// platform's relay through its Messenger-style webhook (HMAC-SHA256 over the raw body). Anyone
// else is alerted only through the bank's own queue. Answers come back through the bot.
//
// Out of the request path: with an outbox, screening writes an ALERT_RAISED_TOPIC message in
// the transaction that commits the alert (enqueue) and answers the card processor at once;
// the outbox worker then prepares it (consent, Cedar, log, seal: alertRaisedHandler) and
// moves it on to a relay push (relay-push.ts), retried until the relay takes it.
import { createHmac } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { AuditTrail } from '../audit/index.ts';
import type { BankCore } from '../bank/index.ts';
import { type CardType, cardType } from '../bot/index.ts';
import type { ConsentService } from '../consent/index.ts';
import { enqueueOutbox, type OutboxHandler } from '../outbox/index.ts';
import type { AlertDelivery, AlertSink, ScreeningAlert, ScreeningService } from '../screening/index.ts';
import type { AlertReplies } from './bot.ts';
import { type SealedPush, sealedPushMessage } from './relay-push.ts';
import type { BankSealers } from './sealers.ts';

/** Outbox topic of an alert committed by screening, not yet prepared for the device. */
export const ALERT_RAISED_TOPIC = 'alert.raised';

/** Where the platform's relay takes pushes, and the app secret it expects per bank. */
export interface RelayWebhook {
  url: string;
  secret(bankId: string): string;
}

export interface DeviceAlertSinkOptions {
  consent: ConsentService;
  audit: AuditTrail;
  sealers: BankSealers;
  /** Late-bound: the relay may start after the gateway. */
  relay(): RelayWebhook | undefined;
  /** The bank core, to name the card in the alert ("Debit card ending 1234"). */
  core?(bankId: string): BankCore;
  onError?(error: unknown, alert: ScreeningAlert): void;
  timeoutMs?: number;
  /**
   * Push through the outbox (the gateway's way): screening then enqueues the alert with its
   * commit and does not wait for the relay. Without it, raise() pushes inline (older callers).
   */
  outbox?: boolean;
}

/** Hash prefix of the webhook signature header (Messenger Platform convention). */
export function webhookSignature(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** Posts one signed webhook event to the relay (alerts, ended links); the HTTP status it answered. */
export async function postToRelay(
  relay: RelayWebhook,
  bankId: string,
  body: string,
  timeoutMs: number,
): Promise<number> {
  const res = await fetch(relay.url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-hub-signature-256': webhookSignature(relay.secret(bankId), body),
    },
    body,
    signal: AbortSignal.timeout(timeoutMs),
  });
  await res.body?.cancel();
  return res.status;
}

/** What the device shows: the payment in the customer's words, and the two buttons. */
export function alertPayload(alert: ScreeningAlert, card?: AlertCard): Record<string, unknown> {
  return {
    ...(card ? { card } : {}),
    alert_id: alert.id,
    question: 'Was this you?',
    amount: { amount: alert.amount, currency: alert.currency },
    merchant: alert.merchantName ?? 'Unknown merchant',
    time: alert.transactionTime.toISOString(),
    place: alert.country,
    channel: alert.channel.replaceAll('_', ' '),
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
      await enqueueOutbox(
        trx,
        alerts.map((alert) => ({
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
    const options = this.#options;
    // The newest consent Cedar lets carry this alert (authorised, unexpired, fraud_alerts
    // over transactions) whose device is still there.
    const consent = (await options.consent.store.forCustomer(alert.bankId, alert.customerId))
      .filter(
        (c) =>
          c.deviceKeyRemovedAt === null &&
          options.consent.decide(c, { purpose: 'fraud_alerts', cluster: 'transactions' }).allowed,
      )
      .sort((a, b) => (b.authorisedAt?.getTime() ?? 0) - (a.authorisedAt?.getTime() ?? 0))[0];
    if (!consent) return null;
    const pairwise = await options.consent.pairwiseSubject(alert.bankId, consent.clientId, alert.customerId);
    const core = options.core?.(alert.bankId);
    const payload = alertPayload(alert, core ? await alertCard(core, alert.cardId) : undefined);
    const index = await options.audit.record({
      bankId: alert.bankId,
      customerId: alert.customerId,
      pairwiseId: pairwise,
      consentId: consent.id,
      platform: consent.clientId,
      kind: 'alert.raised',
      purpose: 'fraud_alerts',
      clusters: ['transactions'],
      released: Buffer.from(JSON.stringify(payload)),
    });
    const sealer = await options.sealers(alert.bankId);
    const envelope = sealer.seal({
      recipientPublicKey: consent.deviceKey,
      consentCommitment: consent.id,
      purpose: 'fraud_alerts',
      type: 'alert',
      id: alert.id,
      log: index,
      payload,
    });
    return {
      bankId: alert.bankId,
      recipient: pairwise,
      mid: `alert-${alert.id}`,
      envelope,
      alertId: alert.id,
    };
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

/** The bot's side of answers: checks the alert is this customer's, records the answer. */
export function screeningReplies(screening: ScreeningService): AlertReplies {
  return {
    async answer({ bankId, customerId, alertId, answer }) {
      const alert = await screening.alert(alertId);
      if (!alert || alert.bankId !== bankId || alert.customerId !== customerId) return null;
      if (alert.reply !== null) return null;
      const updated = await screening.reply(alertId, answer);
      if (!updated || updated.reply !== answer) return null;
      return { cardId: updated.cardId, transactionId: updated.transactionId };
    },
  };
}
