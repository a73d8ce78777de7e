// The device's API (registration, chat, links) and the OAuth callback, as plugins by job:
//   /api  device-registration.ts  register a device (no token yet)
//         bank-list.ts            banks a device can link
//   /api, device required (device-auth.ts):
//         key-rotation.ts         replace the device's key at every linked bank
//         link-routes.ts          list, start and end links
//         message-routes.ts       chat to a bank's bot
//   /link link-callback.ts        the OAuth redirect back from the bank
// A link's secrets are sealed and opened only by link-vault.ts.
import type { FastifyInstance } from 'fastify';
import { bankList } from './bank-list.ts';
import { requireDevice } from './device-auth.ts';
import { deviceRegistration } from './device-registration.ts';
import { keyRotation } from './key-rotation.ts';
import { linkCallback } from './link-callback.ts';
import { linkRoutes } from './link-routes.ts';
import { LinkVault } from './link-vault.ts';
import { messageRoutes } from './message-routes.ts';
import type { DeviceApiOptions } from './route-options.ts';
import type { RelaySecrets } from './secrets.ts';

export interface RouteOptions extends Omit<DeviceApiOptions, 'vault'> {
  secrets: RelaySecrets;
}

export async function deviceRoutes(app: FastifyInstance, relay: RouteOptions): Promise<void> {
  const api: DeviceApiOptions = {
    store: relay.store,
    vault: new LinkVault(relay.secrets.relayKey),
    directory: relay.directory,
    platform: relay.platform,
    gateway: relay.gateway,
    publicUrl: () => relay.publicUrl(),
    link: relay.link,
  };
  await app.register(
    async (scope) => {
      await scope.register(deviceRegistration, { store: api.store });
      await scope.register(bankList, { directory: api.directory });
      await scope.register(async (device) => {
        requireDevice(device, api.store);
        await device.register(keyRotation, api);
        await device.register(linkRoutes, api);
        await device.register(messageRoutes, api);
      });
    },
    { prefix: '/api' },
  );
  await app.register(linkCallback, { ...api, prefix: '/link' });
}
