// The payment approval interaction at the bank (beside the consent screens' login and consent
// interactions): the authorization server sends a merchant's payment_initiation request here.
// The page checks that the RAR detail is exactly the payment consent, authenticates the
// customer (password + code, or the code alone for a returning customer: the bank's own
// session cookie from linking or connected apps, plus a live checkout link), lets them pick
// the account, and records the decision on the payment consent and on an OAuth grant.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import formbody from '@fastify/formbody';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { sql } from 'kysely';
import {
  type ConsentService,
  htmlErrorPage,
  PAYMENT_INITIATION_TYPE,
  type PaymentInitiationDetail,
  parsePaymentInitiation,
} from '../consent/index.ts';
import { noQuery, notFound, problemResponses } from '../http/index.ts';
import { type ApprovalView, approvalLoginPage, approvalPage } from './approval-page.ts';
import type { ObInitiation } from './ob-mapping.ts';
import type { PaymentService } from './service.ts';
import type { ConsentRow } from './store.ts';

const params = {
  type: 'object',
  required: ['bankId', 'uid'],
  additionalProperties: false,
  properties: {
    bankId: { type: 'string', pattern: '^[a-z][a-z0-9-]{1,31}$' },
    uid: { type: 'string', pattern: '^[A-Za-z0-9_-]{10,64}$' },
  },
} as const;
const html = { 200: { type: 'string', description: 'HTML page' } } as const;
const redirect = {
  303: { type: 'null', description: 'Back to the merchant, or on to the account choice' },
} as const;

interface SessionTables {
  consent_customer_session: { digest: Uint8Array; bank_id: string; customer_id: string; expires_at: Date };
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function cookie(request: FastifyRequest, name: string): string | undefined {
  for (const part of (request.headers.cookie ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return v.join('=');
  }
  return undefined;
}

/** The detail matches the consent field by field (the merchant cannot show one thing and charge another). */
function matches(detail: PaymentInitiationDetail, consent: ConsentRow, merchantId: string): boolean {
  const init = consent.initiation as ObInitiation;
  return (
    consent.merchant_id === merchantId &&
    detail.instructedAmount.amount === init.InstructedAmount.Amount &&
    detail.instructedAmount.currency === init.InstructedAmount.Currency &&
    detail.creditorAccount.schemeName === init.CreditorAccount.SchemeName &&
    detail.creditorAccount.identification === init.CreditorAccount.Identification
  );
}

export async function approvalRoutes(
  app: FastifyInstance,
  o: { payments: PaymentService; consent: ConsentService },
): Promise<void> {
  const { payments, consent: svc } = o;
  const sessions = svc.options.database.tables<SessionTables>();
  await app.register(formbody, { bodyLimit: 16 * 1024 });

  const send = (reply: FastifyReply, body: string, status = 200, redirectOrigin = '') =>
    reply
      .code(status)
      .header(
        'content-security-policy',
        `default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self' ${redirectOrigin}; frame-ancestors 'none'; base-uri 'none'`,
      )
      .header('cache-control', 'no-store')
      .type('text/html; charset=utf-8')
      .send(body);

  async function csrfFor(bankId: string, uid: string): Promise<string> {
    return createHmac('sha256', await svc.secret(bankId, 'cookie'))
      .update(`payment-csrf:${uid}`)
      .digest('base64url');
  }

  /** The customer this browser is logged in as at this bank (the consent screens' own session), if any. */
  async function bankSession(request: FastifyRequest, bankId: string): Promise<string | null> {
    const id = cookie(request, `proviso_bank_${bankId}`);
    if (!id || id.length > 64) return null;
    const row = await sessions
      .selectFrom('consent_customer_session')
      .select('customer_id')
      .where('digest', '=', createHash('sha256').update(id).digest())
      .where('bank_id', '=', bankId)
      .where('expires_at', '>', sql<Date>`now()`)
      .executeTakeFirst();
    return row?.customer_id ?? null;
  }

  /** The pending interaction, its payment detail and the consent it names, all checked. */
  async function pending(request: FastifyRequest, reply: FastifyReply, bankId: string, uid: string) {
    if (!svc.options.banks.has(bankId)) throw notFound('bank', `no bank '${bankId}' is served here`);
    const provider = await svc.provider(bankId);
    const details = await provider.interactionDetails(request.raw, reply.raw).catch(() => null);
    if (!details || details.uid !== uid)
      return {
        error: 'This payment request has expired or was already used. Go back to the shop and try again.',
      } as const;
    const clientId = String(details.params['client_id']);
    let detail: PaymentInitiationDetail;
    try {
      const list = JSON.parse(String(details.params['authorization_details'] ?? '[]')) as Record<
        string,
        unknown
      >[];
      const found = list.find((d) => d['type'] === PAYMENT_INITIATION_TYPE);
      if (!found) throw new Error();
      detail = parsePaymentInitiation(found);
    } catch {
      return { error: 'This payment request is not one the bank can show.' } as const;
    }
    await payments.store.rejectExpired(bankId, detail.consent_id);
    const consent = await payments.store.consent(bankId, detail.consent_id);
    if (!consent || !matches(detail, consent, clientId))
      return { error: 'This payment request does not match the payment the shop set up.' } as const;
    if (consent.status !== 'AwaitingAuthorisation')
      return {
        error:
          consent.status === 'Rejected'
            ? 'This payment was not approved in time, or was declined. Go back to the shop and try again.'
            : 'This payment has already been approved.',
      } as const;
    const redirectOrigin = new URL(String(details.params['redirect_uri'])).origin;
    return { provider, details, detail, consent, clientId, redirectOrigin } as const;
  }

  async function view(
    bankId: string,
    uid: string,
    consent: ConsentRow,
    detail: PaymentInitiationDetail,
    customerId: string | null,
    askCode: boolean,
    error?: string,
  ): Promise<ApprovalView> {
    const accounts = customerId
      ? (await svc.options.core(bankId).accounts(customerId))
          .filter((a) => a.currency === consent.currency && a.kind !== 'savings')
          // The current account first: the usual way to pay; a credit card is the second choice.
          .sort((a, b) => Number(a.kind !== 'current') - Number(b.kind !== 'current'))
          .map((a) => ({ id: a.id, label: `${a.nickname} ••${a.identification.slice(-4)}` }))
      : [];
    const init = consent.initiation as ObInitiation;
    return {
      bankName: svc.bankName(bankId),
      merchantName: payments.merchant(consent.merchant_id)?.tradingName ?? detail.creditorName,
      amount: consent.amount,
      currency: consent.currency,
      orderReference: consent.order_reference,
      description: init.RemittanceInformation?.Unstructured,
      csrf: await csrfFor(bankId, uid),
      action: `/banks/${bankId}/payment-approval/${uid}`,
      accounts,
      askCode,
      error,
    };
  }

  /**
   * Who approves, and whether the one-time code is still to be typed. Logged in with password
   * and code within this very request: no more. Known to the bank already (the authorization
   * server's session, or the bank's own session cookie with a live checkout link): the code
   * alone, on the approval form itself, so the authentication is bound to this payment.
   */
  async function approver(
    request: FastifyRequest,
    bankId: string,
    details: {
      session?: { accountId?: string } | undefined;
      lastSubmission?: Record<string, unknown> | undefined;
    },
  ) {
    const fresh = (details.lastSubmission?.['login'] as { accountId?: string } | undefined)?.accountId;
    if (fresh && fresh === details.session?.accountId) return { customerId: fresh, askCode: false };
    if (details.session?.accountId) return { customerId: details.session.accountId, askCode: true };
    const known = await bankSession(request, bankId);
    if (known && (await payments.checkoutLink(bankId, known))) return { customerId: known, askCode: true };
    return null;
  }

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
      if ('error' in p)
        return send(
          reply,
          htmlErrorPage(svc.bankName(bankId), 'payment_request_invalid', p.error ?? ''),
          400,
        );
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
      if ('error' in p)
        return send(
          reply,
          htmlErrorPage(svc.bankName(bankId), 'payment_request_invalid', p.error ?? ''),
          400,
        );
      if (!safeEqual(request.body.csrf, await csrfFor(bankId, uid)))
        return send(
          reply,
          htmlErrorPage(svc.bankName(bankId), 'csrf', 'The form has expired; reload the page.'),
          403,
        );
      const result = await svc.authenticator.authenticate({
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
      if ('error' in p)
        return send(
          reply,
          htmlErrorPage(svc.bankName(bankId), 'payment_request_invalid', p.error ?? ''),
          400,
        );
      if (!safeEqual(request.body.csrf, await csrfFor(bankId, uid)))
        return send(
          reply,
          htmlErrorPage(svc.bankName(bankId), 'csrf', 'The form has expired; reload the page.'),
          403,
        );
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
        const confirmed = svc.authenticator.confirmCode
          ? await svc.authenticator.confirmCode({
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
      const own = (await svc.options.core(bankId).accounts(who.customerId)).find(
        (a) => a.id === request.body.account,
      );
      if (!own || own.currency !== p.consent.currency || own.kind === 'savings')
        return again('Choose one of your accounts to pay from.', 400);
      const approved = await payments.approve(bankId, p.consent.id, who.customerId, own.id);
      const grant = new p.provider.Grant({ accountId: who.customerId, clientId: p.clientId });
      grant.addOIDCScope('openid');
      grant.addResourceScope(svc.paymentsBase(bankId), 'payments');
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
