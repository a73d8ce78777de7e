// The device's API (registration, chat, links) and the OAuth callback. Devices authenticate
// with the bearer token they got at registration (`Authorization: Bearer dev_…`); only its
// SHA-256 is stored.
import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { badRequest, noQuery, notFound, Problem, problemResponses, unauthorized } from '../http/index.ts';
import { keyThumbprint } from '../seal/index.ts';
import type { BankDirectory } from './directory.ts';
import {
  type BankInfo,
  BankRefusedRequestError,
  type GatewayCaller,
  type Json,
  LinkingUnavailableError,
  type PlatformClient,
} from './platform.ts';
import { openJson, type RelaySecrets, sealJson } from './secrets.ts';
import type { Device, Link, RelayStore } from './store.ts';

export interface RouteOptions {
  store: RelayStore;
  secrets: RelaySecrets;
  directory: BankDirectory;
  platform: PlatformClient;
  gateway: GatewayCaller;
  /** Public base URL of the relay (a getter: known only after listen). */
  publicUrl(): string;
  link: { purposes: string[]; clusters: string[]; durationDays: number };
}

declare module 'fastify' {
  interface FastifyRequest {
    device?: Device;
  }
}

export const POSTBACK_PATTERN = '^[A-Z][A-Z_]{0,31}(:[A-Za-z0-9._~:-]{1,256})?$';
const bankId = { type: 'string', minLength: 1, maxLength: 64, pattern: '^[a-z0-9][a-z0-9-]*$' } as const;
const PENDING_TTL_MS = 15 * 60_000;

const credentialsAad = (linkId: string) => `relay-link-credentials:${linkId}`;
const pendingAad = (linkId: string) => `relay-link-pending:${linkId}`;

function bearer(request: FastifyRequest): string {
  const h = request.headers.authorization;
  const m = typeof h === 'string' ? /^Bearer ([A-Za-z0-9_-]{10,200})$/.exec(h) : null;
  if (!m) throw unauthorized('device-token-missing', 'send the device token: Authorization: Bearer dev_…');
  return m[1]!;
}

export async function authenticateDevice(store: RelayStore, token: string): Promise<Device> {
  const device = await store.deviceByToken(token);
  if (!device) throw unauthorized('device-token-invalid', 'this device token is not known to the relay');
  return device;
}

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

function viewOf(l: Link) {
  return {
    bank: l.bankId,
    status: l.status as 'active' | 'ended',
    ...(l.consent ? { consent: l.consent } : {}),
    ...(l.linkedAt ? { linked_at: l.linkedAt.toISOString() } : {}),
    ...(l.endedAt ? { ended_at: l.endedAt.toISOString() } : {}),
    ...(l.endedReason ? { ended_reason: l.endedReason } : {}),
  };
}

export function endedNotice(bank: BankInfo | undefined, bankId: string): string {
  return `This link to ${bank?.name ?? bankId} has ended. Link again?`;
}

export async function deviceRoutes(app: FastifyInstance, o: RouteOptions): Promise<void> {
  const tags = ['device'];
  const authed = {
    preHandler: async (request: FastifyRequest) => {
      request.device = await authenticateDevice(o.store, bearer(request));
    },
  };

  async function bankOrThrow(id: string): Promise<BankInfo> {
    let bank: BankInfo | undefined;
    try {
      bank = await o.directory.get(id);
    } catch {
      throw new Problem(
        503,
        'gateway-unavailable',
        'Bank directory unavailable',
        'the bank gateway does not answer',
      );
    }
    if (!bank) throw notFound('bank', `no bank '${id}' is known to this relay`);
    return bank;
  }

  app.post<{ Body: { public_key: string } }>(
    '/api/devices',
    {
      schema: {
        tags,
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
      const { device, token } = await o.store.registerDevice(request.body.public_key, thumb);
      return reply.code(201).send({ device_id: device.id, token, key_thumbprint: thumb });
    },
  );

  app.post<{ Body: { public_key: string; requests: { bank: string; request: string }[] } }>(
    '/api/devices/key',
    {
      ...authed,
      schema: {
        tags,
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
                properties: { bank: bankId, request: { type: 'string', minLength: 1, maxLength: 16384 } },
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
      const d = request.device!;
      const active = (await o.store.linksOf(d.id)).filter((l) => l.status === 'active');
      const byBank = new Map(request.body.requests.map((r) => [r.bank, r.request]));
      const missing = active.filter((l) => !byBank.has(l.bankId)).map((l) => l.bankId);
      if (missing.length)
        throw new Problem(
          409,
          'rotation-incomplete',
          'A bank is missing',
          `send a sealed rotation request for every linked bank; missing: ${missing.join(', ')}`,
        );
      if (!o.platform.rotateDeviceKey)
        throw new Problem(503, 'linking-unavailable', 'Key rotation unavailable', 'no platform client');
      for (const link of active) {
        const bank = await bankOrThrow(link.bankId);
        const credentials = openJson<Json>(
          o.secrets.relayKey,
          link.credentialsSealed!,
          credentialsAad(link.id),
        );
        try {
          await o.platform.rotateDeviceKey({ bank, credentials, request: byBank.get(link.bankId)! });
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
      await o.store.replaceDeviceKey(d.id, request.body.public_key, thumb);
      return { key_thumbprint: thumb, banks: active.map((l) => l.bankId) };
    },
  );

  app.get(
    '/api/banks',
    {
      schema: {
        tags,
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
          banks: (await o.directory.list()).map(({ id, name, issuer, jwks_uri }) => ({
            id,
            name,
            issuer,
            jwks_uri,
          })),
        };
      } catch {
        throw new Problem(
          503,
          'gateway-unavailable',
          'Bank directory unavailable',
          'the bank gateway does not answer',
        );
      }
    },
  );

  app.get(
    '/api/links',
    {
      ...authed,
      schema: {
        tags,
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
      const d = request.device!;
      return {
        device_id: d.id,
        key_thumbprint: d.keyThumbprint,
        links: (await o.store.linksOf(d.id)).map(viewOf),
      };
    },
  );

  app.post<{ Body: { bank: string } }>(
    '/api/links',
    {
      ...authed,
      schema: {
        tags,
        summary:
          'Start linking a bank: pushed authorization request; returns the URL of the bank consent page',
        querystring: noQuery,
        body: {
          type: 'object',
          required: ['bank'],
          additionalProperties: false,
          properties: { bank: bankId },
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
      const d = request.device!;
      const bank = await bankOrThrow(request.body.bank);
      const state = randomBytes(32).toString('base64url');
      const linkId = await o.store.createPendingLink(d.id, bank.id, state);
      let started: { authorizationUrl: string; pending: Json };
      try {
        started = await o.platform.startLink({
          bank,
          state,
          redirectUri: `${o.publicUrl()}/link/callback`,
          authorizationDetails: [
            {
              type: 'proviso_account_access',
              purposes: o.link.purposes,
              clusters: o.link.clusters,
              duration_days: o.link.durationDays,
              device_key: d.publicKey,
            },
          ],
        });
      } catch (e) {
        await o.store.failLink(linkId, 'par-failed');
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
      await o.store.setPending(linkId, sealJson(o.secrets.relayKey, started.pending, pendingAad(linkId)));
      return reply.code(201).send({ link_id: linkId, authorization_url: started.authorizationUrl });
    },
  );

  app.delete<{ Params: { bank: string } }>(
    '/api/links/:bank',
    {
      ...authed,
      schema: {
        tags,
        summary: 'Unlink a bank: revokes the tokens and the consent at the bank',
        params: {
          type: 'object',
          required: ['bank'],
          additionalProperties: false,
          properties: { bank: bankId },
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
      const d = request.device!;
      const link = await o.store.activeLink(d.id, request.params.bank);
      if (!link) throw notFound('link', `this device has no active link to '${request.params.bank}'`);
      let revoked = false;
      try {
        const bank = await bankOrThrow(link.bankId);
        if (link.credentialsSealed) {
          const credentials = openJson<Json>(
            o.secrets.relayKey,
            link.credentialsSealed,
            credentialsAad(link.id),
          );
          await o.platform.revoke({ bank, credentials });
          revoked = true;
        }
      } catch (e) {
        // The link ends here either way; the tokens are forgotten and expire at the bank.
        request.log.warn(
          { err: e instanceof Error ? e.message : String(e) },
          'revocation at the bank failed',
        );
      }
      await o.store.endLink(link.id, 'unlinked');
      return { bank: link.bankId, status: 'ended' as const, revoked };
    },
  );

  app.post<{ Body: { bank: string; text?: string; postback?: string; reply?: string } }>(
    '/api/messages',
    {
      ...authed,
      schema: {
        tags,
        summary: 'Send a chat message or button press to a bank bot; answers arrive on the stream',
        querystring: noQuery,
        body: {
          type: 'object',
          required: ['bank'],
          additionalProperties: false,
          properties: {
            bank: bankId,
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
      const d = request.device!;
      const { bank: bankIdValue, text, postback, reply: sealedReply } = request.body;
      if ((text === undefined) === (postback === undefined))
        throw badRequest('message-or-postback', 'send exactly one of text or postback');
      const link = await o.store.activeLink(d.id, bankIdValue);
      const bank = await o.directory.get(bankIdValue).catch(() => undefined);
      if (!link) {
        const previous = (await o.store.linksOf(d.id)).find((l) => l.bankId === bankIdValue);
        if (!previous)
          throw new Problem(409, 'not-linked', 'Not linked', `link '${bankIdValue}' first (POST /api/links)`);
        const ids = await o.store.enqueue([
          { deviceId: d.id, bankId: bankIdValue, kind: 'notice', text: endedNotice(bank, bankIdValue) },
        ]);
        return reply.code(202).send({ status: 'link-ended', messages: ids });
      }
      if (!bank)
        throw new Problem(
          503,
          'gateway-unavailable',
          'Bank directory unavailable',
          'the bank gateway does not answer',
        );
      const credentials = openJson<Json>(
        o.secrets.relayKey,
        link.credentialsSealed!,
        credentialsAad(link.id),
      );
      const outcome = await o.gateway.botEvent({
        bank,
        credentials,
        event: {
          sender: { id: link.sub! },
          ...(text !== undefined ? { message: { text } } : {}),
          ...(postback !== undefined ? { postback: { payload: postback } } : {}),
          ...(sealedReply !== undefined ? { reply: sealedReply } : {}),
        },
      });
      if (outcome.credentials !== undefined)
        await o.store.updateCredentials(
          link.id,
          sealJson(o.secrets.relayKey, outcome.credentials, credentialsAad(link.id)),
        );
      if (outcome.ok) {
        const ids = await o.store.enqueue([
          ...outcome.response.envelopes.map((envelope) => ({
            deviceId: d.id,
            bankId: bank.id,
            kind: 'envelope' as const,
            envelope,
          })),
          ...(outcome.response.text
            ? [
                {
                  deviceId: d.id,
                  bankId: bank.id,
                  kind: 'text' as const,
                  text: outcome.response.text.slice(0, 2000),
                },
              ]
            : []),
        ]);
        return reply.code(202).send({ status: 'answered', messages: ids });
      }
      if (outcome.status === 401 || outcome.status === 403) {
        await o.store.endLink(link.id, 'refused-by-bank');
        const ids = await o.store.enqueue([
          { deviceId: d.id, bankId: bank.id, kind: 'notice', text: endedNotice(bank, bank.id) },
        ]);
        return reply.code(202).send({ status: 'link-ended', messages: ids });
      }
      const refused = outcome.status >= 400 && outcome.status < 500;
      const notice = refused
        ? `${bank.name} could not do that${outcome.problem?.title ? `: ${outcome.problem.title}` : ''}.`
        : `${bank.name} did not answer. Try again in a moment.`;
      const ids = await o.store.enqueue([
        { deviceId: d.id, bankId: bank.id, kind: 'notice', text: notice.slice(0, 500) },
      ]);
      return reply.code(202).send({ status: refused ? 'bank-refused' : 'bank-unavailable', messages: ids });
    },
  );

  app.get<{ Querystring: Record<string, string | undefined> }>(
    '/link/callback',
    {
      schema: {
        tags: ['link'],
        summary: "OAuth redirect URI: the bank's consent page returns here; then back to the chat",
        querystring: {
          type: 'object',
          required: ['state'],
          additionalProperties: false,
          properties: {
            state: { type: 'string', minLength: 1, maxLength: 512 },
            code: { type: 'string', maxLength: 2048 },
            iss: { type: 'string', maxLength: 2048 },
            error: { type: 'string', maxLength: 256 },
            error_description: { type: 'string', maxLength: 2048 },
            error_uri: { type: 'string', maxLength: 2048 },
          },
        },
        response: { 303: { type: 'null', description: 'to the chat' }, ...problemResponses(400) },
      },
    },
    async (request, reply) => {
      const state = request.query['state']!;
      const link = await o.store.pendingByState(state);
      if (!link?.pendingSealed || Date.now() - link.createdAt.getTime() > PENDING_TTL_MS)
        throw badRequest(
          'link-state-unknown',
          'this link attempt is unknown or expired; start linking again',
        );
      const back = (params: Record<string, string>) =>
        reply.redirect(`${o.publicUrl()}/?${new URLSearchParams(params).toString()}`, 303);
      if (request.query['error']) {
        await o.store.failLink(link.id, `bank:${request.query['error'].slice(0, 64)}`);
        return back({ bank: link.bankId, link_error: request.query['error'].slice(0, 64) });
      }
      try {
        const bank = await bankOrThrow(link.bankId);
        const pending = openJson<Json>(o.secrets.relayKey, link.pendingSealed, pendingAad(link.id));
        const callbackUrl = new URL(`${o.publicUrl()}${request.url}`);
        const done = await o.platform.finishLink({
          bank,
          pending,
          state,
          redirectUri: `${o.publicUrl()}/link/callback`,
          callbackUrl,
        });
        await o.store.activateLink(link.id, {
          credentialsSealed: sealJson(o.secrets.relayKey, done.credentials, credentialsAad(link.id)),
          sub: done.sub,
          consent: done.consent ?? null,
        });
        return back({ linked: link.bankId });
      } catch (e) {
        request.log.warn({ err: e instanceof Error ? e.message : String(e) }, 'link completion failed');
        await o.store.failLink(link.id, 'token-exchange-failed');
        return back({ bank: link.bankId, link_error: 'token_exchange_failed' });
      }
    },
  );
}
