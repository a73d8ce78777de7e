// GET /banks/:bankId/screening/dead-letters: the NATS authorisation messages that were
// recorded as dead letters instead of screened (dead-letter.ts), newest first, for the
// bank's operators. Authenticated with the bank's ingest key before anything is read.
// Shows each letter's reason, errors, subject, stream sequence, time, and the payload's
// SHA-256 and size, never the payload itself (it stays in the bank's database for replay).
import type { FastifyInstance, onRequestHookHandler } from 'fastify';
import fp from 'fastify-plugin';
import { bankParams, problemResponses } from '../http/index.ts';
import type { ScreeningService } from './service.ts';

export interface DeadLetterRoutesOptions {
  readonly service: ScreeningService;
  readonly authenticate: onRequestHookHandler;
}

const letterSchema = {
  type: 'object',
  required: [
    'id',
    'reason',
    'errors',
    'source',
    'subject',
    'stream',
    'streamSequence',
    'deliveryCount',
    'payloadSha256',
    'payloadSize',
    'payloadStored',
    'receivedAt',
  ],
  additionalProperties: false,
  properties: {
    id: { type: 'integer', description: 'increasing; pass as `before` to page on' },
    reason: {
      type: 'string',
      description: 'first error code: malformed_json, processing_failed or a validation code',
    },
    errors: {
      type: 'array',
      items: {
        type: 'object',
        required: ['field', 'code', 'message'],
        additionalProperties: false,
        properties: { field: { type: 'string' }, code: { type: 'string' }, message: { type: 'string' } },
      },
    },
    source: { type: 'string', enum: ['nats'] },
    subject: { type: 'string' },
    stream: { type: 'string' },
    streamSequence: { type: 'integer' },
    deliveryCount: { type: 'integer', description: 'deliveries of the message when it was recorded' },
    payloadSha256: { type: 'string', pattern: '^[0-9a-f]{64}$' },
    payloadSize: { type: 'integer' },
    payloadStored: {
      type: 'boolean',
      description: "the raw message is kept in the bank's database for a replay (up to 64 KiB)",
    },
    receivedAt: { type: 'string', format: 'date-time' },
  },
} as const;

export const deadLetterRoutes = fp<DeadLetterRoutesOptions>(
  async (app: FastifyInstance, options) => {
    app.get<{ Params: { bankId: string }; Querystring: { limit: number; before?: number } }>(
      '/banks/:bankId/screening/dead-letters',
      {
        schema: {
          tags: ['screening'],
          summary: 'Authorisation messages recorded as dead letters instead of screened',
          description:
            'NATS messages that were not JSON, failed validation, or failed screening on every delivery ' +
            'allowed. Each was recorded once and acknowledged, so it never blocks the consumer. Newest ' +
            'first; page with `before` (the last id of the previous page). Authenticated with the bank ' +
            'ingest key (Authorization: Bearer …).',
          security: [{ ingestKey: [] }],
          params: bankParams,
          querystring: {
            type: 'object',
            additionalProperties: false,
            properties: {
              limit: { type: 'integer', minimum: 1, maximum: 500, default: 100 },
              before: { type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER },
            },
          },
          response: {
            200: {
              type: 'object',
              required: ['total', 'deadLetters', 'next'],
              additionalProperties: false,
              properties: {
                total: { type: 'integer', description: "the bank's dead letters in all" },
                deadLetters: { type: 'array', items: letterSchema },
                next: {
                  type: ['integer', 'null'],
                  description: '`before` for the next page, null on the last',
                },
              },
            },
            ...problemResponses(400, 401),
          },
        },
        onRequest: options.authenticate,
      },
      async (request) => {
        const { bankId } = request.params;
        const { limit, before } = request.query;
        const store = options.service.deadLetters;
        const letters = await store.list(bankId, { limit, ...(before === undefined ? {} : { before }) });
        return {
          total: await store.count(bankId),
          deadLetters: letters.map(({ bankId: _bank, receivedAt, ...letter }) => ({
            ...letter,
            receivedAt: receivedAt.toISOString(),
          })),
          next: letters.length === limit ? (letters[letters.length - 1]?.id ?? null) : null,
        };
      },
    );
  },
  { name: 'proviso-screening-dead-letters' },
);
