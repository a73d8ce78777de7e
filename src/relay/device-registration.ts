// POST /api/devices: a device registers its HPKE public key and gets its bearer token, once.
import type { FastifyPluginAsync } from 'fastify';
import { badRequest, noQuery, problemResponses } from '../http/index.ts';
import { keyThumbprint } from '../seal/index.ts';
import type { RelayStore } from './store.ts';

/** Registered with the prefix /api. */
export const deviceRegistration: FastifyPluginAsync<{ store: RelayStore }> = async (scope, { store }) => {
  scope.post<{ Body: { public_key: string } }>(
    '/devices',
    {
      schema: {
        tags: ['device'],
        summary: 'Register a device (its HPKE public key); returns the device token once',
        querystring: noQuery,
        body: {
          type: 'object',
          required: ['public_key'],
          additionalProperties: false,
          properties: {
            public_key: {
              type: 'string',
              pattern: '^[A-Za-z0-9_-]{43}$',
              description: 'X25519, base64url of 32 bytes',
            },
          },
        },
        response: {
          201: {
            type: 'object',
            required: ['device_id', 'token', 'key_thumbprint'],
            additionalProperties: false,
            properties: {
              device_id: { type: 'string' },
              token: { type: 'string', description: 'Bearer token for this device; shown once' },
              key_thumbprint: { type: 'string' },
            },
          },
          ...problemResponses(400),
        },
      },
    },
    async (request, reply) => {
      const raw = Buffer.from(request.body.public_key, 'base64url');
      if (raw.length !== 32) throw badRequest('invalid-public-key', 'public_key must be 32 bytes');
      const thumb = await keyThumbprint(request.body.public_key);
      const { device, token } = await store.registerDevice(request.body.public_key, thumb);
      return reply.code(201).send({ device_id: device.id, token, key_thumbprint: thumb });
    },
  );
};
