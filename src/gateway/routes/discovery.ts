// GET /.well-known/proviso: one document from which any client finds everything — each
// bank's OAuth issuer, API base, JWKS and transparency log, and the relay.
import type { FastifyInstance } from 'fastify';
import { bankScope, noQuery, problemResponses } from '../../http/index.ts';
import type { GatewayContext } from '../context.ts';
import { bankParams } from './params.ts';

export interface BankEndpoints {
  issuer: string;
  api_base_url: string;
  jwks_uri: string;
  log_prefix?: string;
  log_verifier_key?: string;
  log_witnesses?: { url: string; verifier_key: string }[];
  log_witness_quorum?: number;
}

export interface DiscoveryExtras {
  /** Extra per-bank fields contributed by later contexts (log, consent). */
  bank?(bankId: string): Promise<Partial<BankEndpoints>>;
  relay?: { url: string; web_client_url: string; webhook_url: string };
}

const discoverySchema = {
  $id: 'ProvisoDiscovery',
  type: 'object',
  required: ['version', 'openapi_url', 'banks'],
  properties: {
    version: { type: 'string', description: 'Proviso version of this gateway' },
    openapi_url: { type: 'string', format: 'uri' },
    docs_url: { type: 'string', format: 'uri' },
    banks: {
      type: 'array',
      items: {
        type: 'object',
        required: ['id', 'name', 'issuer', 'api_base_url', 'jwks_uri'],
        properties: {
          id: { type: 'string' },
          name: { type: 'string' },
          issuer: { type: 'string', format: 'uri', description: 'OAuth 2.0 / FAPI 2.0 issuer of this bank' },
          api_base_url: { type: 'string', format: 'uri', description: 'Account and Transaction API base' },
          jwks_uri: {
            type: 'string',
            format: 'uri',
            description: "The bank's public signing and sealing keys",
          },
          log_prefix: {
            type: 'string',
            format: 'uri',
            description: 'Transparency log URL prefix (C2SP tlog-tiles)',
          },
          log_verifier_key: { type: 'string', description: 'C2SP signed-note verifier key of the log' },
          log_witnesses: {
            type: 'array',
            description: 'Witnesses (C2SP tlog-witness) whose cosignatures the published checkpoint carries',
            items: {
              type: 'object',
              required: ['url', 'verifier_key'],
              properties: { url: { type: 'string', format: 'uri' }, verifier_key: { type: 'string' } },
              additionalProperties: false,
            },
          },
          log_witness_quorum: { type: 'integer', minimum: 0, description: 'Cosignatures required (k of n)' },
        },
        additionalProperties: false,
      },
    },
    relay: {
      type: 'object',
      required: ['url', 'web_client_url', 'webhook_url'],
      properties: {
        url: { type: 'string', format: 'uri' },
        web_client_url: { type: 'string', format: 'uri' },
        webhook_url: { type: 'string', format: 'uri' },
      },
      additionalProperties: false,
    },
  },
  additionalProperties: false,
} as const;

const jwksSchema = {
  type: 'object',
  required: ['keys'],
  properties: { keys: { type: 'array', items: { type: 'object', additionalProperties: true } } },
  additionalProperties: false,
} as const;

export function bankUrls(publicUrl: string, bankId: string): BankEndpoints {
  const base = `${publicUrl}/banks/${bankId}`;
  return { issuer: base, api_base_url: `${base}/open-banking/v3.1/aisp`, jwks_uri: `${base}/jwks.json` };
}

export async function discoveryRoutes(
  app: FastifyInstance,
  ctx: GatewayContext & { discovery?: DiscoveryExtras },
) {
  app.addSchema(discoverySchema);
  app.get(
    '/.well-known/proviso',
    {
      schema: {
        tags: ['discovery'],
        summary: 'Where everything is: banks, issuers, APIs, keys, logs, relay',
        querystring: noQuery,
        response: { 200: { $ref: 'ProvisoDiscovery#' } },
      },
    },
    async (_request, reply) => {
      const banks = await Promise.all(
        [...ctx.banks.values()].map(async (b) => ({
          id: b.id,
          name: b.name,
          ...bankUrls(ctx.publicUrl, b.id),
          ...((await ctx.discovery?.bank?.(b.id)) ?? {}),
        })),
      );
      reply.header('cache-control', 'public, max-age=60');
      return {
        version: ctx.version,
        openapi_url: `${ctx.publicUrl}/openapi.json`,
        docs_url: `${ctx.publicUrl}/docs`,
        banks,
        ...(ctx.discovery?.relay ? { relay: ctx.discovery.relay } : {}),
      };
    },
  );
  // The bank's keys: a bank-scoped route (an unknown bank is a 404 before the handler).
  await app.register(bankScope, {
    banks: ctx.banks,
    async routes(scope) {
      scope.get<{ Params: { bankId: string } }>(
        '/banks/:bankId/jwks.json',
        {
          schema: {
            tags: ['discovery'],
            summary: "A bank's public keys (JWKS)",
            params: bankParams,
            querystring: noQuery,
            response: { 200: jwksSchema, ...problemResponses(400, 404) },
          },
        },
        async (request, reply) => {
          const { bankId } = request.params;
          reply.header('cache-control', 'public, max-age=300');
          return ctx.keyStore.jwks(bankId);
        },
      );
    },
  });
}
