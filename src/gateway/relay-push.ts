// Pushes to the platform's relay through the outbox: a message of topic RELAY_PUSH_TOPIC
// carries one signed-at-send webhook body (sealed envelopes or an account_linking notice;
// nothing in the clear about the customer's money) and is POSTed by the outbox worker to the
// relay's Messenger-style webhook. 2xx: delivered. 5xx, 408, 429, a refused connection or a
// timeout: retried with backoff. Any other 4xx: dead at once (the body will never be taken).
//
// The small API other parts of the gateway use (alerts, purchase notifications, receipts):
//   await enqueueRelayPush(outbox, { bankId, recipient: pairwise, mid, envelope }, trx);
import type { Outbox, OutboxHandler } from '../outbox/index.ts';
import { PermanentFailure } from '../outbox/index.ts';
import { postToRelay, type RelayWebhook } from './alerts.ts';

export const RELAY_PUSH_TOPIC = 'relay.push';

/** What a relay push message holds. */
export interface RelayPushPayload {
  /** The webhook body, exactly as it is signed and posted. */
  readonly body: string;
  /** When the push carries a fraud alert: marked delivered to the device once the relay took it. */
  readonly alertId?: string;
}

/** One sealed envelope for one device (the customer's pairwise subject at the platform). */
export interface SealedPush {
  readonly bankId: string;
  /** The customer's pairwise subject at the platform. */
  readonly recipient: string;
  /** Message id (idempotency at the relay: a retried push is the same message). */
  readonly mid: string;
  readonly envelope: unknown;
  readonly alertId?: string;
}

/** The Messenger-style webhook body of one message to one recipient. */
export function webhookBody(
  bankId: string,
  recipient: string,
  message: Record<string, unknown>,
  now = new Date(),
) {
  return {
    object: 'proviso' as const,
    entry: [
      {
        id: bankId,
        time: now.getTime(),
        messaging: [
          { sender: { id: bankId }, recipient: { id: recipient }, timestamp: now.getTime(), ...message },
        ],
      },
    ],
  };
}

/** The relay push message of one sealed envelope (to enqueue, or to hand to a next stage). */
export function sealedPushMessage(push: SealedPush): {
  topic: string;
  bankId: string;
  payload: RelayPushPayload;
} {
  const body = JSON.stringify(
    webhookBody(push.bankId, push.recipient, { message: { mid: push.mid, envelope: push.envelope } }),
  );
  return {
    topic: RELAY_PUSH_TOPIC,
    bankId: push.bankId,
    payload: push.alertId ? { body, alertId: push.alertId } : { body },
  };
}

/** Enqueues a sealed envelope for the device; pass the transaction of the state it announces. */
export function enqueueRelayPush<T>(
  outbox: Outbox,
  push: SealedPush,
  executor?: import('kysely').Kysely<T>,
): Promise<string[]> {
  return outbox.enqueue(sealedPushMessage(push), executor);
}

export interface RelayPushHandlerOptions {
  /** Late-bound: the relay may start after the gateway. */
  relay(): RelayWebhook | undefined;
  onAlertDelivered?(alertId: string): Promise<void>;
  timeoutMs?: number;
}

/** The outbox handler of RELAY_PUSH_TOPIC. */
export function relayPushHandler(options: RelayPushHandlerOptions): OutboxHandler {
  return async (message) => {
    const relay = options.relay();
    if (!relay) throw new Error('no relay connected yet');
    const payload = message.payload as RelayPushPayload;
    const status = await postToRelay(relay, message.bankId, payload.body, options.timeoutMs ?? 5000);
    if (status >= 200 && status <= 299) {
      if (payload.alertId) await options.onAlertDelivered?.(payload.alertId);
      return;
    }
    const retryable = status >= 500 || status === 408 || status === 429;
    const why = `the relay answered the push with HTTP ${status}`;
    throw retryable ? new Error(why) : new PermanentFailure(why);
  };
}
