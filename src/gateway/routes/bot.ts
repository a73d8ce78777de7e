// POST /banks/{bankId}/bot/events — the bank bot's door for the messaging platform. The
// platform calls it with the link's DPoP-bound token; the answer holds envelopes sealed to the
// customer's device (and, at most, a plain text that says nothing about the customer).
import type { FastifyInstance } from 'fastify';
import { badRequest, forbidden, noQuery, problemResponses } from '../../http/index.ts';
import type { ReleasePath } from '../../release/index.ts';
import type { BankBot, BotEvent } from '../bot.ts';
import { bankParams } from './params.ts';

export interface BotRoutesOptions {
  bot: BankBot;
  /** Authenticates the platform's request once (token + DPoP, live consent) for the bot's releases. */
  release: ReleasePath;
}

const id = { type: 'string', minLength: 1, maxLength: 256, pattern: '^[\\x21-\\x7e]+$' } as const;

const eventSchema = {
  type: 'object',
  required: ['sender'],
  additionalProperties: false,
  properties: {
    sender: {
      type: 'object',
      required: ['id'],
      additionalProperties: false,
      properties: { id: { ...id, description: "The customer's pairwise subject at this platform" } },
    },
    message: {
      type: 'object',
      required: ['text'],
      additionalProperties: false,
      properties: { text: { type: 'string', minLength: 1, maxLength: 2000 } },
    },
    postback: {
      type: 'object',
      required: ['payload'],
      additionalProperties: false,
      properties: {
        payload: {
          type: 'string',
          minLength: 1,
          maxLength: 300,
          pattern: '^[A-Z][A-Z_]{0,31}(:[A-Za-z0-9._~:-]{1,256})?$',
        },
      },
    },
    reply: {
      type: 'string',
      minLength: 1,
      maxLength: 65536,
      description: 'A reply the device sealed to the bank (HPKE, auth mode), e.g. the answer to an alert',
    },
  },
} as const;

const answerSchema = {
  type: 'object',
  required: ['envelopes'],
  additionalProperties: false,
  properties: {
    envelopes: {
      type: 'array',
      items: { type: 'string' },
      description: 'Sealed envelopes (compact JWS over the HPKE body) for the customer’s device',
    },
    text: { type: 'string', description: 'A plain notice with no customer data (help, refusals)' },
  },
} as const;

export async function botRoutes(app: FastifyInstance, options: BotRoutesOptions): Promise<void> {
  app.post<{ Params: { bankId: string }; Body: BotEvent }>(
    '/banks/:bankId/bot/events',
    {
      schema: {
        tags: ['bot'],
        security: [{ dpop: [] }],
        summary: 'Send a chat event (text, button or sealed reply) to the bank bot',
        description:
          'Messenger-style event from the platform. Exactly one of message or postback. The answer is sealed to the device key the consent bound; every release is in the transparency log first.',
        params: bankParams,
        querystring: noQuery,
        body: eventSchema,
        response: { 200: answerSchema, ...problemResponses(400, 401, 403, 404, 422, 503) },
      },
    },
    async (request) => {
      const { bankId } = request.params;
      const event = request.body;
      if ((event.message === undefined) === (event.postback === undefined))
        throw badRequest('message-or-postback', 'send exactly one of message or postback');
      // The release path's first two steps, once for the whole event: token + DPoP, then the
      // consent (authorised, unexpired, device present). The bot's releases start from here.
      const authenticated = await options.release.authenticate({
        kind: 'request',
        request: { bankId, method: request.method, url: request.url, headers: request.headers },
      });
      if (authenticated.grant.subject !== event.sender.id)
        throw forbidden('sender-mismatch', 'sender.id is not the customer this token was issued for');
      return options.bot.handle(authenticated, event);
    },
  );
}
