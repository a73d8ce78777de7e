// The payment approval interaction at the bank (beside the consent screens' login and consent
// interactions): the authorization server sends a merchant's payment_initiation request here.
// The page checks that the RAR detail is exactly the payment consent, authenticates the
// customer (password + code, or the code alone for a returning customer), lets them pick the
// account, and records the decision on the payment consent and on an OAuth grant.
import formbody from '@fastify/formbody';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { type ConsentService, htmlErrorPage, wantsHtml } from '../consent/index.ts';
import { constantTimeEqual, noQuery, Problem, problemResponses } from '../http/index.ts';
import { approvalKit, html, params, redirect } from './approval-kit.ts';
import { approvalLoginPage, approvalPage } from './approval-page.ts';
import type { PaymentService } from './service.ts';

export async function approvalRoutes(
  app: FastifyInstance,
  parts: { payments: PaymentService; consent: ConsentService },
): Promise<void> {
  const { payments, consent: consentService } = parts;
  const { send, csrfFor, pending, view, approver } = approvalKit(parts);
  await app.register(formbody, { bodyLimit: 16 * 1024 });

  /** A browser gets the bank's error page; a client asking for JSON, the problem document. */
  function refuse(
    request: FastifyRequest,
    reply: FastifyReply,
    bankId: string,
    refusal: { status: 400 | 403; type: string; title: string; code: string; detail: string },
  ) {
    if (!wantsHtml(request)) throw new Problem(refusal.status, refusal.type, refusal.title, refusal.detail);
    return send(
      reply,
      htmlErrorPage(consentService.bankName(bankId), refusal.code, refusal.detail),
      refusal.status,
    );
  }
  const invalidRequest = (detail: string) =>
    ({
      status: 400,
      type: 'payment-request-invalid',
      title: 'Payment request invalid',
      code: 'payment_request_invalid',
      detail,
    }) as const;
  const expiredForm = {
    status: 403,
    type: 'csrf-invalid',
    title: 'Form expired',
    code: 'csrf',
    detail: 'The form has expired; reload the page.',
  } as const;

  app.get<{ Params: { bankId: string; uid: string } }>(
    '/banks/:bankId/payment-approval/:uid',
    {
      schema: {
        tags: ['payments'],
        summary: "The bank's payment approval screen (a merchant's payment_initiation request)",
        params,
        querystring: noQuery,
        response: { ...html, ...problemResponses(400, 404) },
      },
    },
    async (request, reply) => {
      const { bankId, uid } = request.params;
      const p = await pending(request, reply, bankId, uid);
      if ('error' in p) return refuse(request, reply, bankId, invalidRequest(p.error ?? ''));
      const who = await approver(request, bankId, p.details);
      const v = await view(bankId, uid, p.consent, p.detail, who?.customerId ?? null, who?.askCode ?? false);
      return send(reply, who ? approvalPage(v) : approvalLoginPage(v), 200, p.redirectOrigin);
    },
  );

  app.post<{
    Params: { bankId: string; uid: string };
    Body: { csrf: string; username: string; password: string; otp: string };
  }>(
    '/banks/:bankId/payment-approval/:uid/login',
    {
      schema: {
        tags: ['payments'],
        summary: 'Log in to approve a payment (password + one-time code)',
        params,
        querystring: noQuery,
        body: {
          type: 'object',
          required: ['csrf', 'username', 'password', 'otp'],
          additionalProperties: false,
          properties: {
            csrf: { type: 'string', maxLength: 128 },
            username: { type: 'string', maxLength: 64 },
            password: { type: 'string', maxLength: 256 },
            otp: { type: 'string', maxLength: 12 },
          },
        },
        response: { ...redirect, ...html, ...problemResponses(400, 403, 404) },
      },
    },
    async (request, reply) => {
      const { bankId, uid } = request.params;
      const p = await pending(request, reply, bankId, uid);
      if ('error' in p) return refuse(request, reply, bankId, invalidRequest(p.error ?? ''));
      if (!constantTimeEqual(request.body.csrf, await csrfFor(bankId, uid)))
        return refuse(request, reply, bankId, expiredForm);
      const result = await consentService.authenticator.authenticate({
        bankId,
        username: request.body.username,
        password: request.body.password,
        otp: request.body.otp,
        ip: request.ip,
      });
      if (!result.ok) {
        const v = await view(
          bankId,
          uid,
          p.consent,
          p.detail,
          null,
          false,
          result.reason === 'throttled'
            ? 'Too many failed attempts. Logging in is paused for this username; try again in 15 minutes.'
            : 'The username, password or one-time code is not right. Check them and try again.',
        );
        return send(reply, approvalLoginPage(v), result.reason === 'throttled' ? 429 : 401, p.redirectOrigin);
      }
      const to = await p.provider.interactionResult(
        request.raw,
        reply.raw,
        { login: { accountId: result.customerId } },
        { mergeWithLastSubmission: false },
      );
      return reply.code(303).header('location', to).send();
    },
  );

  app.post<{
    Params: { bankId: string; uid: string };
    Body: { csrf: string; decision: 'approve' | 'decline'; account?: string; otp?: string };
  }>(
    '/banks/:bankId/payment-approval/:uid/decide',
    {
      schema: {
        tags: ['payments'],
        summary: 'Approve (with the account to pay from) or decline a payment',
        params,
        querystring: noQuery,
        body: {
          type: 'object',
          required: ['csrf', 'decision'],
          additionalProperties: false,
          properties: {
            csrf: { type: 'string', maxLength: 128 },
            decision: { type: 'string', enum: ['approve', 'decline'] },
            account: { type: 'string', maxLength: 64 },
            otp: { type: 'string', maxLength: 12 },
          },
        },
        response: { ...redirect, ...html, ...problemResponses(400, 403, 404) },
      },
    },
    async (request, reply) => {
      const { bankId, uid } = request.params;
      const p = await pending(request, reply, bankId, uid);
      if ('error' in p) return refuse(request, reply, bankId, invalidRequest(p.error ?? ''));
      if (!constantTimeEqual(request.body.csrf, await csrfFor(bankId, uid)))
        return refuse(request, reply, bankId, expiredForm);
      const who = await approver(request, bankId, p.details);
      if (request.body.decision === 'decline') {
        await payments.decline(bankId, p.consent.id, who?.customerId ?? null);
        const to = await p.provider.interactionResult(
          request.raw,
          reply.raw,
          { error: 'access_denied', error_description: 'the customer declined the payment' },
          { mergeWithLastSubmission: false },
        );
        return reply.code(303).header('location', to).send();
      }
      if (!who)
        return send(
          reply,
          approvalLoginPage(await view(bankId, uid, p.consent, p.detail, null, false, 'Log in first.')),
          401,
          p.redirectOrigin,
        );
      const again = (error: string, status: number) =>
        view(bankId, uid, p.consent, p.detail, who.customerId, who.askCode, error).then((v) =>
          send(reply, approvalPage(v), status, p.redirectOrigin),
        );
      if (who.askCode) {
        const confirmed = consentService.authenticator.confirmCode
          ? await consentService.authenticator.confirmCode({
              bankId,
              customerId: who.customerId,
              otp: request.body.otp ?? '',
              ip: request.ip,
            })
          : ({ ok: false, reason: 'invalid' } as const);
        if (!confirmed.ok)
          return again(
            'The one-time code is not right. Type the code your authenticator app shows now.',
            401,
          );
      }
      const own = (await consentService.options.core(bankId).accounts(who.customerId)).find(
        (a) => a.id === request.body.account,
      );
      if (!own || own.currency !== p.consent.currency || own.kind === 'savings')
        return again('Choose one of your accounts to pay from.', 400);
      const approved = await payments.approve(bankId, p.consent.id, who.customerId, own.id);
      const grant = new p.provider.Grant({ accountId: who.customerId, clientId: p.clientId });
      grant.addOIDCScope('openid');
      grant.addResourceScope(consentService.paymentsBase(bankId), 'payments');
      grant.addRar({ ...p.detail, consent_id: approved.id });
      const grantId = await grant.save();
      const result = p.details.session?.accountId
        ? { consent: { grantId } }
        : { login: { accountId: who.customerId }, consent: { grantId } };
      const to = await p.provider.interactionResult(request.raw, reply.raw, result, {
        mergeWithLastSubmission: true,
      });
      return reply.code(303).header('location', to).send();
    },
  );
}
