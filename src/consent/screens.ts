// Server-rendered screens at the bank: login, consent, connected apps, access history.
// Plain language, accessible (labels, fieldset/legend, keyboard order, visible focus, AA
// contrast). No scripts, except the access-history page's one same-origin script that checks
// the log proofs (it only adds check marks; the page reads fine without it). Every value is
// escaped; every form carries a CSRF token.
import { DATA_CLUSTERS, type DataCluster, FORBIDDEN_PURPOSES, type Purpose } from '../access/index.ts';
import { CLUSTER_TEXT, FORBIDDEN_PURPOSE_TEXT, PURPOSE_TEXT } from '../policy/index.ts';
import { brandByName, faviconHref, localParts, logoMark, withoutWeekday } from './brand.ts';
import { deviceKeyFingerprint } from './rar.ts';
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
:root{color-scheme:light;--ink:#1a1a1a;--muted:#4a4a4a;--line:#6b6b6b;--soft:#d5d9e0;--bad:#a4001d;--good:#0a6b2d;--bg:#fff;--panel:#f3f5f8}
*{box-sizing:border-box}body{margin:0;font:1.0625rem/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--ink);background:var(--bg)}
.skip{position:absolute;left:-999px;top:0;background:#fff;color:var(--accent);padding:.5rem 1rem;z-index:2}.skip:focus{left:.5rem}
header.bank{background:var(--accent);color:#fff}header.bank .bar{max-width:48rem;margin:0 auto;padding:.7rem 1.25rem;display:flex;align-items:center;gap:.7rem}
header.bank .bank-name{margin:0;font-weight:700;font-size:1.15rem;letter-spacing:.01em}header.bank .logo{flex:none}
main{max-width:48rem;margin:0 auto;padding:1.25rem}h1,h2,h3{overflow-wrap:anywhere}h1{font-size:1.6rem;line-height:1.25;margin:.5rem 0 1rem}h2{font-size:1.2rem;margin:1.5rem 0 .5rem}h3{margin:.2rem 0 .6rem;font-size:1.15rem}
label{display:block;font-weight:600;margin:.75rem 0 .25rem}input[type=text],input[type=password]{width:100%;max-width:24rem;padding:.6rem;font-size:1rem;border:2px solid var(--line);border-radius:6px}
fieldset{border:2px solid var(--line);border-radius:8px;margin:1rem 0;padding:.75rem 1rem}legend{font-weight:700;padding:0 .25rem}
.choice{display:flex;gap:.6rem;align-items:flex-start;margin:.5rem 0}.choice input{width:1.3rem;height:1.3rem;margin:.15rem 0 0;flex:none}.choice label{margin:0;font-weight:400}
.actions{display:flex;gap:.75rem 1rem;flex-wrap:wrap;margin-top:1.25rem}.actions form{margin:0}
button{font:inherit;font-weight:700;min-width:12rem;padding:.7rem 1.2rem;border-radius:8px;border:2px solid var(--accent);cursor:pointer}
button.primary,a.button{background:var(--accent);color:#fff}button.secondary,a.button.secondary{background:#fff;color:var(--accent)}
a.button{display:inline-block;text-align:center;text-decoration:none;font-weight:700;min-width:12rem;padding:.7rem 1.2rem;border-radius:8px;border:2px solid var(--accent)}
@media (max-width:30rem){button,a.button{width:100%}.actions form{width:100%}}
.mark.ok{color:var(--good);font-weight:700}.mark.fail{color:var(--bad);font-weight:700}.mark.pending{color:var(--muted);font-weight:700}
a{color:var(--accent)}:focus-visible{outline:3px solid #e8a200;outline-offset:2px}
.panel{background:var(--panel);border-radius:8px;padding:.75rem 1rem;margin:1rem 0}.error{color:var(--bad);font-weight:700}
.visually-hidden{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
.promise{border-left:6px solid var(--accent);padding:.5rem 1rem;background:var(--panel);border-radius:0 8px 8px 0}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.3rem 1rem}dt{font-weight:600}dd{margin:0;min-width:0;overflow-wrap:anywhere}
dd ul{margin:0;padding-left:1.1rem}
@media (max-width:30rem){dl{grid-template-columns:1fr;gap:0}dd{margin-bottom:.5rem}}
code{font-size:.95rem;letter-spacing:.03em;overflow-wrap:anywhere}details summary{cursor:pointer;color:var(--accent);font-weight:600}
.status{display:inline-block;font-size:.85rem;font-weight:700;padding:.1rem .55rem;border-radius:999px;border:1px solid currentColor;vertical-align:middle}
.status.active{color:var(--good)}.status.ended{color:var(--muted)}
.day h2{font-size:1.05rem;color:var(--muted);border-bottom:1px solid var(--soft);padding-bottom:.3rem;margin:1.6rem 0 .2rem}
ol.entries{list-style:none;margin:0;padding:0}
li.entry{display:grid;grid-template-columns:4rem 1fr;gap:.25rem 1rem;padding:.8rem 0;border-bottom:1px solid var(--soft)}
li.entry .at{font-weight:700;font-variant-numeric:tabular-nums;padding-top:.05rem}li.entry p{margin:0 0 .2rem}
li.entry .label{color:var(--muted)}li.entry .check{font-size:.95rem}li.entry details{margin-top:.3rem;font-size:.95rem}
li.entry details dl{margin:.4rem 0 0}
@media (max-width:30rem){li.entry{grid-template-columns:1fr}li.entry .at{color:var(--muted);font-size:.95rem}}
.receipt{border:2px solid var(--soft);border-radius:10px;padding:1rem 1.25rem;margin:1rem 0}
.receipt h2:first-child{margin-top:.2rem}
.fingerprint{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:1.05rem;letter-spacing:.06em;white-space:nowrap}
`;

/** The page frame: the bank's header (logo mark, name, colour), a favicon, and the content. */
export function page(bankName: string, title: string, body: string): string {
  const brand = brandByName(bankName);
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${esc(title)} — ${esc(bankName)}</title><link rel="icon" href="${esc(faviconHref(bankName, brand.colour))}"><meta name="theme-color" content="${esc(brand.colour)}">
<style>:root{--accent:${esc(brand.colour)}}${STYLE}</style></head>
<body><a class="skip" href="#main">Skip to content</a><header class="bank"><div class="bar">${logoMark(bankName, brand.colour)}<p class="bank-name">${esc(bankName)}</p></div></header><main id="main">${body}</main></body></html>`;
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

/** "28 February 2027" for "2027-02-28" (a calendar day, no time zone involved). */
function dayWords(isoDay: string): string {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(isoDay)) return isoDay;
  return new Intl.DateTimeFormat('en-GB', {
    timeZone: 'UTC',
    day: 'numeric',
    month: 'long',
    year: 'numeric',
  }).format(new Date(`${isoDay}T12:00:00Z`));
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
<section aria-labelledby="howlong"><h2 id="howlong">For how long</h2><p>${v.durationDays} days, until ${esc(dayWords(v.expiresOn))}, unless you stop it sooner. We will remind you 30 days before it ends; you can renew it here without linking again.</p></section>
<section aria-labelledby="device"><h2 id="device">Which device can read it</h2><p>The data is sealed so only your device can read it. Check that your app shows the same device key: <code class="fingerprint">${esc(v.fingerprint)}</code></p></section>
${promise()}
<section aria-labelledby="disclosure" class="panel"><h2 id="disclosure">Authorisation disclosure</h2><dl>
<dt>Recipient</dt><dd>${esc(v.platformName)}</dd><dt>Data provider</dt><dd>${esc(v.bankName)}</dd>
<dt>Service</dt><dd>${esc(v.purposes.map((p) => PURPOSE_TEXT[p].title).join('; '))}</dd>
<dt>Data categories</dt><dd>${esc(v.clusters.map((c) => CLUSTER_TEXT[c].title).join('; '))}</dd>
<dt>Duration</dt><dd>${v.durationDays} days from today, until ${esc(dayWords(v.expiresOn))} (never more than one year from your latest authorisation; you can renew it)</dd>
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

function date(bankName: string, d: Date | null): string {
  if (!d) return '—';
  const { day } = localParts(d, brandByName(bankName).timeZone);
  return `<time datetime="${esc(d.toISOString())}">${esc(withoutWeekday(day))}</time>`;
}

function consentBlock(v: DashboardView, c: DashboardView['consents'][number], onDetails = false): string {
  const active = c.status === 'authorised';
  const hidden = `<input type="hidden" name="csrf" value="${esc(v.csrf)}">`;
  const ended = active ? c.expiresAt : (c.revokedAt ?? c.expiresAt ?? c.rejectedAt);
  return `<article class="panel" aria-labelledby="c-${esc(c.id)}">
<h3 id="c-${esc(c.id)}">${esc(c.platformName)} <span class="status ${active ? 'active' : 'ended'}">${esc(STATUS_TEXT[c.status] ?? c.status)}</span></h3>
<dl><dt>Used for</dt><dd>${esc(c.purposes.map((p) => PURPOSE_TEXT[p].title).join('; '))}</dd>
<dt>Data</dt><dd>${clusterList(c.clusters.filter((x) => (DATA_CLUSTERS as readonly string[]).includes(x)))}</dd>
<dt>Granted</dt><dd>${date(v.bankName, c.authorisedAt)}</dd><dt>${active ? 'Ends' : 'Ended'}</dt><dd>${date(v.bankName, ended)}</dd>
<dt>Last used</dt><dd>${c.lastAccessAt ? date(v.bankName, c.lastAccessAt) : 'Not used yet'}</dd>
<dt>Device key</dt><dd>${c.deviceKeyRemovedAt ? 'Removed' : `<code class="fingerprint">${esc(deviceKeyFingerprint(c.deviceKey))}</code>`}</dd></dl>
<div class="actions">
${onDetails ? '' : `<a class="button" href="${esc(v.base)}/connected-apps/${esc(c.id)}">View details and receipt</a>`}
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
<section aria-labelledby="past"><h2 id="past">Past (${past.length})</h2>${
      past.length === 0
        ? '<p>None.</p>'
        : `<details${past.length <= 2 ? ' open' : ''}><summary>${past.length === 1 ? 'Show the app that no longer uses your data' : `Show the ${past.length} apps that no longer use your data`}</summary>${past.map((c) => consentBlock(v, c)).join('')}</details>`
    }</section>
<form method="post" action="${esc(v.base)}/connected-apps/logout"><input type="hidden" name="csrf" value="${esc(v.csrf)}"><button class="secondary" type="submit">Log out</button></form>`,
  );
}

export function consentDetailPage(
  v: DashboardView,
  c: DashboardView['consents'][number],
  accounts: string[],
  /** Extra sections (already escaped HTML), e.g. the payments made through this link. */
  extra = '',
): string {
  return page(
    v.bankName,
    `${c.platformName}`,
    `<p><a href="${esc(v.base)}/connected-apps">← Back to connected apps</a></p><h1>${esc(c.platformName)}: your consent</h1>${consentBlock(v, c, true)}
<h2>Accounts shared</h2><ul>${accounts.map((a) => `<li>${esc(a)}</li>`).join('') || '<li>None</li>'}</ul>${extra}
<h2>Your consent receipt</h2>
<p>${esc(v.bankName)} signed a receipt of what you allowed. Anyone can check its signature against the bank's published keys.</p>
<div class="actions"><a class="button" href="${esc(v.base)}/connected-apps/${esc(c.id)}/receipt/view">Read the receipt</a>
<a class="button secondary" href="${esc(v.base)}/connected-apps/${esc(c.id)}/receipt" download="consent-receipt-${esc(c.id)}.jws">Download the signed receipt (.jws)</a></div>`,
  );
}
