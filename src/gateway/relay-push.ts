// Moved to the alert-loop context, src/alerts (relay-push.ts there). Kept so that imports of
// the old path (the payments helper's receipts, other branches) still compile.
export {
  enqueueRelayPush,
  RELAY_PUSH_TOPIC,
  type RelayPushHandlerOptions,
  type RelayPushPayload,
  relayPushHandler,
  type SealedPush,
  sealedPushMessage,
  webhookBody,
} from '../alerts/index.ts';
