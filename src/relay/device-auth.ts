// Device authentication: the bearer token a device got at registration
// (`Authorization: Bearer dev_…`); only its SHA-256 is stored.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { unauthorized } from '../http/index.ts';
import type { Device, RelayStore } from './store.ts';

declare module 'fastify' {
  interface FastifyRequest {
    device?: Device;
  }
}

function bearer(request: FastifyRequest): string {
  const h = request.headers.authorization;
  const m = typeof h === 'string' ? /^Bearer ([A-Za-z0-9_-]{10,200})$/.exec(h) : null;
  if (!m) throw unauthorized('device-token-missing', 'send the device token: Authorization: Bearer dev_…');
  return m[1]!;
}

export async function authenticateDevice(store: RelayStore, token: string): Promise<Device> {
  const device = await store.deviceByToken(token);
  if (!device) throw unauthorized('device-token-invalid', 'this device token is not known to the relay');
  return device;
}

/** Every route of this scope needs a device: `request.device` is set before the handler runs. */
export function requireDevice(scope: FastifyInstance, store: RelayStore): void {
  scope.decorateRequest('device', undefined);
  scope.addHook('preHandler', async (request) => {
    request.device = await authenticateDevice(store, bearer(request));
  });
}

/** The authenticated device (inside a scope with requireDevice). */
export function deviceOf(request: FastifyRequest): Device {
  return request.device!;
}
