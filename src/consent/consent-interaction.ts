// The consent step of a linking request: the consent page (what is asked, for which purposes,
// which accounts to share), and the decision's POST that records the consent, mints the
// oidc-provider grant with its authorization details, and resumes the authorization.
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { badRequest, noQuery, problemResponses } from '../http/index.ts';
import { checkInteractionCsrf } from './interaction-csrf.ts';
import {
  type AccountAccessDetail,
  deviceKeyFingerprint,
  InvalidDetailError,
  parseAccountAccess,
} from './rar.ts';
import { consentBody, html, type InteractionParams, uidParams } from './route-schemas.ts';
import { accountLabel, sendHtml } from './screen-kit.ts';
import type { ScreenOptions } from './screen-options.ts';
import { consentPage } from './screens.ts';
import type { ConsentService } from './service.ts';

type ConsentForm = { csrf: string; decision: 'approve' | 'deny'; account?: string | string[] };

/** The single account-access detail of the request, or a 400 problem. */
export function requestedDetail(params: Record<string, unknown>): AccountAccessDetail {
  try {
    const raw = params['authorization_details'];
    const list = (typeof raw === 'string' ? JSON.parse(raw) : raw) as Record<string, unknown>[];
    if (!Array.isArray(list) || list.length !== 1)
      throw new InvalidDetailError('exactly one detail is required');
    return parseAccountAccess(list[0]!);
  } catch (error) {
    throw badRequest(
      'invalid-authorization-details',
      error instanceof Error ? error.message : 'invalid authorization_details',
    );
  }
}

/** Records the consent as requested and shows the consent page (with an error after a bad pick). */
export async function renderConsent(
  consent: ConsentService,
  reply: FastifyReply,
  interaction: { bankId: string; uid: string; csrf: string; redirectOrigin: string },
  details: { params: Record<string, unknown>; session?: { accountId?: string } },
  error?: string,
): Promise<FastifyReply> {
  const { bankId, uid, csrf, redirectOrigin } = interaction;
  const clientId = String(details.params['client_id']);
  const detail = requestedDetail(details.params);
  const customerId = details.session?.accountId;
  if (!customerId) throw badRequest('not-logged-in', 'log in first');
  await consent.store.request({
    bankId,
    clientId,
    interactionUid: uid,
    purposes: detail.purposes,
    clusters: detail.clusters,
    durationDays: detail.duration_days,
    deviceKey: detail.device_key,
  });
  const accounts = await consent.options.core(bankId).accounts(customerId);
  return sendHtml(
    reply,
    consentPage({
      bankName: consent.bankName(bankId),
      platformName: consent.platformName(clientId),
      action: `/banks/${bankId}/interaction/${uid}/consent`,
      csrf,
      purposes: detail.purposes,
      clusters: detail.clusters,
      durationDays: detail.duration_days,
      expiresOn: new Date(Date.now() + detail.duration_days * 86_400_000).toISOString().slice(0, 10),
      fingerprint: deviceKeyFingerprint(detail.device_key),
      accounts: accounts.map((a) => ({ id: a.id, label: accountLabel(a) })),
      revokeUrl: `/banks/${bankId}/connected-apps`,
      ...(error ? { error } : {}),
    }),
    error ? 400 : 200,
    [redirectOrigin],
  );
}

/** Registered with the prefix /banks/:bankId, behind the bank check and the form parser. */
export const consentInteraction: FastifyPluginAsync<ScreenOptions> = async (scope, { consent }) => {
  scope.post<{ Params: InteractionParams; Body: ConsentForm }>(
    '/interaction/:uid/consent',
    {
      schema: {
        tags: ['consent'],
        summary: 'Approve or deny a linking request, with the accounts picked',
        params: uidParams,
        querystring: noQuery,
        body: consentBody,
        response: {
          303: { type: 'null', description: 'Back to the platform' },
          ...html,
          ...problemResponses(400, 403, 404),
        },
      },
    },
    async (request, reply) => {
      const { bankId, uid } = request.params;
      const csrf = await checkInteractionCsrf(consent, bankId, uid, request.body.csrf);
      const provider = await consent.provider(bankId);
      const details = await provider.interactionDetails(request.raw, reply.raw).catch(() => null);
      if (!details || details.uid !== uid || details.prompt.name !== 'consent' || !details.session?.accountId)
        throw badRequest(
          'interaction-mismatch',
          'this decision does not belong to the current linking request',
        );
      const customerId = details.session.accountId;
      const clientId = String(details.params['client_id']);
      const record = await consent.store.byInteraction(uid);
      if (!record || record.clientId !== clientId || record.status !== 'awaiting_authorisation')
        throw badRequest('consent-not-pending', 'this consent is no longer waiting for a decision');
      const redirectOrigin = new URL(String(details.params['redirect_uri'])).origin;
      if (request.body.decision === 'deny') {
        await consent.store.reject(record.id, customerId);
        const to = await provider.interactionResult(
          request.raw,
          reply.raw,
          { error: 'access_denied', error_description: 'the customer did not allow access' },
          { mergeWithLastSubmission: false },
        );
        return reply.code(303).header('location', to).send();
      }
      const picked = [...new Set([request.body.account ?? []].flat())];
      const own = new Set((await consent.options.core(bankId).accounts(customerId)).map((a) => a.id));
      if (picked.length === 0 || picked.some((a) => !own.has(a))) {
        return renderConsent(
          consent,
          reply,
          { bankId, uid, csrf, redirectOrigin },
          details,
          'Pick at least one of your accounts, or choose "Do not allow".',
        );
      }
      const detail = requestedDetail(details.params);
      const grant = new provider.Grant({ accountId: customerId, clientId });
      grant.addOIDCScope('openid');
      grant.addResourceScope(consent.apiBase(bankId), 'accounts');
      grant.addRar({ ...detail, consent_id: record.id, accounts: picked });
      const grantId = await grant.save();
      await consent.store.authorise(record.id, customerId, picked, grantId);
      const to = await provider.interactionResult(
        request.raw,
        reply.raw,
        { consent: { grantId } },
        { mergeWithLastSubmission: true },
      );
      return reply.code(303).header('location', to).send();
    },
  );
};
