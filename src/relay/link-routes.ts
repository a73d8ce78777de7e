// A device's links to banks: list them, start one (pushed authorization request; the device
// opens the bank's consent page), end one (revokes the tokens and the consent at the bank).
import { randomBytes } from 'node:crypto';
import type { FastifyPluginAsync } from 'fastify';
import { noQuery, notFound, Problem, problemResponses } from '../http/index.ts';
import { bankIdSchema, bankOrThrow } from './bank-lookup.ts';
import { deviceOf } from './device-auth.ts';
import { type Json, LinkingUnavailableError } from './platform.ts';
import type { DeviceApiOptions } from './route-options.ts';
import type { Link } from './store.ts';

const linkView = {
  type: 'object',
  required: ['bank', 'status'],
  additionalProperties: false,
  properties: {
    bank: { type: 'string' },
    status: { type: 'string', enum: ['active', 'ended'] },
    consent: { type: 'string' },
    linked_at: { type: 'string', format: 'date-time' },
    ended_at: { type: 'string', format: 'date-time' },
    ended_reason: { type: 'string' },
  },
} as const;

function viewOf(link: Link) {
  return {
    bank: link.bankId,
    status: link.status as 'active' | 'ended',
    ...(link.consent ? { consent: link.consent } : {}),
    ...(link.linkedAt ? { linked_at: link.linkedAt.toISOString() } : {}),
    ...(link.endedAt ? { ended_at: link.endedAt.toISOString() } : {}),
    ...(link.endedReason ? { ended_reason: link.endedReason } : {}),
  };
}

/** Registered with the prefix /api, in the scope that requires a device. */
export const linkRoutes: FastifyPluginAsync<DeviceApiOptions> = async (scope, options) => {
  const { store, vault, directory, platform } = options;

  scope.get(
    '/links',
    {
      schema: {
        tags: ['device'],
        summary: "This device's links to banks",
        querystring: noQuery,
        response: {
          200: {
            type: 'object',
            required: ['device_id', 'key_thumbprint', 'links'],
            additionalProperties: false,
            properties: {
              device_id: { type: 'string' },
              key_thumbprint: { type: 'string' },
              links: { type: 'array', items: linkView },
            },
          },
          ...problemResponses(401),
        },
      },
    },
    async (request) => {
      const device = deviceOf(request);
      return {
        device_id: device.id,
        key_thumbprint: device.keyThumbprint,
        links: (await store.linksOf(device.id)).map(viewOf),
      };
    },
  );

  scope.post<{ Body: { bank: string } }>(
    '/links',
    {
      schema: {
        tags: ['device'],
        summary:
          'Start linking a bank: pushed authorization request; returns the URL of the bank consent page',
        querystring: noQuery,
        body: {
          type: 'object',
          required: ['bank'],
          additionalProperties: false,
          properties: { bank: bankIdSchema },
        },
        response: {
          201: {
            type: 'object',
            required: ['link_id', 'authorization_url'],
            additionalProperties: false,
            properties: { link_id: { type: 'string' }, authorization_url: { type: 'string', format: 'uri' } },
          },
          ...problemResponses(400, 401, 404, 502, 503),
        },
      },
    },
    async (request, reply) => {
      const device = deviceOf(request);
      const bank = await bankOrThrow(directory, request.body.bank);
      const state = randomBytes(32).toString('base64url');
      const linkId = await store.createPendingLink(device.id, bank.id, state);
      let started: { authorizationUrl: string; pending: Json };
      try {
        started = await platform.startLink({
          bank,
          state,
          redirectUri: `${options.publicUrl()}/link/callback`,
          authorizationDetails: [
            {
              type: 'proviso_account_access',
              purposes: options.link.purposes,
              clusters: options.link.clusters,
              duration_days: options.link.durationDays,
              device_key: device.publicKey,
            },
          ],
        });
      } catch (e) {
        await store.failLink(linkId, 'par-failed');
        if (e instanceof LinkingUnavailableError)
          throw new Problem(503, 'linking-unavailable', 'Linking unavailable', e.message);
        request.log.warn(
          { err: e instanceof Error ? e.message : String(e) },
          'pushed authorization request failed',
        );
        throw new Problem(
          502,
          'bank-par-failed',
          'The bank refused the link request',
          'the pushed authorization request failed',
        );
      }
      await store.setPending(linkId, vault.sealPending(linkId, started.pending));
      return reply.code(201).send({ link_id: linkId, authorization_url: started.authorizationUrl });
    },
  );

  scope.delete<{ Params: { bank: string } }>(
    '/links/:bank',
    {
      schema: {
        tags: ['device'],
        summary: 'Unlink a bank: revokes the tokens and the consent at the bank',
        params: {
          type: 'object',
          required: ['bank'],
          additionalProperties: false,
          properties: { bank: bankIdSchema },
        },
        querystring: noQuery,
        response: {
          200: {
            type: 'object',
            required: ['bank', 'status', 'revoked'],
            additionalProperties: false,
            properties: {
              bank: { type: 'string' },
              status: { type: 'string', const: 'ended' },
              revoked: { type: 'boolean', description: 'whether the bank confirmed revocation' },
            },
          },
          ...problemResponses(400, 401, 404),
        },
      },
    },
    async (request) => {
      const device = deviceOf(request);
      const link = await store.activeLink(device.id, request.params.bank);
      if (!link) throw notFound('link', `this device has no active link to '${request.params.bank}'`);
      let revoked = false;
      try {
        const bank = await bankOrThrow(directory, link.bankId);
        if (link.credentialsSealed) {
          await platform.revoke({ bank, credentials: vault.credentials(link) });
          revoked = true;
        }
      } catch (e) {
        // The link ends here either way; the tokens are forgotten and expire at the bank.
        request.log.warn(
          { err: e instanceof Error ? e.message : String(e) },
          'revocation at the bank failed',
        );
      }
      await store.endLink(link.id, 'unlinked');
      return { bank: link.bankId, status: 'ended' as const, revoked };
    },
  );
};
