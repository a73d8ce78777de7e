// The platform's side of a consent, authenticated with the consent's own DPoP-bound token:
// its copy of the signed receipt (no account identifiers), and DELETE (revocation).
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { forbidden, noQuery, notFound, problemResponses } from '../http/index.ts';
import { platformReceipt } from './receipts.ts';
import { type ConsentParams, consentParams } from './route-schemas.ts';
import type { ConsentService } from './service.ts';

const platformHeaders = {
  type: 'object',
  properties: {
    authorization: { type: 'string', description: 'DPoP <access token>' },
    dpop: { type: 'string', description: 'DPoP proof for this request' },
  },
} as const;

/** Registered with the prefix /banks/:bankId, behind the bank check. */
export const platformConsentApi: FastifyPluginAsync<{ consent: ConsentService }> = async (
  scope,
  { consent },
) => {
  async function platformConsent(request: FastifyRequest<{ Params: ConsentParams }>) {
    const { bankId, consentId } = request.params;
    const grant = await consent.access.authenticate({
      bankId,
      method: request.method,
      url: request.url,
      headers: request.headers,
    });
    if (grant.grantId !== consentId)
      throw forbidden('wrong-consent', 'this access token belongs to a different consent');
    const record = await consent.store.get(consentId);
    if (!record) throw notFound('consent', 'no such consent');
    return record;
  }

  scope.get<{ Params: ConsentParams }>(
    '/consents/:consentId/receipt',
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
      const record = await platformConsent(request);
      const sub = await consent.pairwiseSubject(record.bankId, record.clientId, record.customerId ?? '');
      const jws = await platformReceipt(
        consent.options.keyStore,
        record,
        {
          issuer: consent.issuer(record.bankId),
          bankName: consent.bankName(record.bankId),
          platformName: consent.platformName(record.clientId),
        },
        sub,
      );
      return reply.type('application/jose').header('cache-control', 'no-store').send(jws);
    },
  );

  scope.delete<{ Params: ConsentParams }>(
    '/consents/:consentId',
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
      const record = await platformConsent(request);
      await consent.revoke(record.id, 'platform');
      return reply.code(204).send();
    },
  );
};
