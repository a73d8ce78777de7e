// The payment routes of the PIS API (UK OB v3.1): make the approved payment (signed, idempotent),
// read it, its signed confirmation, and refunds (a Proviso extension).
import type { FastifyInstance } from 'fastify';
import { noQuery, notFound, problemResponses } from '../http/index.ts';
import { paymentResponse } from './ob-mapping.ts';
import { type PaymentRoutesOptions, type PisKit, params, security, state, tags } from './pis-kit.ts';
import {
  paymentBody,
  paymentResponseSchema,
  pisHeaders,
  pisWriteHeaders,
  refundBody,
  refundResponseSchema,
} from './schemas.ts';
import type { PaymentInput } from './service.ts';

export function pisPaymentRoutes(app: FastifyInstance, options: PaymentRoutesOptions, kit: PisKit): void {
  const { service } = options;
  const { self, verifySignature, idempotent } = kit;
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
