// POST /banks/{bankId}/bot/events — the bank bot's door for the messaging platform. The
// platform calls it with the link's DPoP-bound token; the answer holds envelopes sealed to the
// customer's device (and, at most, a plain text that says nothing about the customer).
import type { FastifyInstance } from 'fastify';
import { AuditUnavailableError } from '../../audit/index.ts';
import type { ConsentService } from '../../consent/index.ts';
import { badRequest, forbidden, noQuery, notFound, problemResponses } from '../../http/index.ts';
import type { BankBot, BotEvent } from '../bot.ts';
import { releaseWithheld } from '../transparency.ts';
import { bankIdParam } from './params.ts';

export interface BotRoutesOptions {
  banks: ReadonlyMap<string, unknown>;
  consent: ConsentService;
  bot: BankBot;
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

export async function botRoutes(app: FastifyInstance, o: BotRoutesOptions): Promise<void> {
  app.post<{ Params: { bankId: string }; Body: BotEvent }>(
    '/banks/:bankId/bot/events',
    {
      schema: {
        tags: ['bot'],
        security: [{ dpop: [] }],
        summary: 'Send a chat event (text, button or sealed reply) to the bank bot',
        description:
          'Messenger-style event from the platform. Exactly one of message or postback. The answer is sealed to the device key the consent bound; every release is in the transparency log first.',
        params: {
          type: 'object',
          required: ['bankId'],
          additionalProperties: false,
          properties: { bankId: bankIdParam },
        },
        querystring: noQuery,
        body: eventSchema,
        response: { 200: answerSchema, ...problemResponses(400, 401, 403, 404, 422, 503) },
      },
    },
    async (request) => {
      const { bankId } = request.params;
      if (!o.banks.has(bankId)) throw notFound('bank', `no bank '${bankId}' is served here`);
      const event = request.body;
      if ((event.message === undefined) === (event.postback === undefined))
        throw badRequest('message-or-postback', 'send exactly one of message or postback');
      const grant = await o.consent.access.authenticate({
        bankId,
        method: request.method,
        url: request.url,
        headers: request.headers,
      });
      if (grant.subject !== event.sender.id)
        throw forbidden('sender-mismatch', 'sender.id is not the customer this token was issued for');
      const consent = await o.consent.store.get(grant.grantId);
      if (consent?.status !== 'authorised')
        throw forbidden('consent-not-authorised', `the consent is ${consent?.status ?? 'unknown'}`);
      if (consent.expiresAt && consent.expiresAt <= new Date())
        throw forbidden('consent-expired', 'the consent has expired; the customer can reauthorise it');
      if (consent.deviceKeyRemovedAt)
        throw forbidden('device-removed', 'the customer removed the device this link seals to');
      try {
        return await o.bot.handle(grant, consent, event);
      } catch (error) {
        if (error instanceof AuditUnavailableError) {
          request.log.error({ err: error }, 'transparency log unavailable; bot answer withheld');
          throw releaseWithheld(error);
        }
        throw error;
      }
    },
  );
}
