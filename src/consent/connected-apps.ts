// The customer's connected-apps dashboard: every consent, one in detail, and the actions on
// one (revoke, renew, remove the device key). Needs the customer's session at the bank.
import type { FastifyPluginAsync } from 'fastify';
import { noQuery, notFound, Problem, problemResponses } from '../http/index.ts';
import { linkPaymentsSection } from './link-payments.ts';
import {
  type BankParams,
  bankParams,
  type ConsentParams,
  consentParams,
  csrfBody,
  html,
} from './route-schemas.ts';
import { accountLabel, sendHtml } from './screen-kit.ts';
import type { ScreenOptions } from './screen-options.ts';
import { consentDetailPage, dashboardPage } from './screens.ts';
import type { ConsentService } from './service.ts';
import type { ConsentRecord } from './store.ts';

const NOTICES = {
  revoked: 'Done: that app can no longer use your data.',
  renewed: 'Done: the consent was renewed.',
  'device-removed': "Done: the device key was removed and that app's access stopped.",
  'checkout-stopped': 'Done: that app can no longer check funds or send you receipts for payments.',
} as const;

const ACTIONS = {
  revoke: 'Stop sharing: revoke the consent and its tokens, at once on every instance',
  renew: 'Reauthorise: extend the consent by its duration from today (max 365 days), same link',
  'remove-device': "Remove a lost device's key (ends the consent)",
  'stop-checkout': 'Stop payments through this link: no more funds answers or receipts through it',
} as const;

/** The customer's own consent at this bank, or a 404 problem. */
export async function ownConsent(
  consent: ConsentService,
  bankId: string,
  consentId: string,
  customerId: string,
): Promise<ConsentRecord> {
  const record = await consent.store.get(consentId);
  if (!record || record.bankId !== bankId || record.customerId !== customerId)
    throw notFound('consent', 'no such consent among your connected apps');
  return record;
}

async function dashboardView(
  consent: ConsentService,
  bankId: string,
  customerId: string,
  csrf: string,
  notice?: string,
) {
  const consents = await consent.store.forCustomer(bankId, customerId);
  return {
    bankName: consent.bankName(bankId),
    csrf,
    base: `/banks/${bankId}`,
    consents: consents.map((c) => ({ ...c, platformName: consent.platformName(c.clientId) })),
    ...(notice ? { notice } : {}),
  };
}

/** Registered with the prefix /banks/:bankId, behind the bank check and the form parser. */
export const connectedApps: FastifyPluginAsync<ScreenOptions> = async (
  scope,
  { consent, sessions, dashboardLogin },
) => {
  scope.get<{ Params: BankParams; Querystring: { notice?: keyof typeof NOTICES } }>(
    '/connected-apps',
    {
      schema: {
        tags: ['consent'],
        summary: 'Connected apps: every active and past consent, with view and revoke',
        params: bankParams,
        querystring: {
          type: 'object',
          properties: { notice: { type: 'string', enum: Object.keys(NOTICES) } },
          additionalProperties: false,
        },
        response: { ...html, ...problemResponses(400, 404) },
      },
    },
    async (request, reply) => {
      const { bankId } = request.params;
      const session = await sessions.find(request, bankId);
      if (!session) return dashboardLogin.page(request, reply, bankId);
      const notice = request.query.notice ? NOTICES[request.query.notice] : undefined;
      return sendHtml(
        reply,
        dashboardPage(await dashboardView(consent, bankId, session.customer_id, session.csrf, notice)),
      );
    },
  );

  scope.get<{ Params: ConsentParams }>(
    '/connected-apps/:consentId',
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
      const session = await sessions.require(request, bankId);
      const record = await ownConsent(consent, bankId, consentId, session.customer_id);
      const accounts = await consent.options.core(bankId).accounts(session.customer_id);
      const shared = accounts.filter((a) => record.accountIds.includes(a.id)).map(accountLabel);
      const view = await dashboardView(consent, bankId, session.customer_id, session.csrf);
      const payments =
        consent.linkPayments && record.purposes.includes('checkout')
          ? linkPaymentsSection({
              base: `/banks/${bankId}`,
              consentId,
              csrf: session.csrf,
              payments: await consent.linkPayments.list(bankId, consentId),
              stopped: await consent.linkPayments.stopped(bankId, consentId),
            })
          : '';
      return sendHtml(
        reply,
        consentDetailPage(
          view,
          { ...record, platformName: consent.platformName(record.clientId) },
          shared,
          payments,
        ),
      );
    },
  );

  for (const action of Object.keys(ACTIONS) as (keyof typeof ACTIONS)[]) {
    scope.post<{ Params: ConsentParams; Body: { csrf: string } }>(
      `/connected-apps/:consentId/${action}`,
      {
        schema: {
          tags: ['consent'],
          summary: ACTIONS[action],
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
        const session = await sessions.require(request, bankId, request.body.csrf);
        const record = await ownConsent(consent, bankId, consentId, session.customer_id);
        try {
          if (action === 'revoke') await consent.revoke(record.id, 'customer');
          else if (action === 'stop-checkout') await consent.linkPayments?.stop(bankId, record.id);
          else if (action === 'renew') await consent.store.reauthorise(record.id, session.customer_id);
          else {
            await consent.store.removeDeviceKey(record.id, session.customer_id);
            await consent.revoke(record.id, 'customer');
          }
        } catch (error) {
          if (error instanceof Error && error.name === 'ConsentStateError')
            throw new Problem(409, 'consent-state', 'Not possible now', error.message);
          throw error;
        }
        const notice =
          action === 'revoke'
            ? 'revoked'
            : action === 'renew'
              ? 'renewed'
              : action === 'stop-checkout'
                ? 'checkout-stopped'
                : 'device-removed';
        return reply.code(303).header('location', `/banks/${bankId}/connected-apps?notice=${notice}`).send();
      },
    );
  }
};
