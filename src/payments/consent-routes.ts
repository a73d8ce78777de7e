// The payment-consent routes of the PIS API (UK OB v3.1): create (signed, idempotent), read, and
// the funds confirmation of an authorised consent.
import type { FastifyInstance } from 'fastify';
import { noQuery, Problem, problemResponses } from '../http/index.ts';
import { consentResponse, fundsConfirmationResponse } from './ob-mapping.ts';
import { type PaymentRoutesOptions, type PisKit, params, security, state, tags } from './pis-kit.ts';
import {
  consentBody,
  consentResponseSchema,
  fundsConfirmationSchema,
  pisHeaders,
  pisWriteHeaders,
} from './schemas.ts';
import type { ConsentInput } from './service.ts';

export function pisConsentRoutes(app: FastifyInstance, options: PaymentRoutesOptions, kit: PisKit): void {
  const { service } = options;
  const { self, verifySignature, idempotent } = kit;
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
      const available = await service.fundsForConsent(consent, caller.merchantId);
      return fundsConfirmationResponse(
        available,
        self(request, `/domestic-payment-consents/${ConsentId}/funds-confirmation`),
      );
    },
  );
}
