// Access history: the customer's own transparency-log entries, newest first, each checked by
// the browser against the signed checkpoint (the page's one script is served beside it).
import type { FastifyPluginAsync } from 'fastify';
import { noQuery, problemResponses } from '../http/index.ts';
import { logPathPrefix } from '../translog/index.ts';
import { ACCESS_HISTORY_SCRIPT } from './history-client.ts';
import { accessHistoryPage } from './history-page.ts';
import { type BankParams, bankParams, html } from './route-schemas.ts';
import { sendHtml } from './screen-kit.ts';
import type { ScreenOptions } from './screen-options.ts';

/** The access-history page's script (same origin, so the page's CSP needs no inline script). */
export const ACCESS_HISTORY_SCRIPT_PATH = '/assets/access-history.js';

/** Registered with the prefix /banks/:bankId, behind the bank check. */
export const accessHistory: FastifyPluginAsync<ScreenOptions> = async (
  scope,
  { consent, sessions, dashboardLogin },
) => {
  scope.get<{ Params: BankParams }>(
    '/access-history',
    {
      schema: {
        tags: ['consent'],
        summary:
          "Access history: the customer's own transparency-log entries, newest first, each checked by the browser against the signed checkpoint",
        params: bankParams,
        querystring: noQuery,
        response: { ...html, ...problemResponses(400, 404) },
      },
    },
    async (request, reply) => {
      const { bankId } = request.params;
      const session = await sessions.find(request, bankId);
      if (!session) return dashboardLogin.page(request, reply, bankId, { next: 'access-history' });
      const records = consent.options.accessHistory
        ? await consent.options.accessHistory(bankId, session.customer_id)
        : [];
      return sendHtml(
        reply,
        accessHistoryPage({
          bankName: consent.bankName(bankId),
          base: `/banks/${bankId}`,
          logPrefix: logPathPrefix(bankId),
          logKey: consent.options.logVerifierKey?.(bankId) ?? '',
          scriptUrl: ACCESS_HISTORY_SCRIPT_PATH,
          // The bank's own staff actions (fraud team) are logged with the bank as the actor.
          entries: records.map((r) => ({
            ...r,
            platformName:
              r.platform === bankId
                ? `${consent.bankName(bankId)} fraud team`
                : consent.platformName(r.platform),
          })),
        }),
        200,
        [],
        true,
      );
    },
  );
};

/** The page's script, at the origin's root (not under a bank). */
export const accessHistoryScript: FastifyPluginAsync = async (scope) => {
  scope.get(
    ACCESS_HISTORY_SCRIPT_PATH,
    {
      schema: {
        tags: ['consent'],
        summary: "The access-history page's script: checks inclusion proofs in the browser (WebCrypto)",
        querystring: noQuery,
        response: { 200: { type: 'string', description: 'JavaScript' } },
      },
    },
    async (_request, reply) =>
      reply
        .type('text/javascript; charset=utf-8')
        .header('cache-control', 'public, max-age=300')
        .send(ACCESS_HISTORY_SCRIPT),
  );
};
