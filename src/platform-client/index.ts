// The reference platform client: the messaging platform's OAuth side of linking a bank.
export {
  type Link,
  type LinkRequest,
  type PendingLink,
  PlatformClient,
  PlatformClientError,
  type PlatformClientOptions,
  PURPOSE_HEADER,
} from './client.ts';
export { generatePlatformKeys, loadOrCreatePlatformKeys, type PlatformKeys } from './keys.ts';

/** The demo platform's client id and trading name at the demo banks. */
export const DEMO_PLATFORM = {
  clientId: 'proviso-chat',
  tradingName: 'Proviso Chat',
  redirectUri: 'http://127.0.0.1:4180/callback',
} as const;
export {
  type LinkJson,
  linkFromJson,
  linkToJson,
  type PendingLinkJson,
  pendingFromJson,
  pendingToJson,
} from './serial.ts';
