// The bank's investigator view: GET /banks/:bankId/investigator, one server-rendered HTML page
// (no script) with the day's alerts, their reasons, the customer's reply and the card status,
// filters, and two inline SVG charts (alerts per hour of the day; precision of the last 14
// days). Protected with HTTP Basic: user = the bank id, password = the bank's staff key
// (PROVISO_STAFF_KEYS, else its ingest key from PROVISO_INGEST_KEYS).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { badRequest, problemResponses, unauthorized } from '../http/index.ts';
import { parseBankKeys, secretMatches } from './ingest.ts';
import { bankModelPanel } from './model-panel.ts';
import type { AlertStatus, CardDirectory, ScreeningAlert, ScreeningService } from './service.ts';

export interface InvestigatorRoutesOptions {
  readonly service: ScreeningService;
  /** bank id → staff key. Default PROVISO_STAFF_KEYS, else PROVISO_INGEST_KEYS. */
  readonly staffKeys?: ReadonlyMap<string, string>;
  /** Card status from the bank core (shown per alert when given). */
  readonly cards?: CardDirectory;
  readonly now?: () => Date;
}

const STATUSES: readonly AlertStatus[] = ['open', 'escalated', 'cleared', 'confirmed_fraud'];
const DAY = 86_400_000;

const html = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );

interface Query {
  status?: AlertStatus;
  minScore?: number;
  day?: string;
}

export const investigatorRoutes = fp<InvestigatorRoutesOptions>(
  async (app: FastifyInstance, options) => {
    const keys =
      options.staffKeys ??
      parseBankKeys(process.env['PROVISO_STAFF_KEYS'] ?? process.env['PROVISO_INGEST_KEYS']);
    const now = options.now ?? (() => new Date());

    const authenticate = async (request: FastifyRequest<{ Params: { bankId: string } }>) => {
      const { bankId } = request.params;
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

    app.get<{ Params: { bankId: string }; Querystring: Query }>(
      '/banks/:bankId/investigator',
      {
        schema: {
          tags: ['screening'],
          summary: "The bank's fraud investigator view (HTML)",
          description:
            "Today's alerts with reasons, the customer's reply and card status; filters; alerts per hour and precision over the last 14 days. HTTP Basic: bank id / staff key.",
          security: [{ staffBasic: [] }],
          params: {
            type: 'object',
            required: ['bankId'],
            additionalProperties: false,
            properties: { bankId: { type: 'string', pattern: '^[a-z][a-z0-9-]{1,31}$' } },
          },
          querystring: {
            type: 'object',
            additionalProperties: false,
            properties: {
              status: { type: 'string', enum: [...STATUSES] },
              minScore: { type: 'number', minimum: 0, maximum: 1 },
              day: { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}$' },
            },
          },
          response: {
            200: { type: 'string', description: 'HTML page' },
            ...problemResponses(400, 401),
          },
        },
        // Before anything of the request is read: an anonymous caller learns nothing.
        onRequest: authenticate,
      },
      async (
        request: FastifyRequest<{ Params: { bankId: string }; Querystring: Query }>,
        reply: FastifyReply,
      ) => {
        const { bankId } = request.params;
        const { status, minScore } = request.query;
        const today = request.query.day ?? now().toISOString().slice(0, 10);
        const from = new Date(`${today}T00:00:00Z`);
        if (Number.isNaN(from.getTime()))
          throw badRequest('invalid-day', `day ${today} is not a calendar date (YYYY-MM-DD)`);
        const to = new Date(from.getTime() + DAY);
        const alerts = await options.service.alerts(bankId, {
          since: from,
          until: to,
          ...(status === undefined ? {} : { status }),
          ...(minScore === undefined ? {} : { minScore }),
          limit: 500,
        });
        const cardStatus = new Map<string, string>();
        if (options.cards !== undefined) {
          for (const cardId of new Set(alerts.map((a) => a.cardId))) {
            cardStatus.set(cardId, (await options.cards.find(bankId, cardId))?.status ?? 'unknown');
          }
        }
        const perHour = await options.service.alertsPerHour(bankId, from, to);
        const precision = await options.service.precisionByDay(bankId, new Date(to.getTime() - 14 * DAY), to);
        reply.header('cache-control', 'no-store');
        return reply.type('text/html; charset=utf-8').send(
          renderPage({
            bankId,
            day: today,
            filters: { status, minScore },
            alerts,
            cardStatus,
            perHour: hours(perHour, from),
            precision: days(precision, to),
            modelPanel: await bankModelPanel(options.service, bankId),
          }),
        );
      },
    );
  },
  { name: 'proviso-screening-investigator' },
);

function hours(rows: { hour: Date; alerts: number }[], from: Date): number[] {
  const counts = new Array<number>(24).fill(0);
  for (const row of rows) {
    const h = Math.floor((row.hour.getTime() - from.getTime()) / 3_600_000);
    if (h >= 0 && h < 24) counts[h] = row.alerts;
  }
  return counts;
}

function days(
  rows: { day: string; alerts: number; resolved: number; precision: number | null }[],
  to: Date,
): { day: string; alerts: number; resolved: number; precision: number | null }[] {
  const byDay = new Map(rows.map((row) => [row.day, row]));
  return Array.from({ length: 14 }, (_, i) => {
    const day = new Date(to.getTime() - (14 - i) * DAY).toISOString().slice(0, 10);
    return byDay.get(day) ?? { day, alerts: 0, resolved: 0, precision: null };
  });
}

interface Page {
  bankId: string;
  day: string;
  filters: { status: AlertStatus | undefined; minScore: number | undefined };
  alerts: ScreeningAlert[];
  cardStatus: Map<string, string>;
  perHour: number[];
  precision: { day: string; alerts: number; resolved: number; precision: number | null }[];
  modelPanel: string;
}

const STATUS_TEXT: Record<AlertStatus, string> = {
  open: 'Open — waiting for the customer',
  escalated: 'Escalated — no reply in time',
  cleared: 'Cleared — genuine',
  confirmed_fraud: 'Confirmed fraud',
};

function hourChart(counts: number[]): string {
  const max = Math.max(1, ...counts);
  const width = 24 * 22;
  const bars = counts
    .map((n, h) => {
      const height = Math.round((n / max) * 100);
      return `<rect x="${h * 22 + 2}" y="${110 - height}" width="18" height="${height}" fill="#1f5fbf"><title>${String(h).padStart(2, '0')}:00 — ${n} alert${n === 1 ? '' : 's'}</title></rect>${h % 3 === 0 ? `<text x="${h * 22 + 11}" y="124" font-size="10" text-anchor="middle">${String(h).padStart(2, '0')}</text>` : ''}`;
    })
    .join('');
  const total = counts.reduce((a, b) => a + b, 0);
  return `<svg role="img" aria-labelledby="hours-title hours-desc" viewBox="0 0 ${width} 130" width="100%" style="max-width:${width}px">
<title id="hours-title">Alerts per hour (UTC)</title><desc id="hours-desc">${total} alerts; busiest hour ${counts.indexOf(Math.max(...counts))}:00 with ${Math.max(...counts)}.</desc>
<line x1="0" y1="110" x2="${width}" y2="110" stroke="#555"/>${bars}</svg>`;
}

function precisionChart(rows: Page['precision']): string {
  const width = 14 * 40;
  const points = rows
    .map((row, i) =>
      row.precision === null
        ? ''
        : `<circle cx="${i * 40 + 20}" cy="${110 - Math.round(row.precision * 100)}" r="4" fill="#b3261e"><title>${row.day}: ${(row.precision * 100).toFixed(0)} % of ${row.resolved} resolved alerts were fraud</title></circle>`,
    )
    .join('');
  const line = rows
    .map((row, i) =>
      row.precision === null ? null : `${i * 40 + 20},${110 - Math.round(row.precision * 100)}`,
    )
    .filter((p) => p !== null)
    .join(' ');
  const labels = rows
    .map((row, i) =>
      i % 2 === 0
        ? `<text x="${i * 40 + 20}" y="124" font-size="10" text-anchor="middle">${row.day.slice(5)}</text>`
        : '',
    )
    .join('');
  const known = rows.filter((row) => row.precision !== null);
  const mean = known.length === 0 ? null : known.reduce((s, r) => s + r.precision!, 0) / known.length;
  return `<svg role="img" aria-labelledby="precision-title precision-desc" viewBox="0 0 ${width} 130" width="100%" style="max-width:${width}px">
<title id="precision-title">Precision of alerts per day, last 14 days</title><desc id="precision-desc">${mean === null ? 'No resolved alerts yet.' : `Mean ${(mean * 100).toFixed(0)} % of resolved alerts were fraud over ${known.length} days.`}</desc>
<line x1="0" y1="110" x2="${width}" y2="110" stroke="#555"/><line x1="0" y1="10" x2="${width}" y2="10" stroke="#ddd"/>
<text x="2" y="20" font-size="10">100 %</text><polyline points="${line}" fill="none" stroke="#b3261e" stroke-width="2"/>${points}${labels}</svg>`;
}

function renderPage(page: Page): string {
  const bank = html(page.bankId);
  const option = (value: string, label: string, selected: boolean) =>
    `<option value="${value}"${selected ? ' selected' : ''}>${html(label)}</option>`;
  const rows = page.alerts
    .map((a) => {
      const reasons = a.reasons.map((r) => `<li>${html(r.text)}</li>`).join('');
      const reply =
        a.reply === null ? 'No reply yet' : a.reply === 'yes' ? '“Yes, it was me”' : '“No, freeze my card”';
      const card = page.cardStatus.get(a.cardId);
      return `<tr>
<td><time datetime="${a.transactionTime.toISOString()}">${a.transactionTime.toISOString().slice(11, 19)}</time></td>
<td>${(a.score * 100).toFixed(1)} %</td>
<td>${html(a.amount)} ${html(a.currency)}</td>
<td>${html(a.merchantName ?? a.terminalId)}<br><small>${html(a.country)} · ${html(a.channel)}</small></td>
<td>${html(a.customerId)}<br><small>card ${html(a.cardId)}${card === undefined ? '' : ` — ${html(card)}`}</small></td>
<td><ul>${reasons}</ul></td>
<td>${html(reply)}<br><small>${a.delivery === 'device' ? 'asked in chat' : 'bank channel'}</small></td>
<td class="status-${a.status}">${html(STATUS_TEXT[a.status])}</td>
</tr>`;
    })
    .join('\n');
  const hourRows = page.perHour
    .map((n, h) =>
      n > 0 ? `<tr><th scope="row">${String(h).padStart(2, '0')}:00</th><td>${n}</td></tr>` : '',
    )
    .join('');
  const precisionRows = page.precision
    .map(
      (d) =>
        `<tr><th scope="row">${d.day}</th><td>${d.alerts}</td><td>${d.resolved}</td><td>${d.precision === null ? '—' : `${(d.precision * 100).toFixed(0)} %`}</td></tr>`,
    )
    .join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Fraud alerts — ${bank} — ${page.day}</title>
<style>
body{font-family:system-ui,sans-serif;margin:1.5rem;color:#1b1b1b;line-height:1.4}
table{border-collapse:collapse;width:100%;margin:1rem 0}th,td{border-bottom:1px solid #ccc;padding:.4rem;text-align:left;vertical-align:top}
caption{text-align:left;font-weight:600;padding:.3rem 0}ul{margin:0;padding-left:1.1rem}
.status-confirmed_fraud{color:#b3261e;font-weight:600}.status-escalated{color:#8a4b00;font-weight:600}.status-cleared{color:#1b6e2a}
form{display:flex;gap:1rem;flex-wrap:wrap;align-items:end}label{display:flex;flex-direction:column;font-size:.9rem}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(320px,1fr));gap:1.5rem}
a:focus,button:focus,select:focus,input:focus{outline:3px solid #1f5fbf;outline-offset:2px}
</style></head>
<body><header><h1>Fraud alerts — ${bank}</h1><p>Day ${page.day} (UTC). ${page.alerts.length} alert${page.alerts.length === 1 ? '' : 's'} shown.</p></header>
<main>
<form method="get" aria-label="Filter alerts">
<label for="day">Day<input id="day" name="day" type="date" value="${page.day}"></label>
<label for="status">Status<select id="status" name="status">${option('', 'Any', page.filters.status === undefined)}${STATUSES.map((s) => option(s, STATUS_TEXT[s], page.filters.status === s)).join('')}</select></label>
<label for="minScore">Minimum score (0–1)<input id="minScore" name="minScore" type="number" min="0" max="1" step="0.01" value="${page.filters.minScore ?? ''}"></label>
<button type="submit">Apply</button>
</form>
<section class="charts" aria-label="Charts">
<figure>${hourChart(page.perHour)}<figcaption>Alerts per hour today (UTC).</figcaption>
<details><summary>Alerts per hour as a table</summary><table><thead><tr><th scope="col">Hour</th><th scope="col">Alerts</th></tr></thead><tbody>${hourRows}</tbody></table></details></figure>
<figure>${precisionChart(page.precision)}<figcaption>Precision: share of resolved alerts (customer reply or staff) that were fraud.</figcaption>
<details><summary>Precision per day as a table</summary><table><thead><tr><th scope="col">Day</th><th scope="col">Alerts</th><th scope="col">Resolved</th><th scope="col">Precision</th></tr></thead><tbody>${precisionRows}</tbody></table></details></figure>
</section>
${page.modelPanel}
<table>
<caption>Alerts, newest first</caption>
<thead><tr><th scope="col">Time (UTC)</th><th scope="col">Score</th><th scope="col">Amount</th><th scope="col">Merchant</th><th scope="col">Customer / card</th><th scope="col">Reasons</th><th scope="col">Customer reply</th><th scope="col">Status</th></tr></thead>
<tbody>
${rows || '<tr><td colspan="8">No alerts match.</td></tr>'}
</tbody></table>
</main></body></html>`;
}
