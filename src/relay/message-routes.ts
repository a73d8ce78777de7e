// POST /api/messages: a chat message, button press or sealed reply from the device to a bank's
// bot, through the gateway with the link's credentials. The bot's answer (sealed envelopes,
// text) or a notice (link ended, bank unavailable or refusing) is queued for the stream.
import type { FastifyPluginAsync } from 'fastify';
import { badRequest, noQuery, Problem, problemResponses } from '../http/index.ts';
import { bankIdSchema, directoryUnavailable, endedNotice } from './bank-lookup.ts';
import { deviceOf } from './device-auth.ts';
import type { DeviceApiOptions } from './route-options.ts';
import type { NewMessage } from './store.ts';

export const POSTBACK_PATTERN = '^[A-Z][A-Z_]{0,31}(:[A-Za-z0-9._~:-]{1,256})?$';

type MessageBody = { bank: string; text?: string; postback?: string; reply?: string };

/** Registered with the prefix /api, in the scope that requires a device. */
export const messageRoutes: FastifyPluginAsync<DeviceApiOptions> = async (
  scope,
  { store, vault, directory, gateway },
) => {
  scope.post<{ Body: MessageBody }>(
    '/messages',
    {
      schema: {
        tags: ['device'],
        summary: 'Send a chat message or button press to a bank bot; answers arrive on the stream',
        querystring: noQuery,
        body: {
          type: 'object',
          required: ['bank'],
          additionalProperties: false,
          properties: {
            bank: bankIdSchema,
            text: { type: 'string', minLength: 1, maxLength: 2000 },
            postback: { type: 'string', pattern: POSTBACK_PATTERN },
            reply: {
              type: 'string',
              minLength: 1,
              maxLength: 64 * 1024,
              description: 'sealed reply (opaque)',
            },
          },
        },
        response: {
          202: {
            type: 'object',
            required: ['status', 'messages'],
            additionalProperties: false,
            properties: {
              status: {
                type: 'string',
                enum: ['answered', 'link-ended', 'bank-unavailable', 'bank-refused'],
              },
              messages: {
                type: 'array',
                items: { type: 'string' },
                description: 'ids of messages queued for the stream',
              },
            },
          },
          ...problemResponses(400, 401, 404, 409),
        },
      },
    },
    async (request, reply) => {
      const device = deviceOf(request);
      const { bank: bankId, text, postback, reply: sealedReply } = request.body;
      if ((text === undefined) === (postback === undefined))
        throw badRequest('message-or-postback', 'send exactly one of text or postback');
      const link = await store.activeLink(device.id, bankId);
      const bank = await directory.get(bankId).catch(() => undefined);
      const answer = async (status: string, messages: NewMessage[]) =>
        reply.code(202).send({ status, messages: await store.enqueue(messages) });
      if (!link) {
        const previous = (await store.linksOf(device.id)).find((l) => l.bankId === bankId);
        if (!previous)
          throw new Problem(409, 'not-linked', 'Not linked', `link '${bankId}' first (POST /api/links)`);
        return answer('link-ended', [
          { deviceId: device.id, bankId, kind: 'notice', text: endedNotice(bank, bankId) },
        ]);
      }
      if (!bank) throw directoryUnavailable();
      const outcome = await gateway.botEvent({
        bank,
        credentials: vault.credentials(link),
        event: {
          sender: { id: link.sub! },
          ...(text !== undefined ? { message: { text } } : {}),
          ...(postback !== undefined ? { postback: { payload: postback } } : {}),
          ...(sealedReply !== undefined ? { reply: sealedReply } : {}),
        },
      });
      if (outcome.credentials !== undefined)
        await store.updateCredentials(link.id, vault.sealCredentials(link.id, outcome.credentials));
      if (outcome.ok) {
        return answer('answered', [
          ...outcome.response.envelopes.map((envelope) => ({
            deviceId: device.id,
            bankId: bank.id,
            kind: 'envelope' as const,
            envelope,
          })),
          ...(outcome.response.text
            ? [
                {
                  deviceId: device.id,
                  bankId: bank.id,
                  kind: 'text' as const,
                  text: outcome.response.text.slice(0, 2000),
                },
              ]
            : []),
        ]);
      }
      if (outcome.status === 401 || outcome.status === 403) {
        await store.endLink(link.id, 'refused-by-bank');
        return answer('link-ended', [
          { deviceId: device.id, bankId: bank.id, kind: 'notice', text: endedNotice(bank, bank.id) },
        ]);
      }
      const refused = outcome.status >= 400 && outcome.status < 500;
      const notice = refused
        ? `${bank.name} could not do that${outcome.problem?.title ? `: ${outcome.problem.title}` : ''}.`
        : `${bank.name} did not answer. Try again in a moment.`;
      return answer(refused ? 'bank-refused' : 'bank-unavailable', [
        { deviceId: device.id, bankId: bank.id, kind: 'notice', text: notice.slice(0, 500) },
      ]);
    },
  );
};
