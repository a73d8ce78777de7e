// The customer's signed consent receipt: the JWS to download, and the same receipt as a page.
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { noQuery, problemResponses } from '../http/index.ts';
import { ownConsent } from './connected-apps.ts';
import { receiptPage } from './receipt-page.ts';
import { customerReceipt, readReceipt } from './receipts.ts';
import { type ConsentParams, consentParams, html } from './route-schemas.ts';
import { accountLabel, sendHtml } from './screen-kit.ts';
import type { ScreenOptions } from './screen-options.ts';

/** Registered with the prefix /banks/:bankId, behind the bank check. */
export const customerReceipts: FastifyPluginAsync<ScreenOptions> = async (scope, { consent, sessions }) => {
  async function signedCustomerReceipt(request: FastifyRequest, bankId: string, consentId: string) {
    const session = await sessions.require(request, bankId);
    const record = await ownConsent(consent, bankId, consentId, session.customer_id);
    const accounts = (await consent.options.core(bankId).accounts(session.customer_id)).filter((a) =>
      record.accountIds.includes(a.id),
    );
    const jws = await customerReceipt(
      consent.options.keyStore,
      record,
      {
        issuer: consent.issuer(bankId),
        bankName: consent.bankName(bankId),
        platformName: consent.platformName(record.clientId),
      },
      accounts.map((a) => ({ id: a.id, label: accountLabel(a) })),
    );
    return { record, jws };
  }

  scope.get<{ Params: ConsentParams }>(
    '/connected-apps/:consentId/receipt',
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
      const { record, jws } = await signedCustomerReceipt(request, bankId, consentId);
      return reply
        .type('application/jose')
        .header('content-disposition', `attachment; filename="consent-receipt-${record.id}.jws"`)
        .header('cache-control', 'no-store')
        .send(jws);
    },
  );

  scope.get<{ Params: ConsentParams }>(
    '/connected-apps/:consentId/receipt/view',
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
      const { record, jws } = await signedCustomerReceipt(request, bankId, consentId);
      return sendHtml(
        reply,
        receiptPage({
          bankName: consent.bankName(bankId),
          base: `/banks/${bankId}`,
          receipt: readReceipt(jws),
          jwsUrl: `/banks/${bankId}/connected-apps/${record.id}/receipt`,
          jwksUrl: `${consent.issuer(bankId)}/jwks.json`,
        }),
      );
    },
  );
};
