// GET /banks/:bankId/interaction/:uid: the page of a linking request, login or consent,
// whichever step the authorization server asks for.
import type { FastifyPluginAsync } from 'fastify';
import { badRequest, noQuery, problemResponses } from '../http/index.ts';
import { wantsHtml } from './client-errors.ts';
import { renderConsent } from './consent-interaction.ts';
import { interactionCsrf } from './interaction-csrf.ts';
import { interactionLoginPage } from './login-interaction.ts';
import { html, type InteractionParams, uidParams } from './route-schemas.ts';
import { sendHtml } from './screen-kit.ts';
import type { ScreenOptions } from './screen-options.ts';
import { htmlErrorPage } from './screens.ts';

/** Registered with the prefix /banks/:bankId, behind the bank check. */
export const interactionPage: FastifyPluginAsync<ScreenOptions> = async (scope, { consent }) => {
  scope.get<{ Params: InteractionParams }>(
    '/interaction/:uid',
    {
      schema: {
        tags: ['consent'],
        summary: 'Login or consent screen of a linking request',
        params: uidParams,
        querystring: noQuery,
        response: { ...html, ...problemResponses(400, 404) },
      },
    },
    async (request, reply) => {
      const { bankId, uid } = request.params;
      const provider = await consent.provider(bankId);
      let details: Awaited<ReturnType<typeof provider.interactionDetails>>;
      try {
        details = await provider.interactionDetails(request.raw, reply.raw);
      } catch {
        // A browser gets the bank's page; any other client the problem document.
        if (!wantsHtml(request))
          throw badRequest(
            'interaction-expired',
            'this linking request has expired or was already used; start again from the app',
          );
        return sendHtml(
          reply,
          htmlErrorPage(
            consent.bankName(bankId),
            'interaction_expired',
            'This linking request has expired or was already used. Start again from the app.',
          ),
          400,
        );
      }
      if (details.uid !== uid)
        throw badRequest('interaction-mismatch', 'this page does not belong to the current linking request');
      const platformName = consent.platformName(String(details.params['client_id']));
      const redirectOrigin = new URL(String(details.params['redirect_uri'])).origin;
      const csrf = await interactionCsrf(consent, bankId, uid);
      if (details.prompt.name === 'login') {
        return sendHtml(reply, interactionLoginPage(consent, bankId, uid, csrf, platformName), 200, [
          redirectOrigin,
        ]);
      }
      return renderConsent(consent, reply, { bankId, uid, csrf, redirectOrigin }, details);
    },
  );
};
