// Public entry of the alert loop: raise → push → reply → label, in one context.
//   raise: screening (src/screening) commits the alert; with the outbox the DeviceAlertSink
//          enqueues it in that very transaction (device-sink.ts);
//   push:  the outbox worker releases it through the release path (Cedar, projection, log,
//          seal to the consent's device key) and posts it to the platform's relay
//          (relay-push.ts: the signed webhook, retried with backoff, dead when out of attempts);
//   reply: the device's sealed answer comes back through the bank bot to AlertReplies
//          (replies.ts), which records it in screening;
//   label: screening turns the answer into a label for the engine (screening/labels.ts).
// Why a context of its own: the loop spans screening, the release path, the outbox and the
// bot; before, it lived in four files of two contexts (gateway/alerts.ts, gateway/bot.ts,
// screening/service.ts, screening/alert-actions.ts). Screening keeps the alert's record and
// the staff's actions on it (the investigator view is screening's); everything that moves an
// alert between the bank and the customer is here. The relay push is also what other
// pushes use (purchase notifications, receipts): enqueueRelayPush.
export { customersHolding } from './consent-holders.ts';
export {
  ALERT_RAISED_TOPIC,
  type AlertCard,
  alertPayload,
  alertRaisedHandler,
  alertTransaction,
  DeviceAlertSink,
  type DeviceAlertSinkOptions,
} from './device-sink.ts';
export {
  enqueueRelayPush,
  postToRelay,
  RELAY_PUSH_TOPIC,
  type RelayPushHandlerOptions,
  type RelayPushPayload,
  type RelayWebhook,
  relayPushHandler,
  type SealedPush,
  sealedPushMessage,
  webhookBody,
  webhookSignature,
} from './relay-push.ts';
export { type AlertReplies, screeningReplies } from './replies.ts';
