// The platform's funds attestation route (purpose checkout): authenticated through the release
// path before the body is read, answered by releaseFundsAnswer (funds.ts).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { noQuery, notFound, problemResponses } from '../http/index.ts';
import type { Authenticated, ReleasePath } from '../release/index.ts';
import { releaseFundsAnswer } from './funds.ts';
import { params, security, tags } from './pis-kit.ts';
import { pisHeaders } from './schemas.ts';
import type { PaymentService } from './service.ts';

const authenticatedOf = (request: FastifyRequest) => request as unknown as { authenticated?: Authenticated };

/** The platform's funds attestation (purpose checkout, the link's DPoP token). */
export async function fundsAttestationRoutes(
  app: FastifyInstance,
  options: { service: PaymentService; release: ReleasePath; banks: ReadonlySet<string> },
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
        if (!options.banks.has(bankId)) throw notFound('bank', `no bank '${bankId}' is served here`);
        const caller = { bankId, method: request.method, url: request.url, headers: request.headers };
        authenticatedOf(request).authenticated = await options.release.authenticate({
          kind: 'request',
          request: caller,
        });
      },
    },
    async (request) =>
      releaseFundsAnswer(
        options.service,
        options.release,
        authenticatedOf(request).authenticated!,
        request.body.amount,
        request.body.currency,
      ),
  );
}
