// GET /api/banks: the banks a device can link, from the gateway's discovery document.
import type { FastifyPluginAsync } from 'fastify';
import { noQuery, problemResponses } from '../http/index.ts';
import { directoryUnavailable } from './bank-lookup.ts';
import type { BankDirectory } from './directory.ts';

/** Registered with the prefix /api. */
export const bankList: FastifyPluginAsync<{ directory: BankDirectory }> = async (scope, { directory }) => {
  scope.get(
    '/banks',
    {
      schema: {
        tags: ['device'],
        summary: 'Banks a device can link (from the gateway discovery document)',
        querystring: noQuery,
        response: {
          200: {
            type: 'object',
            required: ['banks'],
            additionalProperties: false,
            properties: {
              banks: {
                type: 'array',
                items: {
                  type: 'object',
                  required: ['id', 'name', 'issuer', 'jwks_uri'],
                  additionalProperties: false,
                  properties: {
                    id: { type: 'string' },
                    name: { type: 'string' },
                    issuer: { type: 'string' },
                    jwks_uri: { type: 'string' },
                  },
                },
              },
            },
          },
          ...problemResponses(503),
        },
      },
    },
    async () => {
      try {
        return {
          banks: (await directory.list()).map(({ id, name, issuer, jwks_uri }) => ({
            id,
            name,
            issuer,
            jwks_uri,
          })),
        };
      } catch {
        throw directoryUnavailable();
      }
    },
  );
};
