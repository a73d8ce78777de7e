// What the device API's plugins are registered with.
import type { BankDirectory } from './directory.ts';
import type { LinkVault } from './link-vault.ts';
import type { GatewayCaller, PlatformClient } from './platform.ts';
import type { RelayStore } from './store.ts';

export interface DeviceApiOptions {
  store: RelayStore;
  vault: LinkVault;
  directory: BankDirectory;
  platform: PlatformClient;
  gateway: GatewayCaller;
  /** Public base URL of the relay (a getter: known only after listen). */
  publicUrl(): string;
  link: { purposes: string[]; clusters: string[]; durationDays: number };
}
