// HTTP surface of the consent context, under /banks/{bankId}: the bank's authorization
// server (oidc-provider, mounted by hijacking the raw request), the login and consent
// screens, the connected-apps dashboard, and the platform's consent API (receipt, DELETE).
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import formbody from '@fastify/formbody';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { sql } from 'kysely';
import type { Account } from '../bank/index.ts';
import { badRequest, forbidden, noQuery, notFound, Problem, problemResponses } from '../http/index.ts';
import { maskIdentification } from '../policy/index.ts';
import { logPathPrefix } from '../translog/index.ts';
import { answerOAuthErrorsAsOAuth, badOAuthParameter, sendHtmlError, wantsHtml } from './client-errors.ts';
import { ACCESS_HISTORY_SCRIPT } from './history-client.ts';
import { accessHistoryPage } from './history-page.ts';
import { LoginPreSession } from './pre-session.ts';
import {
  type AccountAccessDetail,
  deviceKeyFingerprint,
  InvalidDetailError,
  parseAccountAccess,
} from './rar.ts';
import { receiptPage } from './receipt-page.ts';
import { customerReceipt, platformReceipt, readReceipt } from './receipts.ts';
import { consentDetailPage, consentPage, dashboardPage, htmlErrorPage, loginPage } from './screens.ts';
import type { ConsentService } from './service.ts';

const bankIdParam = {
  type: 'string',
  pattern: '^[a-z][a-z0-9-]{1,31}$',
  description: 'Bank (tenant) id',
} as const;
const uidParam = { type: 'string', pattern: '^[A-Za-z0-9_-]{8,64}$', description: 'Interaction id' } as const;
const consentIdParam = {
  type: 'string',
  pattern: '^cns_[A-Za-z0-9_-]{10,40}$',
  description: 'Consent id',
} as const;
const bankParams = {
  type: 'object',
  required: ['bankId'],
  properties: { bankId: bankIdParam },
  additionalProperties: false,
} as const;
const uidParams = {
  type: 'object',
  required: ['bankId', 'uid'],
  properties: { bankId: bankIdParam, uid: uidParam },
  additionalProperties: false,
} as const;
const consentParams = {
  type: 'object',
  required: ['bankId', 'consentId'],
  properties: { bankId: bankIdParam, consentId: consentIdParam },
  additionalProperties: false,
} as const;
const html = { 200: { type: 'string', description: 'HTML page' } } as const;
const csrfBody = {
  type: 'object',
  required: ['csrf'],
  properties: { csrf: { type: 'string', maxLength: 128 } },
  additionalProperties: false,
} as const;
const loginBody = {
  type: 'object',
  required: ['csrf', 'username', 'password', 'otp'],
  properties: {
    csrf: { type: 'string', maxLength: 128 },
    username: { type: 'string', maxLength: 64 },
    password: { type: 'string', maxLength: 256 },
    otp: { type: 'string', maxLength: 12 },
  },
  additionalProperties: false,
} as const;
const consentBody = {
  type: 'object',
  required: ['csrf', 'decision'],
  properties: {
    csrf: { type: 'string', maxLength: 128 },
    decision: { type: 'string', enum: ['approve', 'deny'] },
    account: {
      anyOf: [
        { type: 'string', maxLength: 40 },
        { type: 'array', maxItems: 50, items: { type: 'string', maxLength: 40 } },
      ],
    },
  },
  additionalProperties: false,
} as const;

/** The OAuth endpoints oidc-provider serves under each issuer. */
const PROVIDER_PATHS: [string, string][] = [
  ['/.well-known/openid-configuration', 'OpenID Provider metadata (FAPI 2.0): every endpoint and setting'],
  ['/request', 'Pushed authorization request (RFC 9126) — required'],
  ['/auth', 'Authorization endpoint (takes only request_uri from PAR)'],
  ['/auth/:uid', 'Authorization resume after login and consent'],
  ['/token', 'Token endpoint: private_key_jwt client authentication, DPoP proof required'],
  ['/token/revocation', 'Token revocation (RFC 7009); revoking any token ends the consent'],
  ['/jwks', 'ID token signing keys of this issuer'],
];

const SESSION_TTL_MS = 15 * 60_000;

/** The access-history page's script (same origin, so the page's CSP needs no inline script). */
export const ACCESS_HISTORY_SCRIPT_PATH = '/assets/access-history.js';
/** Where the dashboard login may send the customer afterwards. */
const AFTER_LOGIN = { 'connected-apps': 'connected-apps', 'access-history': 'access-history' } as const;
type AfterLogin = keyof typeof AFTER_LOGIN;

interface SessionTables {
  consent_customer_session: {
    digest: Uint8Array;
    bank_id: string;
    customer_id: string;
    csrf: string;
    created_at: Date;
    expires_at: Date;
  };
}

function sessionCookie(bankId: string): string {
  return `proviso_bank_${bankId}`;
}

/**
 * A cookie's value, or undefined when absent or not decodable: a malformed cookie is the
 * client's (or another site's) doing and reads as no cookie, never as an error.
 */
function readCookie(request: FastifyRequest, name: string): string | undefined {
  const raw = request.headers.cookie;
  if (!raw) return undefined;
  for (const part of raw.split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k !== name) continue;
    try {
      return decodeURIComponent(v.join('='));
    } catch {
      return undefined;
    }
  }
  return undefined;
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function accountLabel(a: Account): string {
  const kind =
    a.kind === 'current' ? 'Current account' : a.kind === 'savings' ? 'Savings account' : 'Credit card';
  return `${a.nickname} — ${kind}, ${a.currency}, ending ${String(maskIdentification(a.identification)).slice(-4)}`;
}

export async function consentRoutes(app: FastifyInstance, svc: ConsentService): Promise<void> {
  const db = svc.options.database.tables<SessionTables>();
  const secure = () => svc.options.publicUrl().startsWith('https:');

  function requireBank(bankId: string): void {
    if (!svc.options.banks.has(bankId)) throw notFound('bank', `no bank '${bankId}' is served here`);
  }

  // ---- the authorization server --------------------------------------------------------
  // Fastify reads the body (up to oidc-provider's own 56 KiB limit) so that the parameters
  // can be checked before oidc-provider sees them: a NUL, another control character or a
  // lone surrogate in an OAuth parameter is an invalid_request (RFC 6749), never a store
  // error and a server_error. oidc-provider then takes the body already read (req.body).
  await app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: 56 * 1024 }, (_request, body, done) =>
      done(null, body),
    );
    for (const [path, summary] of PROVIDER_PATHS) {
      scope.route({
        method:
          path.startsWith('/.well-known') || path === '/jwks' || path.startsWith('/auth')
            ? ['GET', 'POST']
            : ['POST'],
        url: `/banks/:bankId${path}`,
        // Checked below with the OAuth error format, not as a problem document.
        config: { textGuard: false },
        schema: {
          tags: ['consent'],
          summary,
          description:
            'Served by the OAuth 2.0 authorization server; errors follow RFC 6749 (`error`, `error_description`).',
          // Described by the issuer's OpenID/OAuth metadata (RFC 8414), not by this OpenAPI file.
          hide: true,
        },
        preHandler: async (request: FastifyRequest, reply: FastifyReply) => {
          const bankId = (request.params as { bankId: string }).bankId;
          if (!svc.options.banks.has(bankId)) return; // the handler answers with a 404 problem
          const raw = request.raw as typeof request.raw & { baseUrl?: string; body?: Buffer };
          const bad = badOAuthParameter(raw.url!, request.headers['content-type'], request.body);
          if (bad !== null) {
            const description = `${bad} holds a control character or a lone surrogate`;
            if (wantsHtml(request)) {
              return sendHtmlError(reply, svc.bankName(bankId), 'invalid_request', description);
            }
            return reply.code(400).send({ error: 'invalid_request', error_description: description });
          }
          const provider = await svc.provider(bankId);
          answerOAuthErrorsAsOAuth(provider);
          if (Buffer.isBuffer(request.body)) raw.body = request.body;
          // The mount as the client wrote it (the bank id may come percent-encoded).
          const written = /^\/banks\/[^/?]+/.exec(raw.url!)?.[0] ?? `/banks/${bankId}`;
          const prefix = `/banks/${bankId}`;
          raw.url = raw.url!.slice(written.length) || '/';
          raw.baseUrl = prefix;
          // Endpoint URLs (discovery, htu, aud) are always those of the public URL.
          const pub = new URL(svc.options.publicUrl());
          raw.headers['x-forwarded-host'] = pub.host;
          raw.headers['x-forwarded-proto'] = pub.protocol.slice(0, -1);
          reply.hijack();
          provider.callback()(raw, reply.raw);
        },
        handler: async (request) => {
          throw notFound('bank', `no bank '${(request.params as { bankId: string }).bankId}' is served here`);
        },
      });
    }
  });

  // ---- screens ----------------------------------------------------------------------------
  await app.register(async (scope) => {
    await scope.register(formbody, { bodyLimit: 16 * 1024 });

    const sendHtml = (
      reply: FastifyReply,
      body: string,
      status = 200,
      formTargets: string[] = [],
      scripts = false,
    ) => {
      // Pages carry no script, except access history: one same-origin file, and fetches of the log.
      const script = scripts ? "script-src 'self'; connect-src 'self'; " : '';
      const csp = `default-src 'none'; ${script}style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self' ${formTargets.join(' ')}; frame-ancestors 'none'; base-uri 'none'`;
      return reply
        .code(status)
        .header('content-security-policy', csp)
        .header('cache-control', 'no-store')
        .type('text/html; charset=utf-8')
        .send(body);
    };

    async function interactionCsrf(bankId: string, uid: string): Promise<string> {
      return createHmac('sha256', await svc.secret(bankId, 'cookie'))
        .update(`csrf:${uid}`)
        .digest('base64url');
    }

    async function startSession(reply: FastifyReply, bankId: string, customerId: string): Promise<void> {
      const id = randomBytes(32).toString('base64url');
      await db
        .insertInto('consent_customer_session')
        .values({
          digest: createHash('sha256').update(id).digest(),
          bank_id: bankId,
          customer_id: customerId,
          csrf: randomBytes(24).toString('base64url'),
          expires_at: new Date(Date.now() + SESSION_TTL_MS),
        } as never)
        .execute();
      reply.header(
        'set-cookie',
        `${sessionCookie(bankId)}=${id}; Path=/banks/${bankId}/; HttpOnly; SameSite=Lax; Max-Age=${SESSION_TTL_MS / 1000}${secure() ? '; Secure' : ''}`,
      );
    }

    async function session(request: FastifyRequest, bankId: string) {
      const id = readCookie(request, sessionCookie(bankId));
      if (!id || id.length > 64) return null;
      const row = await db
        .selectFrom('consent_customer_session')
        .selectAll()
        .where('digest', '=', createHash('sha256').update(id).digest())
        .where('bank_id', '=', bankId)
        .where('expires_at', '>', sql<Date>`now()`)
        .executeTakeFirst();
      return row ?? null;
    }

    const loginError = (r: { ok: false; reason: string }) =>
      r.reason === 'throttled'
        ? 'Too many failed attempts. For your security, logging in is paused for this username; try again in 15 minutes.'
        : 'The username, password or one-time code is not right. Check them and try again.';

    // Interaction: login or consent, whichever the authorization server asks for.
    scope.get<{ Params: { bankId: string; uid: string } }>(
      '/banks/:bankId/interaction/:uid',
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
        requireBank(bankId);
        const provider = await svc.provider(bankId);
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
              svc.bankName(bankId),
              'interaction_expired',
              'This linking request has expired or was already used. Start again from the app.',
            ),
            400,
          );
        }
        if (details.uid !== uid)
          throw badRequest(
            'interaction-mismatch',
            'this page does not belong to the current linking request',
          );
        const clientId = String(details.params['client_id']);
        const platformName = svc.platformName(clientId);
        const redirectOrigin = new URL(String(details.params['redirect_uri'])).origin;
        const csrf = await interactionCsrf(bankId, uid);
        if (details.prompt.name === 'login') {
          return sendHtml(
            reply,
            loginPage({
              bankName: svc.bankName(bankId),
              action: `/banks/${bankId}/interaction/${uid}/login`,
              csrf,
              heading: `Log in to ${svc.bankName(bankId)}`,
              intro: `${platformName} wants to connect to your ${svc.bankName(bankId)} accounts. Log in here, at your bank — never type these details into ${platformName}.`,
            }),
            200,
            [redirectOrigin],
          );
        }
        return renderConsent(reply, bankId, uid, details, csrf, redirectOrigin);
      },
    );

    async function renderConsent(
      reply: FastifyReply,
      bankId: string,
      uid: string,
      details: { params: Record<string, unknown>; session?: { accountId?: string } },
      csrf: string,
      redirectOrigin: string,
      error?: string,
    ) {
      const clientId = String(details.params['client_id']);
      const detail = requestedDetail(details.params);
      const customerId = details.session?.accountId;
      if (!customerId) throw badRequest('not-logged-in', 'log in first');
      await svc.store.request({
        bankId,
        clientId,
        interactionUid: uid,
        purposes: detail.purposes,
        clusters: detail.clusters,
        durationDays: detail.duration_days,
        deviceKey: detail.device_key,
      });
      const accounts = await svc.options.core(bankId).accounts(customerId);
      return sendHtml(
        reply,
        consentPage({
          bankName: svc.bankName(bankId),
          platformName: svc.platformName(clientId),
          action: `/banks/${bankId}/interaction/${uid}/consent`,
          csrf,
          purposes: detail.purposes,
          clusters: detail.clusters,
          durationDays: detail.duration_days,
          expiresOn: new Date(Date.now() + detail.duration_days * 86_400_000).toISOString().slice(0, 10),
          fingerprint: deviceKeyFingerprint(detail.device_key),
          accounts: accounts.map((a) => ({ id: a.id, label: accountLabel(a) })),
          revokeUrl: `/banks/${bankId}/connected-apps`,
          ...(error ? { error } : {}),
        }),
        error ? 400 : 200,
        [redirectOrigin],
      );
    }

    function requestedDetail(params: Record<string, unknown>): AccountAccessDetail {
      try {
        const raw = params['authorization_details'];
        const list = (typeof raw === 'string' ? JSON.parse(raw) : raw) as Record<string, unknown>[];
        if (!Array.isArray(list) || list.length !== 1)
          throw new InvalidDetailError('exactly one detail is required');
        return parseAccountAccess(list[0]!);
      } catch (error) {
        throw badRequest(
          'invalid-authorization-details',
          error instanceof Error ? error.message : 'invalid authorization_details',
        );
      }
    }

    scope.post<{
      Params: { bankId: string; uid: string };
      Body: { csrf: string; username: string; password: string; otp: string };
    }>(
      '/banks/:bankId/interaction/:uid/login',
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
        requireBank(bankId);
        if (!safeEqual(request.body.csrf, await interactionCsrf(bankId, uid)))
          throw forbidden('csrf', 'the form has expired; reload the page');
        const provider = await svc.provider(bankId);
        const details = await provider.interactionDetails(request.raw, reply.raw).catch(() => null);
        if (!details || details.uid !== uid || details.prompt.name !== 'login')
          throw badRequest(
            'interaction-mismatch',
            'this login does not belong to the current linking request',
          );
        const result = await svc.authenticator.authenticate({
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
              bankName: svc.bankName(bankId),
              action: `/banks/${bankId}/interaction/${uid}/login`,
              csrf: request.body.csrf,
              heading: `Log in to ${svc.bankName(bankId)}`,
              intro: `${svc.platformName(String(details.params['client_id']))} wants to connect to your accounts.`,
              error: loginError(result),
              username: request.body.username,
            }),
            result.reason === 'throttled' ? 429 : 401,
            [new URL(String(details.params['redirect_uri'])).origin],
          );
        }
        await startSession(reply, bankId, result.customerId);
        const to = await provider.interactionResult(
          request.raw,
          reply.raw,
          { login: { accountId: result.customerId } },
          { mergeWithLastSubmission: false },
        );
        return reply.code(303).header('location', to).send();
      },
    );

    scope.post<{
      Params: { bankId: string; uid: string };
      Body: { csrf: string; decision: 'approve' | 'deny'; account?: string | string[] };
    }>(
      '/banks/:bankId/interaction/:uid/consent',
      {
        schema: {
          tags: ['consent'],
          summary: 'Approve or deny a linking request, with the accounts picked',
          params: uidParams,
          querystring: noQuery,
          body: consentBody,
          response: {
            303: { type: 'null', description: 'Back to the platform' },
            ...html,
            ...problemResponses(400, 403, 404),
          },
        },
      },
      async (request, reply) => {
        const { bankId, uid } = request.params;
        requireBank(bankId);
        const csrf = await interactionCsrf(bankId, uid);
        if (!safeEqual(request.body.csrf, csrf))
          throw forbidden('csrf', 'the form has expired; reload the page');
        const provider = await svc.provider(bankId);
        const details = await provider.interactionDetails(request.raw, reply.raw).catch(() => null);
        if (
          !details ||
          details.uid !== uid ||
          details.prompt.name !== 'consent' ||
          !details.session?.accountId
        )
          throw badRequest(
            'interaction-mismatch',
            'this decision does not belong to the current linking request',
          );
        const customerId = details.session.accountId;
        const clientId = String(details.params['client_id']);
        const consent = await svc.store.byInteraction(uid);
        if (!consent || consent.clientId !== clientId || consent.status !== 'awaiting_authorisation')
          throw badRequest('consent-not-pending', 'this consent is no longer waiting for a decision');
        const redirectOrigin = new URL(String(details.params['redirect_uri'])).origin;
        if (request.body.decision === 'deny') {
          await svc.store.reject(consent.id, customerId);
          const to = await provider.interactionResult(
            request.raw,
            reply.raw,
            { error: 'access_denied', error_description: 'the customer did not allow access' },
            { mergeWithLastSubmission: false },
          );
          return reply.code(303).header('location', to).send();
        }
        const picked = [request.body.account ?? []].flat();
        const own = new Set((await svc.options.core(bankId).accounts(customerId)).map((a) => a.id));
        if (picked.length === 0 || picked.some((a) => !own.has(a))) {
          return renderConsent(
            reply,
            bankId,
            uid,
            details,
            csrf,
            redirectOrigin,
            'Pick at least one of your accounts, or choose "Do not allow".',
          );
        }
        const detail = requestedDetail(details.params);
        const grant = new provider.Grant({ accountId: customerId, clientId });
        grant.addOIDCScope('openid');
        grant.addResourceScope(svc.apiBase(bankId), 'accounts');
        grant.addRar({ ...detail, consent_id: consent.id, accounts: [...new Set(picked)] });
        const grantId = await grant.save();
        await svc.store.authorise(consent.id, customerId, [...new Set(picked)], grantId);
        const to = await provider.interactionResult(
          request.raw,
          reply.raw,
          { consent: { grantId } },
          { mergeWithLastSubmission: true },
        );
        return reply.code(303).header('location', to).send();
      },
    );

    // ---- connected apps (customer dashboard) ------------------------------------------------
    async function dashboardView(bankId: string, customerId: string, csrf: string, notice?: string) {
      const consents = await svc.store.forCustomer(bankId, customerId);
      return {
        bankName: svc.bankName(bankId),
        csrf,
        base: `/banks/${bankId}`,
        consents: consents.map((c) => ({ ...c, platformName: svc.platformName(c.clientId) })),
        ...(notice ? { notice } : {}),
      };
    }

    const preSession = new LoginPreSession({
      secret: (bankId) => svc.secret(bankId, 'cookie'),
      secure,
      maxAgeSeconds: SESSION_TTL_MS / 1000,
      readCookie,
    });

    async function dashboardLogin(
      request: FastifyRequest,
      reply: FastifyReply,
      bankId: string,
      status = 200,
      error?: string,
      username?: string,
      next: AfterLogin = 'connected-apps',
      rotate = false,
    ) {
      const history = next === 'access-history';
      const csrf = await preSession.token(request, reply, bankId, rotate);
      return sendHtml(
        reply,
        loginPage({
          bankName: svc.bankName(bankId),
          action: `/banks/${bankId}/connected-apps/login${history ? '?next=access-history' : ''}`,
          csrf,
          heading: history ? 'Log in to see your access history' : 'Log in to see your connected apps',
          intro: history
            ? 'See every time an app used your data, checked against the bank’s public log.'
            : 'See which apps can use your data, and stop any of them.',
          ...(error ? { error } : {}),
          ...(username ? { username } : {}),
        }),
        status,
      );
    }

    scope.get<{ Params: { bankId: string }; Querystring: { notice?: string } }>(
      '/banks/:bankId/connected-apps',
      {
        schema: {
          tags: ['consent'],
          summary: 'Connected apps: every active and past consent, with view and revoke',
          params: bankParams,
          querystring: {
            type: 'object',
            properties: { notice: { type: 'string', enum: ['revoked', 'renewed', 'device-removed'] } },
            additionalProperties: false,
          },
          response: { ...html, ...problemResponses(400, 404) },
        },
      },
      async (request, reply) => {
        const { bankId } = request.params;
        requireBank(bankId);
        const s = await session(request, bankId);
        if (!s) return dashboardLogin(request, reply, bankId);
        const notice = {
          revoked: 'Done: that app can no longer use your data.',
          renewed: 'Done: the consent was renewed.',
          'device-removed': "Done: the device key was removed and that app's access stopped.",
        }[request.query.notice ?? ''] as string | undefined;
        return sendHtml(reply, dashboardPage(await dashboardView(bankId, s.customer_id, s.csrf, notice)));
      },
    );

    scope.post<{
      Params: { bankId: string };
      Querystring: { next?: AfterLogin };
      Body: { csrf: string; username: string; password: string; otp: string };
    }>(
      '/banks/:bankId/connected-apps/login',
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
        requireBank(bankId);
        await preSession.check(request, bankId, request.body.csrf);
        const result = await svc.authenticator.authenticate({
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
          return dashboardLogin(
            request,
            reply,
            bankId,
            result.reason === 'throttled' ? 429 : 401,
            loginError(result),
            request.body.username,
            next,
            true,
          );
        preSession.end(reply, bankId);
        await startSession(reply, bankId, result.customerId);
        return reply.code(303).header('location', `/banks/${bankId}/${AFTER_LOGIN[next]}`).send();
      },
    );

    // ---- access history: the customer's own transparency-log entries, checked in the browser --
    scope.get<{ Params: { bankId: string } }>(
      '/banks/:bankId/access-history',
      {
        schema: {
          tags: ['consent'],
          summary:
            "Access history: the customer's own transparency-log entries, newest first, each checked by the browser against the signed checkpoint",
          params: bankParams,
          querystring: noQuery,
          response: { ...html, ...problemResponses(400, 404) },
        },
      },
      async (request, reply) => {
        const { bankId } = request.params;
        requireBank(bankId);
        const s = await session(request, bankId);
        if (!s) return dashboardLogin(request, reply, bankId, 200, undefined, undefined, 'access-history');
        const records = svc.options.accessHistory
          ? await svc.options.accessHistory(bankId, s.customer_id)
          : [];
        return sendHtml(
          reply,
          accessHistoryPage({
            bankName: svc.bankName(bankId),
            base: `/banks/${bankId}`,
            logPrefix: logPathPrefix(bankId),
            logKey: svc.options.logVerifierKey?.(bankId) ?? '',
            scriptUrl: ACCESS_HISTORY_SCRIPT_PATH,
            // The bank's own staff actions (fraud team) are logged with the bank as the actor.
            entries: records.map((r) => ({
              ...r,
              platformName:
                r.platform === bankId ? `${svc.bankName(bankId)} fraud team` : svc.platformName(r.platform),
            })),
          }),
          200,
          [],
          true,
        );
      },
    );

    scope.get(
      ACCESS_HISTORY_SCRIPT_PATH,
      {
        schema: {
          tags: ['consent'],
          summary: "The access-history page's script: checks inclusion proofs in the browser (WebCrypto)",
          querystring: noQuery,
          response: { 200: { type: 'string', description: 'JavaScript' } },
        },
      },
      async (_request, reply) =>
        reply
          .type('text/javascript; charset=utf-8')
          .header('cache-control', 'public, max-age=300')
          .send(ACCESS_HISTORY_SCRIPT),
    );

    async function sessionFor(request: FastifyRequest, bankId: string, csrf?: string) {
      requireBank(bankId);
      const s = await session(request, bankId);
      if (!s)
        throw new Problem(401, 'not-logged-in', 'Not logged in', 'log in to the connected-apps page first');
      if (csrf !== undefined && !safeEqual(csrf, s.csrf))
        throw forbidden('csrf', 'the form has expired; reload the page');
      return s;
    }

    async function ownConsent(bankId: string, consentId: string, customerId: string) {
      const c = await svc.store.get(consentId);
      if (!c || c.bankId !== bankId || c.customerId !== customerId)
        throw notFound('consent', 'no such consent among your connected apps');
      return c;
    }

    scope.post<{ Params: { bankId: string }; Body: { csrf: string } }>(
      '/banks/:bankId/connected-apps/logout',
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
        const s = await sessionFor(request, bankId, request.body.csrf);
        await db.deleteFrom('consent_customer_session').where('digest', '=', s.digest).execute();
        return reply
          .code(303)
          .header(
            'set-cookie',
            `${sessionCookie(bankId)}=; Path=/banks/${bankId}/; HttpOnly; SameSite=Lax; Max-Age=0`,
          )
          .header('location', `/banks/${bankId}/connected-apps`)
          .send();
      },
    );

    scope.get<{ Params: { bankId: string; consentId: string } }>(
      '/banks/:bankId/connected-apps/:consentId',
      {
        schema: {
          tags: ['consent'],
          summary: 'One connected app in detail',
          params: consentParams,
          querystring: noQuery,
          response: { ...html, ...problemResponses(400, 401, 404) },
        },
      },
      async (request, reply) => {
        const { bankId, consentId } = request.params;
        const s = await sessionFor(request, bankId);
        const c = await ownConsent(bankId, consentId, s.customer_id);
        const accounts = await svc.options.core(bankId).accounts(s.customer_id);
        const shared = accounts.filter((a) => c.accountIds.includes(a.id)).map(accountLabel);
        const view = await dashboardView(bankId, s.customer_id, s.csrf);
        return sendHtml(
          reply,
          consentDetailPage(view, { ...c, platformName: svc.platformName(c.clientId) }, shared),
        );
      },
    );

    async function signedCustomerReceipt(request: FastifyRequest, bankId: string, consentId: string) {
      const s = await sessionFor(request, bankId);
      const c = await ownConsent(bankId, consentId, s.customer_id);
      const accounts = (await svc.options.core(bankId).accounts(s.customer_id)).filter((a) =>
        c.accountIds.includes(a.id),
      );
      const jws = await customerReceipt(
        svc.options.keyStore,
        c,
        {
          issuer: svc.issuer(bankId),
          bankName: svc.bankName(bankId),
          platformName: svc.platformName(c.clientId),
        },
        accounts.map((a) => ({ id: a.id, label: accountLabel(a) })),
      );
      return { c, jws };
    }

    scope.get<{ Params: { bankId: string; consentId: string } }>(
      '/banks/:bankId/connected-apps/:consentId/receipt',
      {
        schema: {
          tags: ['consent'],
          summary: "The customer's signed consent receipt (JWS), for download and for programs",
          description:
            "Always the compact JWS (`application/jose`, typ `proviso-consent-receipt+jwt`, signed with the bank's Ed25519 key in its JWKS). The same receipt for people to read is at `…/receipt/view`.",
          params: consentParams,
          querystring: noQuery,
          response: {
            200: { type: 'string', description: 'Compact JWS, typ proviso-consent-receipt+jwt' },
            ...problemResponses(400, 401, 404),
          },
        },
      },
      async (request, reply) => {
        const { bankId, consentId } = request.params;
        const { c, jws } = await signedCustomerReceipt(request, bankId, consentId);
        return reply
          .type('application/jose')
          .header('content-disposition', `attachment; filename="consent-receipt-${c.id}.jws"`)
          .header('cache-control', 'no-store')
          .send(jws);
      },
    );

    scope.get<{ Params: { bankId: string; consentId: string } }>(
      '/banks/:bankId/connected-apps/:consentId/receipt/view',
      {
        schema: {
          tags: ['consent'],
          summary: 'The signed consent receipt as a page to read, with the JWS to download beside it',
          description:
            'Rendered from a freshly signed receipt: who receives which data, purposes, what it is never used for, duration, device key fingerprint and the signing key id.',
          params: consentParams,
          querystring: noQuery,
          response: { ...html, ...problemResponses(400, 401, 404) },
        },
      },
      async (request, reply) => {
        const { bankId, consentId } = request.params;
        const { c, jws } = await signedCustomerReceipt(request, bankId, consentId);
        return sendHtml(
          reply,
          receiptPage({
            bankName: svc.bankName(bankId),
            base: `/banks/${bankId}`,
            receipt: readReceipt(jws),
            jwsUrl: `/banks/${bankId}/connected-apps/${c.id}/receipt`,
            jwksUrl: `${svc.issuer(bankId)}/jwks.json`,
          }),
        );
      },
    );

    for (const action of ['revoke', 'renew', 'remove-device'] as const) {
      scope.post<{ Params: { bankId: string; consentId: string }; Body: { csrf: string } }>(
        `/banks/:bankId/connected-apps/:consentId/${action}`,
        {
          schema: {
            tags: ['consent'],
            summary: {
              revoke: 'Stop sharing: revoke the consent and its tokens, at once on every instance',
              renew: 'Reauthorise: extend the consent by its duration from today (max 365 days), same link',
              'remove-device': "Remove a lost device's key (ends the consent)",
            }[action],
            params: consentParams,
            querystring: noQuery,
            body: csrfBody,
            response: {
              303: { type: 'null', description: 'Back to connected apps' },
              ...problemResponses(400, 401, 403, 404, 409),
            },
          },
        },
        async (request, reply) => {
          const { bankId, consentId } = request.params;
          const s = await sessionFor(request, bankId, request.body.csrf);
          const c = await ownConsent(bankId, consentId, s.customer_id);
          try {
            if (action === 'revoke') await svc.revoke(c.id, 'customer');
            else if (action === 'renew') await svc.store.reauthorise(c.id, s.customer_id);
            else {
              await svc.store.removeDeviceKey(c.id, s.customer_id);
              await svc.revoke(c.id, 'customer');
            }
          } catch (error) {
            if (error instanceof Error && error.name === 'ConsentStateError')
              throw new Problem(409, 'consent-state', 'Not possible now', error.message);
            throw error;
          }
          const notice = action === 'revoke' ? 'revoked' : action === 'renew' ? 'renewed' : 'device-removed';
          return reply
            .code(303)
            .header('location', `/banks/${bankId}/connected-apps?notice=${notice}`)
            .send();
        },
      );
    }
  });

  // ---- platform side: receipt copy and DELETE ------------------------------------------------
  const platformHeaders = {
    type: 'object',
    properties: {
      authorization: { type: 'string', description: 'DPoP <access token>' },
      dpop: { type: 'string', description: 'DPoP proof for this request' },
    },
  } as const;

  async function platformConsent(request: FastifyRequest<{ Params: { bankId: string; consentId: string } }>) {
    const { bankId, consentId } = request.params;
    requireBank(bankId);
    const grant = await svc.access.authenticate({
      bankId,
      method: request.method,
      url: request.url,
      headers: request.headers,
    });
    if (grant.grantId !== consentId)
      throw forbidden('wrong-consent', 'this access token belongs to a different consent');
    const c = await svc.store.get(consentId);
    if (!c) throw notFound('consent', 'no such consent');
    return c;
  }

  app.get<{ Params: { bankId: string; consentId: string } }>(
    '/banks/:bankId/consents/:consentId/receipt',
    {
      schema: {
        tags: ['consent'],
        summary: "The platform's copy of the signed consent receipt (no account identifiers)",
        security: [{ dpop: [] }],
        params: consentParams,
        headers: platformHeaders,
        querystring: noQuery,
        response: {
          200: { type: 'string', description: 'Compact JWS, typ proviso-consent-receipt+jwt' },
          ...problemResponses(400, 401, 403, 404),
        },
      },
    },
    async (request, reply) => {
      const c = await platformConsent(request);
      const sub = await svc.pairwiseSubject(c.bankId, c.clientId, c.customerId ?? '');
      const jws = await platformReceipt(
        svc.options.keyStore,
        c,
        {
          issuer: svc.issuer(c.bankId),
          bankName: svc.bankName(c.bankId),
          platformName: svc.platformName(c.clientId),
        },
        sub,
      );
      return reply.type('application/jose').header('cache-control', 'no-store').send(jws);
    },
  );

  app.delete<{ Params: { bankId: string; consentId: string } }>(
    '/banks/:bankId/consents/:consentId',
    {
      schema: {
        tags: ['consent'],
        summary:
          'Platform-side revocation: ends the consent and its tokens on every instance before answering',
        security: [{ dpop: [] }],
        params: consentParams,
        headers: platformHeaders,
        querystring: noQuery,
        response: { 204: { type: 'null', description: 'Revoked' }, ...problemResponses(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      const c = await platformConsent(request);
      await svc.revoke(c.id, 'platform');
      return reply.code(204).send();
    },
  );
}
