// GET /link/callback: the OAuth redirect URI. The bank's consent page returns here; the relay
// finishes the link (token exchange with the pending PKCE/DPoP state) and sends the browser
// back to the chat, with the outcome in the query.
import type { FastifyPluginAsync } from 'fastify';
import { badRequest, problemResponses } from '../http/index.ts';
import { bankOrThrow } from './bank-lookup.ts';
import type { DeviceApiOptions } from './route-options.ts';

const PENDING_TTL_MS = 15 * 60_000;

/** Registered with the prefix /link. */
export const linkCallback: FastifyPluginAsync<DeviceApiOptions> = async (scope, options) => {
  const { store, vault, directory, platform } = options;
  scope.get<{ Querystring: Record<string, string | undefined> }>(
    '/callback',
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
      const link = await store.pendingByState(state);
      if (!link?.pendingSealed || Date.now() - link.createdAt.getTime() > PENDING_TTL_MS)
        throw badRequest(
          'link-state-unknown',
          'this link attempt is unknown or expired; start linking again',
        );
      const back = (params: Record<string, string>) =>
        reply.redirect(`${options.publicUrl()}/?${new URLSearchParams(params).toString()}`, 303);
      if (request.query['error']) {
        await store.failLink(link.id, `bank:${request.query['error'].slice(0, 64)}`);
        return back({ bank: link.bankId, link_error: request.query['error'].slice(0, 64) });
      }
      try {
        const bank = await bankOrThrow(directory, link.bankId);
        const done = await platform.finishLink({
          bank,
          pending: vault.pending(link),
          state,
          redirectUri: `${options.publicUrl()}/link/callback`,
          callbackUrl: new URL(`${options.publicUrl()}${request.url}`),
        });
        await store.activateLink(link.id, {
          credentialsSealed: vault.sealCredentials(link.id, done.credentials),
          sub: done.sub,
          consent: done.consent ?? null,
        });
        return back({ linked: link.bankId });
      } catch (e) {
        request.log.warn({ err: e instanceof Error ? e.message : String(e) }, 'link completion failed');
        await store.failLink(link.id, 'token-exchange-failed');
        return back({ bank: link.bankId, link_error: 'token_exchange_failed' });
      }
    },
  );
};
