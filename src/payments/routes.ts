// The Payment Initiation API (UK OB v3.1 shapes) under /banks/{bankId}/open-banking/v3.1/pisp,
// plus the platform's funds attestation. The merchant is authenticated before the body is read
// (onRequest); its detached x-jws-signature is checked over the exact body bytes before the
// idempotency key is looked at; every answer with a body carries the bank's x-jws-signature.
import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { badRequest, noQuery, notFound, Problem, problemResponses } from '../http/index.ts';
import type { Authenticated, ReleasePath } from '../release/index.ts';
import { releaseFundsAnswer } from './funds.ts';
import { JwsSignatureError, signDetached, verifyDetachedJws } from './jws.ts';
import { consentResponse, fundsConfirmationResponse, paymentResponse } from './ob-mapping.ts';
import {
  consentBody,
  consentResponseSchema,
  fundsConfirmationSchema,
  paymentBody,
  paymentResponseSchema,
  pisHeaders,
  pisWriteHeaders,
  refundBody,
  refundResponseSchema,
} from './schemas.ts';
import type { ConsentInput, PaymentInput, PaymentService } from './service.ts';
import type { MerchantCaller, MerchantTokens } from './tokens.ts';

export const PISP_PREFIX = '/banks/:bankId/open-banking/v3.1/pisp';
const BANK_ID = { type: 'string', pattern: '^[a-z][a-z0-9-]{1,31}$' } as const;
const ID = { type: 'string', pattern: '^[A-Za-z0-9_-]{1,64}$' } as const;
const params = (...ids: string[]) =>
  ({
    type: 'object',
    required: ['bankId', ...ids],
    additionalProperties: false,
    properties: { bankId: BANK_ID, ...Object.fromEntries(ids.map((i) => [i, ID])) },
  }) as const;
const tags = ['payments'];
const security = [{ dpop: [] }];

interface PaymentRequestState {
  merchant?: MerchantCaller;
  rawBody?: string;
}

export interface PaymentRoutesOptions {
  service: PaymentService;
  tokens: MerchantTokens;
  banks: ReadonlySet<string>;
  publicUrl(): string;
}

const state = (request: FastifyRequest) => request as unknown as PaymentRequestState;

export async function paymentRoutes(app: FastifyInstance, o: PaymentRoutesOptions): Promise<void> {
  const { service } = o;
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser(
    'application/json',
    { parseAs: 'string', bodyLimit: 64 * 1024 },
    (request, body, done) => {
      state(request).rawBody = String(body);
      try {
        done(null, JSON.parse(String(body)));
      } catch {
        done(badRequest('malformed-json', 'the body is not valid JSON'), undefined);
      }
    },
  );

  // Authenticate before parsing: token, DPoP proof, merchant.
  app.addHook('onRequest', async (request) => {
    const bankId = (request.params as { bankId?: string }).bankId ?? '';
    if (!o.banks.has(bankId)) throw notFound('bank', `no bank '${bankId}' is served here`);
    state(request).merchant = await o.tokens.authenticate(
      bankId,
      request.method,
      request.url,
      request.headers,
    );
  });

  // The bank signs every answer it gives (non-repudiation, OB x-jws-signature).
  app.addHook('onSend', async (request, reply, payload) => {
    if (typeof payload !== 'string' || payload.length === 0) return payload;
    const bankId = (request.params as { bankId: string }).bankId;
    reply.header(
      'x-jws-signature',
      await signDetached(payload, service.options.consent.issuer(bankId), await service.signer(bankId)),
    );
    const interaction = request.headers['x-fapi-interaction-id'];
    if (typeof interaction === 'string') reply.header('x-fapi-interaction-id', interaction);
    return payload;
  });

  const self = (request: FastifyRequest, path: string) =>
    `${o.publicUrl()}/banks/${(request.params as { bankId: string }).bankId}/open-banking/v3.1/pisp${path}`;

  async function verifySignature(request: FastifyRequest, merchantId: string): Promise<void> {
    const merchant = service.merchant(merchantId)!;
    try {
      await verifyDetachedJws(
        state(request).rawBody ?? '',
        String(request.headers['x-jws-signature']),
        merchant.jwks,
        merchantId,
      );
    } catch (error) {
      if (error instanceof JwsSignatureError) throw badRequest('jws-signature-invalid', error.message);
      throw error;
    }
  }

  /** Runs `work` once per (merchant, route, x-idempotency-key); the same body again gets the first answer. */
  async function idempotent(
    request: FastifyRequest,
    reply: FastifyReply,
    route: string,
    work: () => Promise<{ status: number; body: unknown; headers?: Record<string, string> }>,
  ) {
    const bankId = (request.params as { bankId: string }).bankId;
    const merchantId = state(request).merchant!.merchantId;
    const key = String(request.headers['x-idempotency-key']);
    const digest = createHash('sha256')
      .update(state(request).rawBody ?? '')
      .digest();
    const previous = await service.store.claimKey(bankId, merchantId, route, key, digest);
    if (previous) {
      if (!digest.equals(Buffer.from(previous.body_sha256)))
        throw new Problem(
          422,
          'idempotency-key-reused',
          'Idempotency key reused',
          'this x-idempotency-key was used with another body',
        );
      if (previous.status_code === null)
        throw new Problem(
          409,
          'idempotent-request-in-flight',
          'Request in progress',
          'the first request with this key is still being processed',
        );
      reply.headers((previous.headers ?? {}) as Record<string, string>);
      if (previous.status_code >= 400) reply.type('application/problem+json');
      return reply.code(previous.status_code).send(previous.response);
    }
    let answer: { status: number; body: unknown; headers: Record<string, string> };
    try {
      const done = await work();
      answer = { status: done.status, body: done.body, headers: done.headers ?? {} };
    } catch (error) {
      if (!(error instanceof Problem) || error.status >= 500 || error.status === 409) {
        await service.store.releaseKey(bankId, merchantId, route, key);
        throw error;
      }
      answer = { status: error.status, body: error.toDocument(), headers: error.headers };
    }
    await service.store.finishKey(bankId, merchantId, route, key, {
      statusCode: answer.status,
      response: answer.body,
      headers: answer.headers,
    });
    reply.headers(answer.headers);
    if (answer.status >= 400) reply.type('application/problem+json');
    return reply.code(answer.status).send(answer.body);
  }

  app.post<{ Params: { bankId: string }; Body: ConsentInput }>(
    '/domestic-payment-consents',
    {
      schema: {
        tags,
        security,
        summary: 'Create a domestic payment consent (merchant, client-credentials token)',
        description:
          'UK OB OBWriteDomesticConsent4 without DebtorAccount (the customer chooses at the bank). Problems: ' +
          'jws-signature-invalid (400), creditor-not-merchant (403), currency-not-supported, amount-not-supported, ' +
          'idempotency-key-reused (422), idempotent-request-in-flight (409).',
        params: params(),
        querystring: noQuery,
        headers: pisWriteHeaders,
        body: consentBody,
        response: { 201: consentResponseSchema, ...problemResponses(400, 401, 403, 404, 409, 422) },
      },
    },
    async (request, reply) => {
      const merchantId = state(request).merchant!.merchantId;
      await verifySignature(request, merchantId);
      return idempotent(request, reply, 'consent', async () => {
        const row = await service.createConsent(request.params.bankId, merchantId, request.body);
        return {
          status: 201,
          body: consentResponse(row, self(request, `/domestic-payment-consents/${row.id}`)),
        };
      });
    },
  );

  app.get<{ Params: { bankId: string; ConsentId: string } }>(
    '/domestic-payment-consents/:ConsentId',
    {
      schema: {
        tags,
        security,
        summary: 'Read a domestic payment consent',
        params: params('ConsentId'),
        querystring: noQuery,
        headers: pisHeaders,
        response: { 200: consentResponseSchema, ...problemResponses(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const row = await service.consentFor(
        request.params.bankId,
        state(request).merchant!.merchantId,
        request.params.ConsentId,
      );
      return consentResponse(row, self(request, `/domestic-payment-consents/${row.id}`));
    },
  );

  app.get<{ Params: { bankId: string; ConsentId: string } }>(
    '/domestic-payment-consents/:ConsentId/funds-confirmation',
    {
      schema: {
        tags,
        security,
        summary: 'Funds confirmation for an authorised consent: yes or no, never a balance',
        description:
          'Authorization-code token of that consent. Problems: token-not-for-consent (403), payment-consent-not-found (404), consent-not-authorised (409).',
        params: params('ConsentId'),
        querystring: noQuery,
        headers: pisHeaders,
        response: { 200: fundsConfirmationSchema, ...problemResponses(400, 401, 403, 404, 409, 410) },
      },
    },
    async (request) => {
      const caller = state(request).merchant!;
      const { bankId, ConsentId } = request.params;
      if (caller.consentId !== ConsentId)
        throw new Problem(
          403,
          'token-not-for-consent',
          'Not allowed',
          'this access token was approved for another payment consent',
        );
      const consent = await service.consentFor(bankId, caller.merchantId, ConsentId);
      if (consent.status !== 'Authorised')
        throw new Problem(
          409,
          'consent-not-authorised',
          'Consent not usable',
          `the payment consent is ${consent.status}`,
        );
      const available = await service.fundsForConsent(consent);
      return fundsConfirmationResponse(
        available,
        self(request, `/domestic-payment-consents/${ConsentId}/funds-confirmation`),
      );
    },
  );

  app.post<{ Params: { bankId: string }; Body: PaymentInput }>(
    '/domestic-payments',
    {
      schema: {
        tags,
        security,
        summary: 'Make the payment the customer approved (authorization-code token of that consent)',
        description:
          'Answers 201 with the payment and an `x-proviso-payment-confirmation` header (compact JWS by the bank). ' +
          'Refused payments: 422 insufficient-funds or account-blocked, with DomesticPaymentId (status Rejected); no balance is revealed. ' +
          'Other problems: jws-signature-invalid, payment-does-not-match-consent (400), token-not-for-consent (403), ' +
          'consent-not-authorised (409), payment-consent-expired (410), idempotency-key-reused (422).',
        params: params(),
        querystring: noQuery,
        headers: pisWriteHeaders,
        body: paymentBody,
        response: { 201: paymentResponseSchema, ...problemResponses(400, 401, 403, 404, 409, 410, 422) },
      },
    },
    async (request, reply) => {
      const caller = state(request).merchant!;
      await verifySignature(request, caller.merchantId);
      return idempotent(request, reply, 'payment', async () => {
        const done = await service.execute(
          request.params.bankId,
          caller.merchantId,
          caller.consentId,
          request.body,
        );
        return {
          status: 201,
          body: paymentResponse(
            done.payment,
            done.consent,
            self(request, `/domestic-payments/${done.payment.id}`),
          ),
          headers: { 'x-proviso-payment-confirmation': done.confirmation },
        };
      });
    },
  );

  app.get<{ Params: { bankId: string; DomesticPaymentId: string } }>(
    '/domestic-payments/:DomesticPaymentId',
    {
      schema: {
        tags,
        security,
        summary: 'Read a domestic payment',
        params: params('DomesticPaymentId'),
        querystring: noQuery,
        headers: pisHeaders,
        response: { 200: paymentResponseSchema, ...problemResponses(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const { payment, consent } = await service.paymentFor(
        request.params.bankId,
        state(request).merchant!.merchantId,
        request.params.DomesticPaymentId,
      );
      return paymentResponse(payment, consent, self(request, `/domestic-payments/${payment.id}`));
    },
  );

  app.get<{ Params: { bankId: string; DomesticPaymentId: string } }>(
    '/domestic-payments/:DomesticPaymentId/proviso-confirmation',
    {
      schema: {
        tags,
        security,
        summary: 'Proviso extension: the signed payment confirmation again',
        params: params('DomesticPaymentId'),
        querystring: noQuery,
        headers: pisHeaders,
        response: {
          200: {
            type: 'object',
            required: ['confirmation'],
            additionalProperties: false,
            properties: {
              confirmation: { type: 'string', description: 'Compact JWS, typ proviso-payment+jwt' },
            },
          },
          ...problemResponses(400, 401, 403, 404),
        },
      },
    },
    async (request) => {
      const { payment } = await service.paymentFor(
        request.params.bankId,
        state(request).merchant!.merchantId,
        request.params.DomesticPaymentId,
      );
      if (!payment.confirmation)
        throw notFound('payment-confirmation', 'a rejected payment has no confirmation');
      return { confirmation: payment.confirmation };
    },
  );

  app.post<{
    Params: { bankId: string; DomesticPaymentId: string };
    Body: { Data: { Amount: { Amount: string; Currency: string }; Reference: string } };
  }>(
    '/domestic-payments/:DomesticPaymentId/proviso-refunds',
    {
      schema: {
        tags,
        security,
        summary:
          'Proviso extension: refund a payment to the account that paid (merchant, client credentials)',
        description:
          'UK OB PIS has no merchant refund; this books a credit back to the account that paid and seals a refund receipt to the customer device. ' +
          'Answers with x-proviso-refund-confirmation (compact JWS). Problems: payment-not-refundable (409), refund-exceeds-payment, idempotency-key-reused (422).',
        params: params('DomesticPaymentId'),
        querystring: noQuery,
        headers: pisWriteHeaders,
        body: refundBody,
        response: { 201: refundResponseSchema, ...problemResponses(400, 401, 403, 404, 409, 422) },
      },
    },
    async (request, reply) => {
      const caller = state(request).merchant!;
      await verifySignature(request, caller.merchantId);
      const { bankId, DomesticPaymentId } = request.params;
      return idempotent(request, reply, `refund:${DomesticPaymentId}`, async () => {
        const { Amount, Reference } = request.body.Data;
        const done = await service.refund(bankId, caller.merchantId, DomesticPaymentId, Amount, Reference);
        return {
          status: 201,
          body: {
            Data: {
              RefundId: done.refund.id,
              DomesticPaymentId,
              Status: 'AcceptedSettlementCompleted',
              Amount,
              Reference,
              CreationDateTime: done.createdAt.toISOString(),
            },
            Links: {
              Self: self(
                request,
                `/domestic-payments/${DomesticPaymentId}/proviso-refunds/${done.refund.id}`,
              ),
            },
            Meta: {},
          },
          headers: { 'x-proviso-refund-confirmation': done.confirmation },
        };
      });
    },
  );
}

const authenticatedOf = (request: FastifyRequest) => request as unknown as { authenticated?: Authenticated };

/** The platform's funds attestation (purpose checkout, the link's DPoP token). */
export async function fundsAttestationRoutes(
  app: FastifyInstance,
  o: { service: PaymentService; release: ReleasePath; banks: ReadonlySet<string> },
): Promise<void> {
  app.post<{ Params: { bankId: string }; Body: { amount: string; currency: string } }>(
    '/banks/:bankId/checkout/funds-attestations',
    {
      schema: {
        tags,
        security,
        summary:
          'Can this customer pay this amount now? A signed yes/no (never a balance), 5 per link per day',
        params: params(),
        querystring: noQuery,
        headers: {
          type: 'object',
          required: ['x-proviso-purpose'],
          properties: {
            'x-proviso-purpose': { type: 'string', const: 'checkout' },
            ...pisHeaders.properties,
          },
        },
        body: {
          type: 'object',
          required: ['amount', 'currency'],
          additionalProperties: false,
          properties: {
            amount: { type: 'string', pattern: '^\\d{1,8}\\.\\d{2}$' },
            currency: { type: 'string', pattern: '^[A-Z]{3}$' },
          },
        },
        response: {
          200: {
            type: 'object',
            required: ['attestation', 'fundsAvailable', 'expiresAt', 'logIndex', 'probesLeft'],
            additionalProperties: false,
            properties: {
              attestation: { type: 'string', description: 'Compact JWS, typ proviso-funds+jwt, by the bank' },
              fundsAvailable: { type: 'boolean' },
              expiresAt: { type: 'string', format: 'date-time' },
              logIndex: { type: 'integer' },
              probesLeft: { type: 'integer' },
            },
          },
          ...problemResponses(400, 401, 403, 404, 429),
        },
      },
      // Authenticate before the body is parsed.
      onRequest: async (request) => {
        const bankId = (request.params as { bankId: string }).bankId;
        if (!o.banks.has(bankId)) throw notFound('bank', `no bank '${bankId}' is served here`);
        const caller = { bankId, method: request.method, url: request.url, headers: request.headers };
        authenticatedOf(request).authenticated = await o.release.authenticate({
          kind: 'request',
          request: caller,
        });
      },
    },
    async (request) =>
      releaseFundsAnswer(
        o.service,
        o.release,
        authenticatedOf(request).authenticated!,
        request.body.amount,
        request.body.currency,
      ),
  );
}
