// Server-rendered screens at the bank: login, consent, connected apps, access history.
// Plain language, accessible (labels, fieldset/legend, keyboard order, visible focus, AA
// contrast). No scripts, except the access-history page's one same-origin script that checks
// the log proofs (it only adds check marks; the page reads fine without it). Every value is
// escaped; every form carries a CSRF token.
import { DATA_CLUSTERS, type DataCluster, FORBIDDEN_PURPOSES, type Purpose } from '../access/index.ts';
import { CLUSTER_TEXT, FORBIDDEN_PURPOSE_TEXT, PURPOSE_TEXT } from '../policy/index.ts';
import type { ConsentRecord } from './store.ts';

export function esc(value: unknown): string {
  return String(value ?? '')
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

const STYLE = `
:root{color-scheme:light;--ink:#1a1a1a;--muted:#454545;--line:#6b6b6b;--accent:#0b4f8a;--bad:#a4001d;--bg:#fff;--panel:#f3f5f8}
*{box-sizing:border-box}body{margin:0;font:1.0625rem/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--ink);background:var(--bg)}
header{background:var(--accent);color:#fff;padding:.75rem 1.25rem}header p{margin:0;font-weight:600}
main{max-width:44rem;margin:0 auto;padding:1.25rem}h1{font-size:1.6rem;margin:.5rem 0 1rem}h2{font-size:1.2rem;margin:1.5rem 0 .5rem}
label{display:block;font-weight:600;margin:.75rem 0 .25rem}input[type=text],input[type=password]{width:100%;max-width:24rem;padding:.6rem;font-size:1rem;border:2px solid var(--line);border-radius:4px}
fieldset{border:2px solid var(--line);border-radius:6px;margin:1rem 0;padding:.75rem 1rem}legend{font-weight:700;padding:0 .25rem}
.choice{display:flex;gap:.5rem;align-items:flex-start;margin:.4rem 0}.choice label{margin:0;font-weight:400}
.actions{display:flex;gap:1rem;flex-wrap:wrap;margin-top:1.5rem}
button{font:inherit;font-weight:700;min-width:12rem;padding:.7rem 1.2rem;border-radius:6px;border:2px solid var(--accent);cursor:pointer}
button.primary,a.button{background:var(--accent);color:#fff}button.secondary{background:#fff;color:var(--accent)}
a.button{display:inline-block;text-align:center;text-decoration:none;font-weight:700;min-width:12rem;padding:.7rem 1.2rem;border-radius:6px;border:2px solid var(--accent)}
.mark.ok{color:#0a6b2d;font-weight:700}.mark.fail{color:var(--bad);font-weight:700}
a{color:var(--accent)}:focus-visible{outline:3px solid #e8a200;outline-offset:2px}
.panel{background:var(--panel);border-radius:6px;padding:.75rem 1rem;margin:1rem 0}.error{color:var(--bad);font-weight:700}
.visually-hidden{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
.promise{border-left:6px solid var(--accent);padding:.5rem 1rem;background:var(--panel)}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.4rem;border-bottom:1px solid var(--line);vertical-align:top}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem}dt{font-weight:600}dd{margin:0}
code{font-size:1rem;letter-spacing:.05em}details summary{cursor:pointer;color:var(--accent)}
`;

export function page(bankName: string, title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${esc(title)} — ${esc(bankName)}</title><style>${STYLE}</style></head>
<body><header><p>${esc(bankName)}</p></header><main id="main">${body}</main></body></html>`;
}

export function htmlErrorPage(bankName: string, error: string, description: string): string {
  return page(
    bankName,
    'Something went wrong',
    `<h1>Something went wrong</h1><p class="error" role="alert">${esc(description || error)}</p><p>Code: <code>${esc(error)}</code>. You can close this page and try again from the app.</p>`,
  );
}

export interface LoginView {
  bankName: string;
  action: string;
  csrf: string;
  heading: string;
  intro: string;
  error?: string;
  username?: string;
}

export function loginPage(v: LoginView): string {
  return page(
    v.bankName,
    v.heading,
    `<h1>${esc(v.heading)}</h1><p>${esc(v.intro)}</p>
${v.error ? `<p class="error" role="alert" id="login-error">${esc(v.error)}</p>` : ''}
<form method="post" action="${esc(v.action)}" ${v.error ? 'aria-describedby="login-error"' : ''}>
<input type="hidden" name="csrf" value="${esc(v.csrf)}">
<label for="username">Username</label>
<input id="username" name="username" type="text" autocomplete="username" required maxlength="64" value="${esc(v.username ?? '')}" ${v.error ? '' : 'autofocus'}>
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required maxlength="256">
<label for="otp">One-time code from your authenticator app</label>
<input id="otp" name="otp" type="text" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{6}" required maxlength="6" aria-describedby="otp-hint">
<p id="otp-hint">Six digits. A new code appears every 30 seconds.</p>
<div class="actions"><button class="primary" type="submit">Log in</button></div>
</form>`,
  );
}

export function clusterList(clusters: readonly DataCluster[]): string {
  return `<ul>${clusters
    .map((c) => {
      const t = CLUSTER_TEXT[c];
      return `<li>${esc(t.title)} <details><summary>Open Banking permissions<span class="visually-hidden"> for ${esc(t.title)}</span></summary><ul>${t.permissions.map((p) => `<li><code>${esc(p)}</code></li>`).join('')}</ul></details></li>`;
    })
    .join('')}</ul>`;
}

function purposeList(purposes: readonly Purpose[]): string {
  return `<ul>${purposes.map((p) => `<li><strong>${esc(PURPOSE_TEXT[p].title)}.</strong> ${esc(PURPOSE_TEXT[p].explanation)}</li>`).join('')}</ul>`;
}

export function promise(): string {
  return `<div class="promise"><p><strong>Our promise:</strong> your data is never used for advertising, marketing or profiling, and never sold.</p><ul>${FORBIDDEN_PURPOSES.map((f) => `<li>${esc(FORBIDDEN_PURPOSE_TEXT[f])}</li>`).join('')}</ul></div>`;
}

export interface ConsentView {
  bankName: string;
  platformName: string;
  action: string;
  csrf: string;
  purposes: Purpose[];
  clusters: DataCluster[];
  durationDays: number;
  expiresOn: string;
  fingerprint: string;
  accounts: { id: string; label: string }[];
  error?: string;
  revokeUrl: string;
}

export function consentPage(v: ConsentView): string {
  const accountChoices = v.accounts
    .map(
      (a, i) =>
        `<div class="choice"><input type="checkbox" id="acc-${i}" name="account" value="${esc(a.id)}"><label for="acc-${i}">${esc(a.label)}</label></div>`,
    )
    .join('');
  return page(
    v.bankName,
    `${v.platformName} wants to use your account data`,
    `<h1>${esc(v.platformName)} is asking to use some of your ${esc(v.bankName)} data</h1>
${v.error ? `<p class="error" role="alert">${esc(v.error)}</p>` : ''}
<section aria-labelledby="why"><h2 id="why">What it will be used for</h2>${purposeList(v.purposes)}</section>
<section aria-labelledby="what"><h2 id="what">Which data</h2>${clusterList(v.clusters)}</section>
<section aria-labelledby="howlong"><h2 id="howlong">For how long</h2><p>${v.durationDays} days, until ${esc(v.expiresOn)}, unless you stop it sooner. We will remind you 30 days before it ends; you can renew it here without linking again.</p></section>
<section aria-labelledby="device"><h2 id="device">Which device can read it</h2><p>The data is sealed so only your device can read it. Check that your app shows the same device key: <code>${esc(v.fingerprint)}</code></p></section>
${promise()}
<section aria-labelledby="disclosure" class="panel"><h2 id="disclosure">Authorisation disclosure</h2><dl>
<dt>Recipient</dt><dd>${esc(v.platformName)}</dd><dt>Data provider</dt><dd>${esc(v.bankName)}</dd>
<dt>Service</dt><dd>${esc(v.purposes.map((p) => PURPOSE_TEXT[p].title).join('; '))}</dd>
<dt>Data categories</dt><dd>${esc(v.clusters.map((c) => CLUSTER_TEXT[c].title).join('; '))}</dd>
<dt>Duration</dt><dd>${v.durationDays} days from today, until ${esc(v.expiresOn)} (never more than one year from your latest authorisation; you can renew it)</dd>
<dt>Recipient's commitment</dt><dd>${esc(v.platformName)} has agreed to collect, use and keep your data only as reasonably necessary to provide the service above, and never to use it for advertising, marketing or profiling, or sell it.</dd>
<dt>How to stop it</dt><dd>Any time, on the <a href="${esc(v.revokeUrl)}">connected apps</a> page at ${esc(v.bankName)}, or in ${esc(v.platformName)}. Stopping takes effect at once.</dd></dl></section>
<form method="post" action="${esc(v.action)}">
<input type="hidden" name="csrf" value="${esc(v.csrf)}">
<fieldset><legend>Which accounts may ${esc(v.platformName)} use?</legend>${accountChoices}</fieldset>
<div class="actions"><button class="primary" type="submit" name="decision" value="approve">Allow</button><button class="primary" type="submit" name="decision" value="deny">Do not allow</button></div>
</form>`,
  );
}

export interface DashboardView {
  bankName: string;
  csrf: string;
  base: string;
  consents: (ConsentRecord & { platformName: string })[];
  notice?: string;
}

const STATUS_TEXT: Record<string, string> = {
  authorised: 'Active',
  revoked: 'Stopped',
  expired: 'Expired',
  rejected: 'Not allowed',
  awaiting_authorisation: 'Waiting',
};

function date(d: Date | null): string {
  return d ? d.toISOString().slice(0, 10) : '—';
}

function consentBlock(v: DashboardView, c: DashboardView['consents'][number]): string {
  const active = c.status === 'authorised';
  const hidden = `<input type="hidden" name="csrf" value="${esc(v.csrf)}">`;
  return `<article class="panel" aria-labelledby="c-${esc(c.id)}">
<h3 id="c-${esc(c.id)}">${esc(c.platformName)} <span>(${esc(STATUS_TEXT[c.status] ?? c.status)})</span></h3>
<dl><dt>Used for</dt><dd>${esc(c.purposes.map((p) => PURPOSE_TEXT[p].title).join('; '))}</dd>
<dt>Data</dt><dd>${clusterList(c.clusters.filter((x) => (DATA_CLUSTERS as readonly string[]).includes(x)))}</dd>
<dt>Granted</dt><dd>${date(c.authorisedAt)}</dd><dt>${active ? 'Ends' : 'Ended'}</dt><dd>${date(active ? c.expiresAt : (c.revokedAt ?? c.expiresAt ?? c.rejectedAt))}</dd>
<dt>Last used</dt><dd>${date(c.lastAccessAt)}</dd><dt>Device key</dt><dd>${c.deviceKeyRemovedAt ? 'removed' : 'on file'}</dd></dl>
<div class="actions">
<a class="button" href="${esc(v.base)}/connected-apps/${esc(c.id)}">View details and receipt</a>
${
  active
    ? `<form method="post" action="${esc(v.base)}/connected-apps/${esc(c.id)}/revoke">${hidden}<button class="primary" type="submit">Stop sharing with ${esc(c.platformName)}</button></form>
<form method="post" action="${esc(v.base)}/connected-apps/${esc(c.id)}/renew">${hidden}<button class="secondary" type="submit">Renew for another ${c.durationDays} days</button></form>
<form method="post" action="${esc(v.base)}/connected-apps/${esc(c.id)}/remove-device">${hidden}<button class="secondary" type="submit">Remove a lost device's key</button></form>`
    : ''
}</div></article>`;
}

export function dashboardPage(v: DashboardView): string {
  const active = v.consents.filter((c) => c.status === 'authorised');
  const past = v.consents.filter((c) => c.status !== 'authorised');
  return page(
    v.bankName,
    'Connected apps',
    `<h1>Connected apps</h1>
${v.notice ? `<p role="status" class="panel">${esc(v.notice)}</p>` : ''}
<p>These apps can use some of your data. You can see what each one uses and stop it at any time; stopping takes effect at once.</p>
${promise()}
<p><a href="${esc(v.base)}/access-history">Your access history</a>: every time an app used your data, checked by your browser against ${esc(v.bankName)}'s public log.</p>
<section aria-labelledby="active"><h2 id="active">Active (${active.length})</h2>${active.map((c) => consentBlock(v, c)).join('') || '<p>No app can use your data right now.</p>'}</section>
<section aria-labelledby="past"><h2 id="past">Past (${past.length})</h2>${past.map((c) => consentBlock(v, c)).join('') || '<p>None.</p>'}</section>
<form method="post" action="${esc(v.base)}/connected-apps/logout"><input type="hidden" name="csrf" value="${esc(v.csrf)}"><button class="secondary" type="submit">Log out</button></form>`,
  );
}

export function consentDetailPage(
  v: DashboardView,
  c: DashboardView['consents'][number],
  accounts: string[],
): string {
  return page(
    v.bankName,
    `${c.platformName}`,
    `<p><a href="${esc(v.base)}/connected-apps">Back to connected apps</a></p>${consentBlock(v, c)}
<h2>Accounts shared</h2><ul>${accounts.map((a) => `<li>${esc(a)}</li>`).join('') || '<li>None</li>'}</ul>
<p><a href="${esc(v.base)}/connected-apps/${esc(c.id)}/receipt" download="consent-receipt-${esc(c.id)}.jws">Download the signed consent receipt</a></p>`,
  );
}

export interface AccessHistoryView {
  bankName: string;
  base: string;
  /** Same-origin path of the bank's log (checkpoint, tiles, proofs). */
  logPrefix: string;
  /** The log's note verifier key, for the browser to check the checkpoint signature. */
  logKey: string;
  scriptUrl: string;
  entries: {
    index: number;
    kind: string;
    platform: string;
    platformName: string;
    purpose: string | null;
    clusters: string[];
    at: Date;
  }[];
}

const KIND_TEXT: Record<string, string> = {
  'data.access': 'Used your data',
  'consent.requested': 'Asked for access',
  'consent.authorised': 'You allowed access',
  'consent.rejected': 'You did not allow access',
  'consent.revoked': 'Access stopped',
  'consent.expired': 'Access ended (expired)',
  'consent.reauthorised': 'You renewed access',
  'alert.raised': 'Sent you a fraud alert',
  'alert.reply': 'Passed on your answer to a fraud alert',
  'card.action': 'Changed a card at your request',
  'payment.funds-check': 'Asked whether a payment can be made',
  'payment.initiated': 'Started a payment',
  'payment.authorised': 'Payment approved by you',
  'payment.rejected': 'Payment not approved',
};

function purposeWords(purpose: string | null): string {
  if (purpose === null) return '—';
  return (PURPOSE_TEXT as Record<string, { title: string }>)[purpose]?.title ?? purpose;
}

function clusterWords(clusters: readonly string[]): string {
  if (clusters.length === 0) return '—';
  return clusters.map((c) => (CLUSTER_TEXT as Record<string, { title: string }>)[c]?.title ?? c).join('; ');
}

function when(d: Date): string {
  return `<time datetime="${esc(d.toISOString())}">${esc(d.toISOString().slice(0, 16).replace('T', ' '))} UTC</time>`;
}

export function accessHistoryPage(v: AccessHistoryView): string {
  const rows = v.entries
    .map(
      (
        e,
      ) => `<tr data-index="${e.index}" data-kind="${esc(e.kind)}" data-platform="${esc(e.platform)}" data-purpose="${esc(e.purpose ?? '')}" data-clusters="${esc([...e.clusters].sort().join(','))}" data-time="${esc(e.at.toISOString())}">
<td>${when(e.at)}</td><td>${esc(e.platformName)}</td><td>${esc(KIND_TEXT[e.kind] ?? e.kind)}</td><td>${esc(purposeWords(e.purpose))}</td><td>${esc(clusterWords(e.clusters))}</td><td>${e.index}</td><td data-check>Not checked yet</td></tr>`,
    )
    .join('\n');
  return page(
    v.bankName,
    'Access history',
    `<p><a href="${esc(v.base)}/connected-apps">Back to connected apps</a></p>
<h1>Access history</h1>
<p>Every time an app used your ${esc(v.bankName)} data, and every change to what you allowed, is written to ${esc(v.bankName)}'s public transparency log before anything is sent. Other banks watch that log, so it cannot be quietly rewritten. Newest first.</p>
<p>Your browser checks each line below itself: it fetches the log's signed checkpoint and a proof for the entry, and shows <span aria-hidden="true">✓</span> "Verified" only if the proof leads to the signed checkpoint. The log itself holds no names or account numbers.</p>
<noscript><p class="panel">Checking needs JavaScript. The history below is still complete.</p></noscript>
<p id="verify-summary" role="status" aria-live="polite" class="panel">${v.entries.length ? 'Checking your history against the log…' : 'Nothing to check yet.'}</p>
${
  v.entries.length
    ? `<table data-log-prefix="${esc(v.logPrefix)}" data-log-key="${esc(v.logKey)}">
<caption class="visually-hidden">Your access history, newest first</caption>
<thead><tr><th scope="col">When</th><th scope="col">App</th><th scope="col">What happened</th><th scope="col">Purpose</th><th scope="col">Data</th><th scope="col">Log entry</th><th scope="col">Checked by your browser</th></tr></thead>
<tbody>
${rows}
</tbody></table>`
    : '<p>No app has used your data yet.</p>'
}
<script src="${esc(v.scriptUrl)}" defer></script>`,
  );
}
