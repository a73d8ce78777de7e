// Moved to the alert-loop context, src/alerts (see its index.ts). Kept so that imports of the
// old path (other branches, tests) still compile.
export {
  ALERT_RAISED_TOPIC,
  type AlertCard,
  alertPayload,
  alertRaisedHandler,
  alertTransaction,
  DeviceAlertSink,
  type DeviceAlertSinkOptions,
  postToRelay,
  type RelayWebhook,
  screeningReplies,
  webhookSignature,
} from '../alerts/index.ts';
