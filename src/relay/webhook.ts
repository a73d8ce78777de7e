// Inbound bot webhook in the Messenger Platform conventions:
//   GET  /webhook?hub.mode=subscribe&hub.verify_token=…&hub.challenge=…  → the challenge
//   POST /webhook  X-Hub-Signature-256: sha256=<hex HMAC-SHA256(raw body, bank app secret)>
// The signature is checked over the raw bytes (captured before JSON parsing) in constant
// time; then the whole batch is validated, and only then stored, in one transaction. A bad
// call gets a 4xx problem and changes nothing.
import { createHmac } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { constantTimeEqual, Problem, problemResponses } from '../http/index.ts';
import type { BankDirectory } from './directory.ts';
import { EnvelopeShapeError, envelopeRouting, MAX_ENVELOPE_BYTES } from './routing.ts';
import { appSecretFor, type RelaySecrets } from './secrets.ts';
import type { NewMessage, RelayStore } from './store.ts';

export const WEBHOOK_BODY_LIMIT = 1024 * 1024;
const MAX_EVENTS = 100;

export interface WebhookEvent {
  sender: { id: string };
  recipient: { id: string };
  timestamp: number;
  message?: { mid: string; envelope: string };
  /** The bank ended the link (revoked or expired there): the chat must show it at once. */
  account_linking?: { status: 'unlinked'; consent: string; reason: 'revoked' | 'expired' };
}

export interface WebhookBatch {
  object: 'proviso';
  entry: { id: string; time: number; messaging: WebhookEvent[] }[];
}

const idString = { type: 'string', minLength: 1, maxLength: 256, pattern: '^[\\x21-\\x7e]+$' } as const;

const batchSchema = {
  type: 'object',
  required: ['object', 'entry'],
  additionalProperties: false,
  properties: {
    object: { type: 'string', const: 'proviso' },
    entry: {
      type: 'array',
      minItems: 1,
      maxItems: MAX_EVENTS,
      items: {
        type: 'object',
        required: ['id', 'time', 'messaging'],
        additionalProperties: false,
        properties: {
          id: idString,
          time: { type: 'integer', minimum: 0 },
          messaging: {
            type: 'array',
            minItems: 1,
            maxItems: MAX_EVENTS,
            items: {
              type: 'object',
              required: ['sender', 'recipient', 'timestamp'],
              oneOf: [{ required: ['message'] }, { required: ['account_linking'] }],
              additionalProperties: false,
              properties: {
                sender: {
                  type: 'object',
                  required: ['id'],
                  additionalProperties: false,
                  properties: { id: idString },
                },
                recipient: {
                  type: 'object',
                  required: ['id'],
                  additionalProperties: false,
                  properties: { id: idString },
                },
                timestamp: { type: 'integer', minimum: 0 },
                message: {
                  type: 'object',
                  required: ['mid', 'envelope'],
                  additionalProperties: false,
                  properties: {
                    mid: idString,
                    envelope: { type: 'string', minLength: 1, maxLength: MAX_ENVELOPE_BYTES },
                  },
                },
                account_linking: {
                  type: 'object',
                  required: ['status', 'consent', 'reason'],
                  additionalProperties: false,
                  properties: {
                    status: { type: 'string', const: 'unlinked' },
                    consent: idString,
                    reason: { type: 'string', enum: ['revoked', 'expired'] },
                  },
                },
              },
            },
          },
        },
      },
    },
  },
} as const;

const receiptSchema = {
  type: 'object',
  required: ['status', 'received', 'stored', 'duplicates'],
  additionalProperties: false,
  properties: {
    status: { type: 'string', const: 'EVENT_RECEIVED' },
    received: { type: 'integer', description: 'events in the batch' },
    stored: { type: 'integer', description: 'device deliveries newly stored (link-ended notices included)' },
    duplicates: { type: 'integer', description: 'deliveries already stored (a retried mid)' },
  },
} as const;

declare module 'fastify' {
  interface FastifyRequest {
    rawBody?: Buffer;
    /** Bank whose app secret signed this webhook call. */
    webhookBank?: string;
  }
}

const unprocessable = (slug: string, detail: string) =>
  new Problem(422, slug, 'Webhook event refused', detail);

export interface WebhookOptions {
  store: RelayStore;
  secrets: RelaySecrets;
  directory: BankDirectory;
}

async function candidateBanks(webhook: WebhookOptions): Promise<string[]> {
  const ids = new Set(Object.keys(webhook.secrets.appSecrets));
  try {
    for (const b of await webhook.directory.list()) ids.add(b.id);
  } catch {
    // Discovery down: only explicitly configured secrets can sign.
  }
  return [...ids];
}

async function verifySignature(webhook: WebhookOptions, request: FastifyRequest): Promise<string> {
  const header = request.headers['x-hub-signature-256'];
  if (header === undefined)
    throw new Problem(
      401,
      'webhook-signature-missing',
      'Signature missing',
      'X-Hub-Signature-256 header is required',
      {
        headers: { 'www-authenticate': 'X-Hub-Signature-256' },
      },
    );
  const m = typeof header === 'string' ? /^sha256=([0-9a-f]{64})$/i.exec(header) : null;
  if (!m)
    throw new Problem(
      401,
      'webhook-signature-malformed',
      'Signature malformed',
      'X-Hub-Signature-256 must be sha256=<64 hex digits>',
    );
  const given = Buffer.from(m[1]!.toLowerCase(), 'hex');
  const raw = request.rawBody ?? Buffer.alloc(0);
  let matched: string | undefined;
  // Every candidate is computed and compared, so timing does not depend on which one matches.
  for (const bank of await candidateBanks(webhook)) {
    const expected = createHmac('sha256', appSecretFor(webhook.secrets, bank)).update(raw).digest();
    if (constantTimeEqual(expected, given) && matched === undefined) matched = bank;
  }
  if (matched === undefined)
    throw new Problem(
      403,
      'webhook-signature-invalid',
      'Signature invalid',
      "X-Hub-Signature-256 does not match the body under any bank's app secret",
    );
  return matched;
}

/**
 * Links the bank ended: each ends here too and its device gets a notice at once (pushed over
 * its stream like any message). Idempotent: an already ended link or an unknown subject is a no-op,
 * and the notice's mid is per consent, so a retried event does not notify twice.
 */
async function endLinks(
  webhook: WebhookOptions,
  bank: string,
  unlinks: { sub: string; ended: NonNullable<WebhookEvent['account_linking']> }[],
): Promise<NewMessage[]> {
  if (unlinks.length === 0) return [];
  const name = (await webhook.directory.get(bank).catch(() => undefined))?.name ?? bank;
  const notices: NewMessage[] = [];
  for (const { sub, ended } of unlinks) {
    const reason = ended.reason === 'expired' ? 'expired-at-bank' : 'revoked-at-bank';
    const text =
      ended.reason === 'expired'
        ? `Your link to ${name} has expired, so this chat can no longer see your accounts. Link again?`
        : `You ended this chat's access at ${name}. It can no longer see your accounts or cards. Link again?`;
    for (const deviceId of await webhook.store.endLinksOfSub(bank, sub, ended.consent, reason))
      notices.push({ deviceId, bankId: bank, kind: 'notice', mid: `unlinked-${ended.consent}`, text });
  }
  return notices;
}

export async function webhookRoutes(app: FastifyInstance, webhook: WebhookOptions): Promise<void> {
  // Raw bytes first: the signature is over exactly what was sent, not a re-serialisation.
  app.addContentTypeParser(
    'application/json',
    { parseAs: 'buffer', bodyLimit: WEBHOOK_BODY_LIMIT },
    (request, body, done) => {
      request.rawBody = body as Buffer;
      done(null, body);
    },
  );

  app.get<{ Querystring: Record<string, string> }>(
    '/webhook',
    {
      schema: {
        tags: ['webhook'],
        summary: 'Webhook subscription check (hub.challenge)',
        querystring: {
          type: 'object',
          required: ['hub.mode', 'hub.verify_token', 'hub.challenge'],
          additionalProperties: false,
          properties: {
            'hub.mode': { type: 'string', enum: ['subscribe'] },
            'hub.verify_token': { type: 'string', minLength: 1, maxLength: 512 },
            'hub.challenge': { type: 'string', minLength: 1, maxLength: 512 },
          },
        },
        produces: ['text/plain'],
        response: { 200: { type: 'string' }, ...problemResponses(400, 403) },
      },
    },
    async (request, reply) => {
      if (!constantTimeEqual(request.query['hub.verify_token']!, webhook.secrets.verifyToken))
        throw new Problem(
          403,
          'webhook-verify-token-invalid',
          'Verify token invalid',
          'hub.verify_token does not match',
        );
      return reply.type('text/plain; charset=utf-8').send(request.query['hub.challenge']);
    },
  );

  app.post<{ Body: WebhookBatch }>(
    '/webhook',
    {
      bodyLimit: WEBHOOK_BODY_LIMIT,
      schema: {
        tags: ['webhook'],
        summary: 'Bank → device messages (sealed envelopes), Messenger Platform style',
        querystring: { type: 'object', properties: {}, additionalProperties: false },
        headers: {
          type: 'object',
          properties: {
            'x-hub-signature-256': {
              type: 'string',
              description: 'sha256=<hex HMAC-SHA256 of the raw body>',
            },
          },
        },
        body: batchSchema,
        response: { 200: receiptSchema, ...problemResponses(400, 401, 403, 413, 415, 422) },
      },
      preValidation: async (request) => {
        request.webhookBank = await verifySignature(webhook, request);
        try {
          request.body = JSON.parse((request.rawBody ?? Buffer.alloc(0)).toString('utf8'));
        } catch {
          throw new Problem(400, 'malformed-json', 'Malformed JSON', 'the webhook body is not JSON');
        }
      },
    },
    async (request) => {
      const bank = request.webhookBank!;
      const batch = request.body;
      const events: {
        where: string;
        e: WebhookEvent & { message: { mid: string; envelope: string } };
        rcpt: string;
      }[] = [];
      const unlinks: { sub: string; ended: NonNullable<WebhookEvent['account_linking']> }[] = [];
      const mids = new Set<string>();
      batch.entry.forEach((entry, i) => {
        if (entry.id !== bank)
          throw new Problem(
            403,
            'webhook-entry-bank-mismatch',
            'Entry not signed by its bank',
            `entry[${i}].id '${entry.id}' is not the bank whose secret signed the call`,
          );
        entry.messaging.forEach((e, j) => {
          const where = `entry[${i}].messaging[${j}]`;
          if (e.sender.id !== bank)
            throw unprocessable('webhook-sender-mismatch', `${where}.sender.id must be the bank id`);
          if (e.account_linking) {
            unlinks.push({ sub: e.recipient.id, ended: e.account_linking });
            return;
          }
          if (!e.message) return;
          if (mids.has(e.message.mid))
            throw unprocessable('webhook-duplicate-mid', `${where}.message.mid repeats within the batch`);
          mids.add(e.message.mid);
          let routing: ReturnType<typeof envelopeRouting>;
          try {
            routing = envelopeRouting(e.message.envelope);
          } catch (err) {
            throw unprocessable(
              'webhook-envelope-malformed',
              `${where}.message.envelope: ${err instanceof EnvelopeShapeError ? err.message : 'unreadable'}`,
            );
          }
          if (routing.bank !== bank)
            throw unprocessable(
              'webhook-envelope-bank-mismatch',
              `${where}: the envelope names another bank`,
            );
          events.push({ where, e: { ...e, message: e.message }, rcpt: routing.rcpt });
        });
      });
      const devices = await webhook.store.devicesForSub(bank, [
        ...new Set(events.map((x) => x.e.recipient.id)),
      ]);
      const messages: NewMessage[] = [];
      for (const { where, e, rcpt } of events) {
        const targets = devices.filter((d) => d.sub === e.recipient.id);
        if (targets.length === 0)
          throw unprocessable(
            'webhook-unknown-recipient',
            `${where}.recipient.id has no active link with this bank`,
          );
        const holders = targets.filter((d) => d.thumbprint === rcpt);
        if (holders.length === 0)
          throw unprocessable(
            'webhook-wrong-recipient-key',
            `${where}: the envelope is sealed to a key none of the recipient's devices holds`,
          );
        for (const d of holders)
          messages.push({
            deviceId: d.deviceId,
            bankId: bank,
            kind: 'envelope',
            mid: e.message.mid,
            envelope: e.message.envelope,
          });
      }
      const notices = await endLinks(webhook, bank, unlinks);
      const stored = await webhook.store.enqueue([...messages, ...notices]);
      return {
        status: 'EVENT_RECEIVED' as const,
        received: events.length + unlinks.length,
        stored: stored.length,
        duplicates: messages.length + notices.length - stored.length,
      };
    },
  );
}
