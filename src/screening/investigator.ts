// The bank's investigator view: GET /banks/:bankId/investigator, one server-rendered HTML page
// (no script) with the day's alerts — the customer's name and the masked card from the bank
// core, local date and time, reasons, the customer's reply, what the team did — filters, a
// newest-first (or highest-score) order, and two inline SVG charts. And the team's actions,
// each a POST from the page: confirm fraud (freezes the card), clear as genuine, unfreeze the
// card, record a contact attempt. Each action is written to the bank's transparency log
// (through the desk the gateway supplies) before it takes effect, and kept beside the alert.
//
// Protected with HTTP Basic (user = the bank id, password = the bank's staff key, from
// PROVISO_STAFF_KEYS, else PROVISO_INGEST_KEYS), checked before anything is parsed. A browser
// resends Basic credentials on any request to the site, so every POST also needs the page's
// CSRF token (an HMAC under the staff key, valid 8 to 16 hours) and is refused when the
// browser says it comes from another site (Sec-Fetch-Site, Origin).
import formbody from '@fastify/formbody';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import {
  badRequest,
  bankIdParam,
  forbidden,
  notFound,
  Problem,
  problemResponses,
  unauthorized,
} from '../http/index.ts';
import {
  type AlertActionStore,
  CONTACT_CHANNELS,
  CONTACT_OUTCOMES,
  type ContactChannel,
  type ContactOutcome,
  INVESTIGATOR_ACTIONS,
  type InvestigatorAction,
} from './alert-actions.ts';
import { parseBankKeys, secretMatches } from './ingest.ts';
import { csrfToken, sameToken } from './investigator-csrf.ts';
import {
  type AlertSort,
  type AlertSubject,
  type InvestigatorBank,
  renderInvestigatorPage,
  STATUSES,
} from './investigator-page.ts';
import { days, hours, localDay, localMidnight } from './local-day.ts';
import { bankModelPanel } from './model-panel.ts';
import type { AlertStatus, ScreeningAlert, ScreeningService } from './service.ts';

/** The log entry kind each action writes. */
export type InvestigatorLogKind = 'alert.confirmed' | 'alert.cleared' | 'alert.contact' | 'card.action';

/** What the view needs from the rest of the bank; the gateway supplies it. */
export interface InvestigatorDesk {
  /** The bank's name, colour and time zone. */
  bank(bankId: string): InvestigatorBank;
  /** Customer names and masked cards of these alerts, by alert id (from the bank core). */
  describe(bankId: string, alerts: readonly ScreeningAlert[]): Promise<Map<string, AlertSubject>>;
  /** Appends the team's action to the bank's transparency log; the entry index. Throws if it cannot. */
  record(bankId: string, alert: ScreeningAlert, kind: InvestigatorLogKind): Promise<number>;
  /** Sets the card's status in the bank core; the new status, or null for an unknown card. */
  setCardStatus(bankId: string, cardId: string, status: 'active' | 'frozen'): Promise<string | null>;
}

export interface InvestigatorRoutesOptions {
  readonly service: ScreeningService;
  readonly desk: InvestigatorDesk;
  readonly actions: AlertActionStore;
  /** bank id → staff key. Default PROVISO_STAFF_KEYS, else PROVISO_INGEST_KEYS. */
  readonly staffKeys?: ReadonlyMap<string, string>;
  /** Extra sections for the page below the charts (e.g. the model's details), rendered and escaped. */
  readonly panels?: (bankId: string) => Promise<readonly string[]> | readonly string[];
  readonly now?: () => Date;
}

const DAY = 86_400_000;
const CSRF_WINDOW = 8 * 3_600_000;
const ACTION_PATHS: Record<InvestigatorAction, string> = {
  confirm_fraud: 'confirm-fraud',
  clear: 'clear',
  unfreeze_card: 'unfreeze-card',
  contact: 'contact',
};
const ACTION_SUMMARY: Record<InvestigatorAction, string> = {
  confirm_fraud: 'Confirm an alert as fraud and freeze the card (logged)',
  clear: 'Clear an alert as genuine (logged)',
  unfreeze_card: "Unfreeze the alert's card (logged)",
  contact: 'Record an attempt to contact the customer about an alert (logged)',
};

const bankIdSchema = bankIdParam;
const dayPattern = '^\\d{4}-\\d{2}-\\d{2}$';

interface Query {
  status?: AlertStatus;
  minScore?: number;
  day?: string;
  sort?: AlertSort;
  done?: InvestigatorAction;
}

interface ActionBody {
  csrf: string;
  day?: string;
  channel?: ContactChannel;
  outcome?: ContactOutcome;
  note?: string;
}

function sortAlerts(alerts: ScreeningAlert[], sort: AlertSort): ScreeningAlert[] {
  return alerts.sort((a, b) =>
    sort === 'score'
      ? b.score - a.score || b.transactionTime.getTime() - a.transactionTime.getTime()
      : b.transactionTime.getTime() - a.transactionTime.getTime() ||
        b.createdAt.getTime() - a.createdAt.getTime() ||
        a.id.localeCompare(b.id),
  );
}

export const investigatorRoutes = fp<InvestigatorRoutesOptions>(
  async (app: FastifyInstance, options) => {
    const keys =
      options.staffKeys ??
      parseBankKeys(process.env['PROVISO_STAFF_KEYS'] ?? process.env['PROVISO_INGEST_KEYS']);
    const now = options.now ?? (() => new Date());
    const { desk, service, actions } = options;

    /** Runs on onRequest: before the body or the query is parsed. */
    const authenticate = async (request: FastifyRequest) => {
      const { bankId } = request.params as { bankId: string };
      const header = request.headers.authorization ?? '';
      let user = '';
      let password = '';
      if (header.startsWith('Basic ')) {
        const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
        const colon = decoded.indexOf(':');
        if (colon >= 0) {
          user = decoded.slice(0, colon);
          password = decoded.slice(colon + 1);
        }
      }
      const ok = secretMatches(password, keys.get(bankId));
      if (!ok || user !== bankId) {
        throw unauthorized(
          'investigator-unauthorized',
          'sign in with the bank id as user name and the bank staff key as password',
          `Basic realm="Proviso investigator ${bankId}", charset="UTF-8"`,
        );
      }
    };

    const csrfFor = (bankId: string) =>
      csrfToken(keys.get(bankId) ?? '', bankId, Math.floor(now().getTime() / CSRF_WINDOW));

    function checkCsrf(request: FastifyRequest, bankId: string, token: string): void {
      const site = request.headers['sec-fetch-site'];
      if (site !== undefined && site !== 'same-origin')
        throw forbidden(
          'investigator-cross-site',
          'investigator actions are taken from the investigator page only',
        );
      const origin = request.headers.origin;
      if (origin !== undefined && origin !== 'null') {
        let host = '';
        try {
          host = new URL(origin).host;
        } catch {}
        // Behind a proxy the browser's host may arrive as X-Forwarded-Host.
        const forwarded = request.headers['x-forwarded-host'];
        if (host !== request.headers.host && host !== forwarded)
          throw forbidden(
            'investigator-cross-site',
            'investigator actions are taken from the investigator page only',
          );
      }
      const key = keys.get(bankId) ?? '';
      const window = Math.floor(now().getTime() / CSRF_WINDOW);
      const valid = [window, window - 1].some((w) => sameToken(token, csrfToken(key, bankId, w)));
      if (!valid) throw forbidden('csrf', 'the page has expired; reload it and try again');
    }

    app.get<{ Params: { bankId: string }; Querystring: Query }>(
      '/banks/:bankId/investigator',
      {
        schema: {
          tags: ['screening'],
          summary: "The bank's fraud investigator view (HTML)",
          description:
            "A day's alerts (bank's local day) with the customer's name, the masked card, local date and time, reasons, the customer's reply, the team's actions and forms for new ones; filters and order; alerts per hour and precision over the last 14 days. HTTP Basic: bank id / staff key.",
          security: [{ staffBasic: [] }],
          params: {
            type: 'object',
            required: ['bankId'],
            additionalProperties: false,
            properties: { bankId: bankIdSchema },
          },
          querystring: {
            type: 'object',
            additionalProperties: false,
            properties: {
              status: { type: 'string', enum: [...STATUSES] },
              minScore: { type: 'number', minimum: 0, maximum: 1 },
              day: { type: 'string', pattern: dayPattern },
              sort: { type: 'string', enum: ['newest', 'score'], default: 'newest' },
              done: { type: 'string', enum: [...INVESTIGATOR_ACTIONS] },
            },
          },
          response: {
            200: { type: 'string', description: 'HTML page' },
            ...problemResponses(400, 401),
          },
        },
        onRequest: authenticate,
      },
      async (request, reply: FastifyReply) => {
        const { bankId } = request.params;
        const { status, minScore } = request.query;
        const bank = desk.bank(bankId);
        const day = request.query.day ?? localDay(now(), bank.timeZone);
        const from = localMidnight(day, bank.timeZone);
        // 2026-02-31 parses as 3 March: a real date is one that comes back the same.
        if (Number.isNaN(from.getTime()) || localDay(from, bank.timeZone) !== day)
          throw badRequest('invalid-day', `day ${day} is not a calendar date (YYYY-MM-DD)`);
        const to = localMidnight(
          localDay(new Date(from.getTime() + DAY + 3 * 3_600_000), bank.timeZone),
          bank.timeZone,
        );
        const sort = request.query.sort ?? 'newest';
        const alerts = sortAlerts(
          await service.alerts(bankId, {
            since: from,
            until: to,
            ...(status === undefined ? {} : { status }),
            ...(minScore === undefined ? {} : { minScore }),
            limit: 500,
          }),
          sort,
        );
        const [subjects, done, perHour, precision, panels] = await Promise.all([
          desk.describe(bankId, alerts),
          actions.forAlerts(
            bankId,
            alerts.map((a) => a.id),
          ),
          service.alertsPerHour(bankId, from, to),
          service.precisionByDay(bankId, new Date(to.getTime() - 14 * DAY), to),
          options.panels?.(bankId) ?? [],
        ]);
        reply.header('cache-control', 'no-store');
        reply.header(
          'content-security-policy',
          "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        );
        return reply.type('text/html; charset=utf-8').send(
          renderInvestigatorPage({
            bankId,
            bank,
            day,
            filters: { status, minScore, sort },
            alerts,
            subjects,
            actions: done,
            csrf: csrfFor(bankId),
            done: request.query.done,
            perHour: hours(perHour, from),
            precision: days(precision, day),
            panels: [await bankModelPanel(service, bankId), ...panels],
          }),
        );
      },
    );

    // Actions: form posts from the page (or JSON), answered with 303 back to the page.
    await app.register(async (scope) => {
      await scope.register(formbody, { bodyLimit: 8 * 1024 });
      for (const action of INVESTIGATOR_ACTIONS) {
        scope.post<{ Params: { bankId: string; alertId: string }; Body: ActionBody }>(
          `/banks/:bankId/investigator/alerts/:alertId/${ACTION_PATHS[action]}`,
          {
            schema: {
              tags: ['screening'],
              summary: ACTION_SUMMARY[action],
              description:
                "HTTP Basic (bank id / staff key), plus the CSRF token of the investigator page; refused from another site. Written to the bank's transparency log before it takes effect. Answers 303 to the page.",
              security: [{ staffBasic: [] }],
              params: {
                type: 'object',
                required: ['bankId', 'alertId'],
                additionalProperties: false,
                properties: {
                  bankId: bankIdSchema,
                  alertId: { type: 'string', minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$' },
                },
              },
              querystring: { type: 'object', properties: {}, additionalProperties: false },
              body: {
                type: 'object',
                required: action === 'contact' ? ['csrf', 'channel', 'outcome'] : ['csrf'],
                additionalProperties: false,
                properties: {
                  csrf: { type: 'string', minLength: 1, maxLength: 128 },
                  day: { type: 'string', pattern: dayPattern, description: 'The page day to return to' },
                  ...(action === 'contact'
                    ? {
                        channel: { type: 'string', enum: [...CONTACT_CHANNELS] },
                        outcome: { type: 'string', enum: [...CONTACT_OUTCOMES] },
                        note: {
                          type: 'string',
                          maxLength: 500,
                          description: 'Kept at the bank, never logged',
                        },
                      }
                    : {}),
                },
              },
              response: {
                303: { type: 'null', description: 'Done; back to the investigator page' },
                ...problemResponses(400, 401, 403, 404, 409, 503),
              },
            },
            onRequest: authenticate,
          },
          async (request, reply) => {
            const { bankId, alertId } = request.params;
            const body = request.body;
            checkCsrf(request, bankId, body.csrf);
            const alert = await service.alert(alertId);
            if (!alert || alert.bankId !== bankId) throw notFound('alert', 'no such alert at this bank');
            await act(action, bankId, alert, body);
            const back = new URLSearchParams({ ...(body.day ? { day: body.day } : {}), done: action });
            return reply
              .code(303)
              .header('location', `/banks/${bankId}/investigator?${back}#alert-${alert.id}`)
              .send();
          },
        );
      }
    });

    async function act(
      action: InvestigatorAction,
      bankId: string,
      alert: ScreeningAlert,
      body: ActionBody,
    ): Promise<void> {
      const open = alert.status === 'open' || alert.status === 'escalated';
      const conflict = (detail: string) => new Problem(409, 'alert-state', 'Not possible now', detail);
      const log = async (kind: InvestigatorLogKind) => {
        try {
          return await desk.record(bankId, alert, kind);
        } catch (error) {
          throw new Problem(
            503,
            'log-unavailable',
            'Not recorded',
            'the transparency log did not take the entry, so nothing was changed; try again',
            { cause: error },
          );
        }
      };
      const keep = (logIndex: number) =>
        actions.add({
          bankId,
          alertId: alert.id,
          action,
          staff: bankId,
          channel: body.channel ?? null,
          outcome: body.outcome ?? null,
          note: body.note?.trim() ? body.note.trim() : null,
          logIndex,
        });
      if (action === 'confirm_fraud' || action === 'clear') {
        if (!open) throw conflict(`the alert is already closed (${alert.status})`);
        const index = await log(action === 'clear' ? 'alert.cleared' : 'alert.confirmed');
        await service.resolve(alert.id, action === 'clear' ? 'cleared' : 'confirmed_fraud');
        await keep(index);
        if (action === 'confirm_fraud') {
          const [subject] = (await desk.describe(bankId, [alert])).values();
          if (subject?.cardStatus !== 'frozen') {
            await log('card.action');
            await desk.setCardStatus(bankId, alert.cardId, 'frozen');
          }
        }
        return;
      }
      if (action === 'unfreeze_card') {
        const [subject] = (await desk.describe(bankId, [alert])).values();
        if (subject?.cardStatus !== 'frozen') throw conflict('the card is not frozen');
        const index = await log('card.action');
        await desk.setCardStatus(bankId, alert.cardId, 'active');
        await keep(index);
        return;
      }
      await keep(await log('alert.contact'));
    }
  },
  { name: 'proviso-screening-investigator' },
);
