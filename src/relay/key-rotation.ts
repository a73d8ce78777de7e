// POST /api/devices/key: the device replaces its key. Every linked bank must accept a rotation
// request the device sealed with its current key before the relay records the new one.
import type { FastifyPluginAsync } from 'fastify';
import { noQuery, Problem, problemResponses } from '../http/index.ts';
import { keyThumbprint } from '../seal/index.ts';
import { bankIdSchema, bankOrThrow } from './bank-lookup.ts';
import { deviceOf } from './device-auth.ts';
import { BankRefusedRequestError } from './platform.ts';
import type { DeviceApiOptions } from './route-options.ts';

/** Registered with the prefix /api, in the scope that requires a device. */
export const keyRotation: FastifyPluginAsync<DeviceApiOptions> = async (
  scope,
  { store, vault, directory, platform },
) => {
  scope.post<{ Body: { public_key: string; requests: { bank: string; request: string }[] } }>(
    '/devices/key',
    {
      schema: {
        tags: ['device'],
        summary:
          "Replace this device's key: one rotation request per linked bank, each sealed by the device with its current key",
        querystring: noQuery,
        body: {
          type: 'object',
          required: ['public_key', 'requests'],
          additionalProperties: false,
          properties: {
            public_key: { type: 'string', pattern: '^[A-Za-z0-9_-]{43}$', description: 'the new X25519 key' },
            requests: {
              type: 'array',
              maxItems: 32,
              items: {
                type: 'object',
                required: ['bank', 'request'],
                additionalProperties: false,
                properties: {
                  bank: bankIdSchema,
                  request: { type: 'string', minLength: 1, maxLength: 16384 },
                },
              },
            },
          },
        },
        response: {
          200: {
            type: 'object',
            required: ['key_thumbprint', 'banks'],
            additionalProperties: false,
            properties: {
              key_thumbprint: { type: 'string' },
              banks: { type: 'array', items: { type: 'string' } },
            },
          },
          ...problemResponses(400, 401, 409, 422, 502, 503),
        },
      },
    },
    async (request) => {
      const device = deviceOf(request);
      const active = (await store.linksOf(device.id)).filter((l) => l.status === 'active');
      const byBank = new Map(request.body.requests.map((r) => [r.bank, r.request]));
      const missing = active.filter((l) => !byBank.has(l.bankId)).map((l) => l.bankId);
      if (missing.length)
        throw new Problem(
          409,
          'rotation-incomplete',
          'A bank is missing',
          `send a sealed rotation request for every linked bank; missing: ${missing.join(', ')}`,
        );
      if (!platform.rotateDeviceKey)
        throw new Problem(503, 'linking-unavailable', 'Key rotation unavailable', 'no platform client');
      for (const link of active) {
        const bank = await bankOrThrow(directory, link.bankId);
        const credentials = vault.credentials(link);
        try {
          await platform.rotateDeviceKey({ bank, credentials, request: byBank.get(link.bankId)! });
        } catch (e) {
          if (e instanceof BankRefusedRequestError)
            throw new Problem(
              422,
              'rotation-request-refused',
              'The bank refused the sealed rotation request',
              `${bank.name}: ${e.message}`,
              { extensions: { bank: link.bankId, bankStatus: e.status } },
            );
          throw new Problem(
            502,
            'bank-refused-rotation',
            'The bank refused the new key',
            `${bank.name}: ${e instanceof Error ? e.message : String(e)}`,
          );
        }
      }
      const thumb = await keyThumbprint(request.body.public_key);
      await store.replaceDeviceKey(device.id, request.body.public_key, thumb);
      return { key_thumbprint: thumb, banks: active.map((l) => l.bankId) };
    },
  );
};
