// What the payment approval routes (approval.ts) share: the page sender (strict CSP), the
// interaction's CSRF token, the pending request checked against its payment consent, the view,
// and who approves — a customer who just logged in, or one the bank already knows (its own
// session cookie with a live checkout link, or the authorization server's session), who then
// types the one-time code alone.
import { createHash, createHmac } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { sql } from 'kysely';
import {
  type ConsentService,
  PAYMENT_INITIATION_TYPE,
  type PaymentInitiationDetail,
  parsePaymentInitiation,
} from '../consent/index.ts';
import { notFound } from '../http/index.ts';
import type { ApprovalView } from './approval-page.ts';
import type { ObInitiation } from './ob-mapping.ts';
import type { PaymentService } from './service.ts';
import type { ConsentRow } from './store.ts';

export const params = {
  type: 'object',
  required: ['bankId', 'uid'],
  additionalProperties: false,
  properties: {
    bankId: { type: 'string', pattern: '^[a-z][a-z0-9-]{1,31}$' },
    uid: { type: 'string', pattern: '^[A-Za-z0-9_-]{10,64}$' },
  },
} as const;
export const html = { 200: { type: 'string', description: 'HTML page' } } as const;
export const redirect = {
  303: { type: 'null', description: 'Back to the merchant, or on to the account choice' },
} as const;

interface SessionTables {
  consent_customer_session: { digest: Uint8Array; bank_id: string; customer_id: string; expires_at: Date };
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

/** What the approval routes share: page sending, CSRF, the pending request, the view, who approves. */
export type ApprovalKit = ReturnType<typeof approvalKit>;

export function approvalKit(parts: { payments: PaymentService; consent: ConsentService }) {
  const { payments, consent: consentService } = parts;
  const sessions = consentService.options.database.tables<SessionTables>();
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
    return createHmac('sha256', await consentService.secret(bankId, 'cookie'))
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
    if (!consentService.options.banks.has(bankId))
      throw notFound('bank', `no bank '${bankId}' is served here`);
    const provider = await consentService.provider(bankId);
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
      ? (await consentService.options.core(bankId).accounts(customerId))
          .filter((a) => a.currency === consent.currency && a.kind !== 'savings')
          // The current account first: the usual way to pay; a credit card is the second choice.
          .sort((a, b) => Number(a.kind !== 'current') - Number(b.kind !== 'current'))
          .map((a) => ({ id: a.id, label: `${a.nickname} ••${a.identification.slice(-4)}` }))
      : [];
    const init = consent.initiation as ObInitiation;
    return {
      bankName: consentService.bankName(bankId),
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

  return { send, csrfFor, pending, view, approver };
}
