// Logging in to the bank's own pages (connected apps, access history) and out again. The login
// form is bound to a pre-session (pre-session.ts); a successful login starts a customer session.
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { noQuery, Problem, problemResponses } from '../http/index.ts';
import { wantsHtml } from './client-errors.ts';
import { readCookie, SESSION_TTL_MS } from './customer-sessions.ts';
import { LoginPreSession } from './pre-session.ts';
import { type BankParams, bankParams, csrfBody, html, type LoginForm, loginBody } from './route-schemas.ts';
import { loginError, sendHtml } from './screen-kit.ts';
import type { ScreenOptions } from './screen-options.ts';
import { loginPage } from './screens.ts';
import type { ConsentService } from './service.ts';

/** Where the dashboard login may send the customer afterwards. */
const AFTER_LOGIN = { 'connected-apps': 'connected-apps', 'access-history': 'access-history' } as const;
export type AfterLogin = keyof typeof AFTER_LOGIN;

/** The dashboard's login page, with its pre-session token. */
export class DashboardLogin {
  readonly preSession: LoginPreSession;
  readonly #consent: ConsentService;

  constructor(consent: ConsentService, secure: () => boolean) {
    this.#consent = consent;
    this.preSession = new LoginPreSession({
      secret: (bankId) => consent.secret(bankId, 'cookie'),
      secure,
      maxAgeSeconds: SESSION_TTL_MS / 1000,
      readCookie,
    });
  }

  async page(
    request: FastifyRequest,
    reply: FastifyReply,
    bankId: string,
    form: { status?: number; error?: string; username?: string; next?: AfterLogin; rotate?: boolean } = {},
  ): Promise<FastifyReply> {
    const history = form.next === 'access-history';
    const csrf = await this.preSession.token(request, reply, bankId, form.rotate ?? false);
    return sendHtml(
      reply,
      loginPage({
        bankName: this.#consent.bankName(bankId),
        action: `/banks/${bankId}/connected-apps/login${history ? '?next=access-history' : ''}`,
        csrf,
        heading: history ? 'Log in to see your access history' : 'Log in to see your connected apps',
        intro: history
          ? 'See every time an app used your data, checked against the bank’s public log.'
          : 'See which apps can use your data, and stop any of them.',
        ...(form.error ? { error: form.error } : {}),
        ...(form.username ? { username: form.username } : {}),
      }),
      form.status ?? 200,
    );
  }
}

/** Registered with the prefix /banks/:bankId, behind the bank check and the form parser. */
export const dashboardLoginRoutes: FastifyPluginAsync<ScreenOptions> = async (
  scope,
  { consent, sessions, dashboardLogin },
) => {
  scope.post<{ Params: BankParams; Querystring: { next?: AfterLogin }; Body: LoginForm }>(
    '/connected-apps/login',
    {
      schema: {
        tags: ['consent'],
        summary: 'Log in to the connected-apps (and access-history) pages',
        params: bankParams,
        querystring: {
          type: 'object',
          properties: { next: { type: 'string', enum: Object.keys(AFTER_LOGIN) } },
          additionalProperties: false,
        },
        body: loginBody,
        response: {
          303: { type: 'null', description: 'To the dashboard' },
          ...html,
          ...problemResponses(400, 403, 404),
        },
      },
    },
    async (request, reply) => {
      const { bankId } = request.params;
      await dashboardLogin.preSession.check(request, bankId, request.body.csrf);
      const result = await consent.authenticator.authenticate({
        bankId,
        username: request.body.username,
        password: request.body.password,
        otp: request.body.otp,
        ip: request.ip,
      });
      const next = request.query.next ?? 'connected-apps';
      if (!result.ok && !wantsHtml(request))
        throw result.reason === 'throttled'
          ? new Problem(429, 'login-throttled', 'Too many failed attempts', loginError(result))
          : new Problem(401, 'login-failed', 'Not authenticated', loginError(result));
      if (!result.ok)
        return dashboardLogin.page(request, reply, bankId, {
          status: result.reason === 'throttled' ? 429 : 401,
          error: loginError(result),
          username: request.body.username,
          next,
          rotate: true,
        });
      dashboardLogin.preSession.end(reply, bankId);
      await sessions.start(reply, bankId, result.customerId);
      return reply.code(303).header('location', `/banks/${bankId}/${AFTER_LOGIN[next]}`).send();
    },
  );

  scope.post<{ Params: BankParams; Body: { csrf: string } }>(
    '/connected-apps/logout',
    {
      schema: {
        tags: ['consent'],
        summary: 'Log out of the connected-apps page',
        params: bankParams,
        querystring: noQuery,
        body: csrfBody,
        response: {
          303: { type: 'null', description: 'Logged out' },
          ...problemResponses(400, 401, 403, 404),
        },
      },
    },
    async (request, reply) => {
      const { bankId } = request.params;
      const session = await sessions.require(request, bankId, request.body.csrf);
      await sessions.end(reply, session);
      return reply.code(303).header('location', `/banks/${bankId}/connected-apps`).send();
    },
  );
};
