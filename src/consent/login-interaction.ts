// The login step of a linking request: the login page, and the form's POST (password and
// one-time code) that starts the customer's session and resumes the authorization.
import type { FastifyPluginAsync } from 'fastify';
import { badRequest, noQuery, problemResponses } from '../http/index.ts';
import { checkInteractionCsrf } from './interaction-csrf.ts';
import { html, type InteractionParams, type LoginForm, loginBody, uidParams } from './route-schemas.ts';
import { loginError, sendHtml } from './screen-kit.ts';
import type { ScreenOptions } from './screen-options.ts';
import { loginPage } from './screens.ts';
import type { ConsentService } from './service.ts';

/** The login page of a linking request. */
export function interactionLoginPage(
  consent: ConsentService,
  bankId: string,
  uid: string,
  csrf: string,
  platformName: string,
): string {
  return loginPage({
    bankName: consent.bankName(bankId),
    action: `/banks/${bankId}/interaction/${uid}/login`,
    csrf,
    heading: `Log in to ${consent.bankName(bankId)}`,
    intro: `${platformName} wants to connect to your ${consent.bankName(bankId)} accounts. Log in here, at your bank — never type these details into ${platformName}.`,
  });
}

/** Registered with the prefix /banks/:bankId, behind the bank check and the form parser. */
export const loginInteraction: FastifyPluginAsync<ScreenOptions> = async (scope, { consent, sessions }) => {
  scope.post<{ Params: InteractionParams; Body: LoginForm }>(
    '/interaction/:uid/login',
    {
      schema: {
        tags: ['consent'],
        summary: 'Log in during a linking request (password + one-time code)',
        params: uidParams,
        querystring: noQuery,
        body: loginBody,
        response: {
          303: { type: 'null', description: 'On to consent' },
          ...html,
          ...problemResponses(400, 403, 404),
        },
      },
    },
    async (request, reply) => {
      const { bankId, uid } = request.params;
      await checkInteractionCsrf(consent, bankId, uid, request.body.csrf);
      const provider = await consent.provider(bankId);
      const details = await provider.interactionDetails(request.raw, reply.raw).catch(() => null);
      if (!details || details.uid !== uid || details.prompt.name !== 'login')
        throw badRequest('interaction-mismatch', 'this login does not belong to the current linking request');
      const result = await consent.authenticator.authenticate({
        bankId,
        username: request.body.username,
        password: request.body.password,
        otp: request.body.otp,
        ip: request.ip,
      });
      if (!result.ok) {
        return sendHtml(
          reply,
          loginPage({
            bankName: consent.bankName(bankId),
            action: `/banks/${bankId}/interaction/${uid}/login`,
            csrf: request.body.csrf,
            heading: `Log in to ${consent.bankName(bankId)}`,
            intro: `${consent.platformName(String(details.params['client_id']))} wants to connect to your accounts.`,
            error: loginError(result),
            username: request.body.username,
          }),
          result.reason === 'throttled' ? 429 : 401,
          [new URL(String(details.params['redirect_uri'])).origin],
        );
      }
      await sessions.start(reply, bankId, result.customerId);
      const to = await provider.interactionResult(
        request.raw,
        reply.raw,
        { login: { accountId: result.customerId } },
        { mergeWithLastSubmission: false },
      );
      return reply.code(303).header('location', to).send();
    },
  );
};
