// The investigator view's HTML: one card per alert (customer's name, masked card, payment in
// words, local date and time, reasons, the customer's reply, what the team did so far, and the
// action forms), filters, and the two charts. No script; every value escaped.
import type { AlertAction, ContactChannel, ContactOutcome, InvestigatorAction } from './alert-actions.ts';
import { hourChart, type PrecisionDay, precisionChart } from './investigator-charts.ts';
import type { AlertStatus, ScreeningAlert } from './service.ts';

export interface InvestigatorBank {
  name: string;
  colour: string;
  timeZone: string;
  /** e.g. "UK time" */
  zoneName: string;
  /** The bank's logo mark (trusted inline SVG), if it has one. */
  logo?: string;
}

/** Who and which card, in the bank core's words. */
export interface AlertSubject {
  customerName: string | null;
  /** e.g. "Debit card •••• 1234" */
  cardLabel: string | null;
  cardStatus: string | null;
}

export type AlertSort = 'newest' | 'score';

export interface InvestigatorPage {
  bankId: string;
  bank: InvestigatorBank;
  day: string;
  filters: { status: AlertStatus | undefined; minScore: number | undefined; sort: AlertSort };
  alerts: ScreeningAlert[];
  subjects: ReadonlyMap<string, AlertSubject>;
  actions: ReadonlyMap<string, AlertAction[]>;
  csrf: string;
  done?: InvestigatorAction | undefined;
  perHour: number[];
  precision: PrecisionDay[];
  /** Extra panels (e.g. the screening model's details), already rendered and escaped. */
  panels?: readonly string[];
}

export const STATUSES: readonly AlertStatus[] = ['open', 'escalated', 'cleared', 'confirmed_fraud'];

export const STATUS_TEXT: Record<AlertStatus, string> = {
  open: 'Open — waiting for the customer',
  escalated: 'Escalated — no reply in time',
  cleared: 'Cleared — genuine',
  confirmed_fraud: 'Confirmed fraud',
};

const CHANNEL_TEXT: Record<string, string> = {
  pos: 'In store (card present)',
  contactless: 'Contactless in store',
  ecom: 'Online',
  moto: 'By phone or mail order',
  atm: 'Cash machine',
};

const CONTACT_CHANNEL_TEXT: Record<ContactChannel, string> = {
  phone: 'Phone call',
  sms: 'Text message',
  email: 'Email',
  letter: 'Letter',
};

const CONTACT_OUTCOME_TEXT: Record<ContactOutcome, string> = {
  reached: 'spoke to the customer',
  no_answer: 'no answer',
  left_message: 'left a message',
};

const DONE_TEXT: Record<InvestigatorAction, string> = {
  confirm_fraud: 'Done: the alert is confirmed as fraud and the card is frozen.',
  clear: 'Done: the alert is cleared as genuine.',
  unfreeze_card: 'Done: the card works again.',
  contact: 'Done: the contact attempt is recorded.',
};

export const escapeHtml = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );
const html = escapeHtml;

function localTime(at: Date, timeZone: string, withDate: boolean): string {
  return new Intl.DateTimeFormat('en-GB', {
    timeZone,
    ...(withDate ? { day: 'numeric', month: 'short', year: 'numeric' } : {}),
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  })
    .format(at)
    .replace(',', ' at');
}

/** "Monday 30 November 2026" for "2026-11-30". */
function dayInWords(day: string): string {
  return new Intl.DateTimeFormat('en-GB', {
    timeZone: 'UTC',
    weekday: 'long',
    day: 'numeric',
    month: 'long',
    year: 'numeric',
  })
    .format(new Date(`${day}T12:00:00Z`))
    .replace(',', '');
}

function money(amount: string, currency: string): string {
  try {
    return new Intl.NumberFormat('en-GB', { style: 'currency', currency }).format(Number(amount));
  } catch {
    return `${amount} ${currency}`;
  }
}

const regions = new Intl.DisplayNames(['en-GB'], { type: 'region' });
function countryName(code: string): string {
  try {
    return regions.of(code) ?? code;
  } catch {
    return code;
  }
}

function actionLine(a: AlertAction, timeZone: string): string {
  const when = `<time datetime="${a.at.toISOString()}">${html(localTime(a.at, timeZone, true))}</time>`;
  const what =
    a.action === 'contact'
      ? `${CONTACT_CHANNEL_TEXT[a.channel ?? 'phone']}: ${CONTACT_OUTCOME_TEXT[a.outcome ?? 'no_answer']}${a.note ? ` — “${html(a.note)}”` : ''}`
      : { confirm_fraud: 'Confirmed fraud', clear: 'Cleared as genuine', unfreeze_card: 'Unfroze the card' }[
          a.action
        ];
  return `<li>${when} · ${what} <small>(by ${html(a.staff)}, log entry ${a.logIndex})</small></li>`;
}

function actionForms(page: InvestigatorPage, a: ScreeningAlert, subject: AlertSubject | undefined): string {
  const base = `/banks/${html(page.bankId)}/investigator/alerts/${html(a.id)}`;
  const hidden = `<input type="hidden" name="csrf" value="${html(page.csrf)}"><input type="hidden" name="day" value="${html(page.day)}">`;
  const open = a.status === 'open' || a.status === 'escalated';
  const frozen = subject?.cardStatus === 'frozen';
  const button = (path: string, label: string, kind: string) =>
    `<form method="post" action="${base}/${path}">${hidden}<button type="submit" class="${kind}">${label}</button></form>`;
  const forms = [
    open ? button('confirm-fraud', 'Confirm fraud <small>(freezes the card)</small>', 'danger') : '',
    open ? button('clear', 'Clear — genuine', 'primary') : '',
    frozen ? button('unfreeze-card', 'Unfreeze the card', 'secondary') : '',
  ].join('');
  const contact = `<details class="contact"><summary>Record a contact attempt</summary>
<form method="post" action="${base}/contact">${hidden}
<label>How<select name="channel">${Object.entries(CONTACT_CHANNEL_TEXT)
    .map(([v, t]) => `<option value="${v}">${t}</option>`)
    .join('')}</select></label>
<label>Outcome<select name="outcome">${Object.entries(CONTACT_OUTCOME_TEXT)
    .map(([v, t]) => `<option value="${v}">${t[0]!.toUpperCase()}${t.slice(1)}</option>`)
    .join('')}</select></label>
<label>Note (optional, stays at the bank)<textarea name="note" maxlength="500" rows="2"></textarea></label>
<button type="submit" class="secondary">Record contact</button></form></details>`;
  return `<div class="actions" role="group" aria-label="Actions on this alert">${forms}${contact}</div>`;
}

function alertCard(page: InvestigatorPage, a: ScreeningAlert): string {
  const tz = page.bank.timeZone;
  const subject = page.subjects.get(a.id);
  const who = subject?.customerName ?? 'Unknown customer';
  const card = subject?.cardLabel ?? 'Unknown card';
  const cardState = subject?.cardStatus
    ? `<span class="badge card-${html(subject.cardStatus)}">${subject.cardStatus === 'frozen' ? 'Card frozen' : subject.cardStatus === 'active' ? 'Card active' : html(subject.cardStatus)}</span>`
    : '';
  const reply =
    a.reply === null
      ? a.delivery === 'device'
        ? 'No reply yet (asked in chat)'
        : 'Not asked in chat (bank channel)'
      : `${a.reply === 'yes' ? '“Yes, it was me”' : '“No, freeze my card”'}${a.repliedAt ? ` at ${html(localTime(a.repliedAt, tz, false))}` : ''}`;
  const done = page.actions.get(a.id) ?? [];
  return `<article class="alert status-${a.status}" id="alert-${html(a.id)}" aria-labelledby="t-${html(a.id)}">
<header><h3 id="t-${html(a.id)}">${html(who)} <span class="card">${html(card)}</span> ${cardState}</h3>
<p class="when"><time datetime="${a.transactionTime.toISOString()}">${html(localTime(a.transactionTime, tz, true))}</time> · <span class="status">${html(STATUS_TEXT[a.status])}</span></p></header>
<p class="payment"><strong>${html(money(a.amount, a.currency))}</strong> at ${html(a.merchantName ?? `terminal ${a.terminalId}`)} · ${html(CHANNEL_TEXT[a.channel] ?? a.channel)}, ${html(countryName(a.country))} · score ${(a.score * 100).toFixed(1)} %</p>
<div class="why"><p class="label">Why it was flagged</p><ul>${a.reasons
    .slice(0, 3)
    .map((r) => `<li>${html(r.text)}</li>`)
    .join('')}</ul></div>
<p><span class="label">Customer’s answer:</span> ${reply}</p>
${done.length ? `<div class="done"><p class="label">What the team did</p><ul>${done.map((x) => actionLine(x, tz)).join('')}</ul></div>` : ''}
${actionForms(page, a, subject)}
</article>`;
}

function styles(colour: string): string {
  return `:root{--accent:${html(colour)};--ink:#1b1b1b;--muted:#4a4a4a;--soft:#d5d9e0;--panel:#f3f5f8;--bad:#a4001d;--good:#0a6b2d}
*{box-sizing:border-box}body{font:1rem/1.45 system-ui,sans-serif;margin:0;color:var(--ink)}
body>header{background:var(--accent);color:#fff;padding:.8rem 1.25rem}body>header h1{margin:0;font-size:1.35rem;display:flex;align-items:center;gap:.6rem}body>header p{margin:.2rem 0 0}
main{max-width:80rem;margin:0 auto;padding:1rem 1.25rem}
table{border-collapse:collapse;width:100%;margin:.5rem 0}th,td{border-bottom:1px solid #ccc;padding:.3rem;text-align:left}
ul{margin:.2rem 0;padding-left:1.2rem}.label{font-weight:600;color:var(--muted);margin:0}
form.filters{display:flex;gap:1rem;flex-wrap:wrap;align-items:end;margin:.5rem 0 1rem}label{display:flex;flex-direction:column;font-size:.9rem;gap:.2rem}
select,input,textarea{font:inherit;padding:.35rem;border:1px solid #6b6b6b;border-radius:6px}
button{font:inherit;font-weight:600;padding:.45rem .9rem;border-radius:6px;border:2px solid var(--accent);cursor:pointer;background:#fff;color:var(--accent)}
button.primary{background:var(--accent);color:#fff}button.danger{background:var(--bad);border-color:var(--bad);color:#fff}button small{font-weight:400}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(300px,1fr));gap:1.5rem}figure{margin:0}
.notice{background:#e7f3ea;border-left:5px solid var(--good);padding:.6rem 1rem;border-radius:0 6px 6px 0}
.alerts{display:grid;grid-template-columns:repeat(auto-fill,minmax(min(100%,34rem),1fr));gap:1rem;list-style:none;padding:0}
article.alert{border:1px solid var(--soft);border-left:6px solid var(--muted);border-radius:8px;padding:.8rem 1rem;background:#fff}
article.alert.status-open{border-left-color:#1f5fbf}article.alert.status-escalated{border-left-color:#b35c00}
article.alert.status-confirmed_fraud{border-left-color:var(--bad)}article.alert.status-cleared{border-left-color:var(--good)}
article.alert h3{margin:0;font-size:1.1rem}article.alert .card{font-weight:400;color:var(--muted);white-space:nowrap}
article.alert p{margin:.35rem 0}.when{color:var(--muted)}.status{font-weight:600;color:var(--ink)}
.status-confirmed_fraud .status{color:var(--bad)}.status-escalated .status{color:#8a4b00}.status-cleared .status{color:var(--good)}
.badge{display:inline-block;font-size:.8rem;font-weight:700;padding:.05rem .5rem;border-radius:999px;border:1px solid currentColor;vertical-align:middle}
.badge.card-frozen{color:var(--bad)}.badge.card-active{color:var(--good)}
.actions{display:flex;flex-wrap:wrap;gap:.5rem;align-items:flex-start;margin-top:.6rem}.actions form{margin:0}
details.contact{flex-basis:100%}details.contact form{display:flex;flex-wrap:wrap;gap:.5rem;align-items:end;margin-top:.4rem}
details.contact label:has(textarea){flex:1 1 16rem}summary{cursor:pointer;color:var(--accent);font-weight:600}
a:focus,button:focus,select:focus,input:focus,textarea:focus,summary:focus{outline:3px solid #e8a200;outline-offset:2px}
.panels{margin-top:1.5rem}`;
}

export function renderInvestigatorPage(page: InvestigatorPage): string {
  const bank = html(page.bank.name);
  const option = (value: string, label: string, selected: boolean) =>
    `<option value="${value}"${selected ? ' selected' : ''}>${html(label)}</option>`;
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
  const n = page.alerts.length;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Fraud alerts — ${bank} — ${page.day}</title>
<style>${styles(page.bank.colour)}</style></head>
<body><header><h1>${page.bank.logo ?? ''}Fraud alerts — ${bank}</h1><p>${html(dayInWords(page.day))} (${html(page.bank.zoneName)}). ${n} alert${n === 1 ? '' : 's'} shown, ${page.filters.sort === 'score' ? 'highest score first' : 'newest payment first'}.</p></header>
<main>
${page.done ? `<p class="notice" role="status">${html(DONE_TEXT[page.done])}</p>` : ''}
<form method="get" class="filters" aria-label="Filter alerts">
<label for="day">Day<input id="day" name="day" type="date" value="${html(page.day)}"></label>
<label for="status">Status<select id="status" name="status">${option('', 'Any', page.filters.status === undefined)}${STATUSES.map((s) => option(s, STATUS_TEXT[s], page.filters.status === s)).join('')}</select></label>
<label for="minScore">Minimum score (0–1)<input id="minScore" name="minScore" type="number" min="0" max="1" step="0.01" value="${page.filters.minScore ?? ''}"></label>
<label for="sort">Order<select id="sort" name="sort">${option('newest', 'Newest payment first', page.filters.sort === 'newest')}${option('score', 'Highest score first', page.filters.sort === 'score')}</select></label>
<button type="submit" class="primary">Apply</button>
</form>
<section aria-labelledby="alerts-title"><h2 id="alerts-title">Alerts, ${page.filters.sort === 'score' ? 'highest score first' : 'newest first'}</h2>
${n ? `<div class="alerts">${page.alerts.map((a) => alertCard(page, a)).join('\n')}</div>` : '<p>No alerts match.</p>'}
</section>
<h2 id="figures">Figures</h2>
<section class="charts" aria-labelledby="figures">
<figure>${hourChart(page.perHour, page.bank.zoneName)}<figcaption>Alerts per hour on ${html(page.day)} (${html(page.bank.zoneName)}).</figcaption>
<details><summary>Alerts per hour as a table</summary><table><thead><tr><th scope="col">Hour</th><th scope="col">Alerts</th></tr></thead><tbody>${hourRows}</tbody></table></details></figure>
<figure>${precisionChart(page.precision)}<figcaption>Precision: share of resolved alerts (customer reply or staff) that were fraud.</figcaption>
<details><summary>Precision per day as a table</summary><table><thead><tr><th scope="col">Day</th><th scope="col">Alerts</th><th scope="col">Resolved</th><th scope="col">Precision</th></tr></thead><tbody>${precisionRows}</tbody></table></details></figure>
</section>
${page.panels?.length ? `<div class="panels">${page.panels.join('\n')}</div>` : ''}
</main></body></html>`;
}
