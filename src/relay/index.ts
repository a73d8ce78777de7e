// The messaging platform's relay: public entry.
export { buildRelay, type RelayAppOptions, type RelayInfo, relayInfo } from './app.ts';
export {
  type ByteCapture,
  captureFetch,
  captureServer,
  containsMarker,
  dumpTables,
  markerForms,
} from './capture.ts';
export { type RelayConfig, RelayConfigError, readRelayConfig } from './config.ts';
export { type BankDirectory, discoveryDirectory, staticDirectory } from './directory.ts';
export { type DeliveryFrame, DeliveryHub } from './hub.ts';
export {
  type AuthorizationDetail,
  type Authorizer,
  type BankInfo,
  type BotEvent,
  type BotOutcome,
  type BotResponse,
  dpopAuthorizer,
  type FinishLinkInput,
  type GatewayCaller,
  httpGatewayCaller,
  type Json,
  LinkingUnavailableError,
  type PlatformClient,
  type StartLinkInput,
  unconfiguredPlatformClient,
} from './platform.ts';
export { envelopeRouting } from './routing.ts';
export {
  openRelayDatabase,
  RELAY_MIGRATIONS,
  RELAY_VERSION,
  type RelayRuntimeOptions,
  type RunningRelay,
  startRelay,
} from './runtime.ts';
export { appSecretFor, loadRelaySecrets, type RelaySecrets } from './secrets.ts';
export { RelayStore } from './store.ts';
export { ensureWebClient } from './web.ts';
