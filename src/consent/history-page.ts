// The customer's access history: one entry per transparency-log record about them, grouped
// by day in the bank's time zone, newest first. Each entry says who (which app, or the bank's
// own fraud team), what happened, which data and for which purpose, and when; the exact log
// record behind a "Details" toggle. The page's script (history-client.ts) checks every entry
// against the bank's signed log in the browser and writes ✓ or ✗ into its [data-check] line.
import { CLUSTER_TEXT, PURPOSE_TEXT } from '../policy/index.ts';
import { brandByName, dayHeading, localParts } from './brand.ts';
import { esc, page } from './screens.ts';

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
  now?: Date;
}

/** What happened, as a sentence; {app} is the app (or the bank's fraud team) that did it. */
const KIND_TEXT: Record<string, string> = {
  'data.access': '{app} read your data',
  'consent.requested': '{app} asked for access',
  'consent.authorised': 'You allowed {app} access',
  'consent.rejected': 'You did not allow {app} access',
  'consent.revoked': 'Access for {app} stopped',
  'consent.expired': 'Access for {app} ended (expired)',
  'consent.reauthorised': 'You renewed access for {app}',
  'alert.raised': 'A fraud alert was sent to you through {app}',
  'alert.reply': '{app} passed on your answer to a fraud alert',
  'alert.confirmed': '{app} confirmed a payment as fraud',
  'alert.cleared': '{app} marked a payment as genuine',
  'alert.contact': '{app} tried to contact you about a payment',
  'card.action': 'A card was frozen or unfrozen by {app}',
  'payment.funds-check': '{app} asked whether a payment can be made',
  'payment.initiated': '{app} started a payment',
  'payment.executed': 'A payment to {app} was made',
  'payment.refunded': '{app} refunded a payment',
  'payment.receipt': 'Your bank sent a payment receipt to your device through {app}',
  'payment.authorised': 'You approved a payment from {app}',
  'payment.rejected': 'A payment from {app} was not approved',
};

/** The sentence for an entry, the app's name in bold (escaped). */
export function kindSentence(kind: string, appName: string): string {
  const template = KIND_TEXT[kind] ?? `{app}: ${kind}`;
  const [before, after] = template.split('{app}') as [string, string];
  return `${esc(before)}<strong data-field="app">${esc(appName)}</strong>${esc(after ?? '')}`;
}

export function purposeWords(purpose: string | null): string | null {
  if (purpose === null) return null;
  return (PURPOSE_TEXT as Record<string, { title: string }>)[purpose]?.title ?? purpose;
}

export function clusterWords(clusters: readonly string[]): string | null {
  if (clusters.length === 0) return null;
  return clusters.map((c) => (CLUSTER_TEXT as Record<string, { title: string }>)[c]?.title ?? c).join('; ');
}

function entry(e: AccessHistoryView['entries'][number], timeZone: string, zoneName: string): string {
  const purpose = purposeWords(e.purpose);
  const data = clusterWords(e.clusters);
  const { time } = localParts(e.at, timeZone);
  const iso = e.at.toISOString();
  return `<li class="entry" data-index="${e.index}" data-kind="${esc(e.kind)}" data-platform="${esc(e.platform)}" data-purpose="${esc(e.purpose ?? '')}" data-clusters="${esc([...e.clusters].sort().join(','))}" data-time="${esc(iso)}">
<time class="at" datetime="${esc(iso)}">${esc(time)}</time>
<div class="body">
<p class="who" data-field="what">${kindSentence(e.kind, e.platformName)}</p>
${data ? `<p class="fact"><span class="label">Data:</span> <span data-field="data">${esc(data)}</span></p>` : ''}
${purpose ? `<p class="fact"><span class="label">Purpose:</span> <span data-field="purpose">${esc(purpose)}</span></p>` : ''}
<p class="check" data-check>Not checked yet</p>
<details><summary>Details<span class="visually-hidden"> of this entry</span></summary><dl>
<dt>Log entry</dt><dd>number ${e.index} in ${esc('the bank’s public transparency log')}</dd>
<dt>Exact time</dt><dd>${esc(time)} ${esc(zoneName)} (${esc(iso.replace('T', ' ').replace('Z', ' UTC'))})</dd>
<dt>Recorded as</dt><dd><code>${esc(e.kind)}</code>${e.purpose ? `, purpose <code>${esc(e.purpose)}</code>` : ''}${e.clusters.length ? `, data <code>${esc(e.clusters.join(', '))}</code>` : ''}</dd>
<dt>App id</dt><dd><code>${esc(e.platform)}</code></dd>
</dl></details>
</div></li>`;
}

export function accessHistoryPage(v: AccessHistoryView): string {
  const brand = brandByName(v.bankName);
  const now = v.now ?? new Date();
  const days: { heading: string; items: string[] }[] = [];
  for (const e of v.entries) {
    const heading = dayHeading(e.at, now, brand.timeZone);
    const last = days.at(-1);
    if (last?.heading === heading) last.items.push(entry(e, brand.timeZone, brand.zoneName));
    else days.push({ heading, items: [entry(e, brand.timeZone, brand.zoneName)] });
  }
  const list = days
    .map(
      (d, i) =>
        `<section class="day" aria-labelledby="day-${i}"><h2 id="day-${i}">${esc(d.heading)}</h2><ol class="entries">${d.items.join('\n')}</ol></section>`,
    )
    .join('\n');
  return page(
    v.bankName,
    'Access history',
    `<p><a href="${esc(v.base)}/connected-apps">← Back to connected apps</a></p>
<h1>Access history</h1>
<p>Every time an app used your ${esc(v.bankName)} data, and every change to what you allowed, newest first. Times are ${esc(brand.zoneName)}.</p>
<details class="panel"><summary>How your browser checks this list</summary>
<p>Each entry is written to ${esc(v.bankName)}'s public transparency log before anything is sent. Other banks watch that log, so it cannot be quietly rewritten. Your browser fetches the log's signed checkpoint and a proof for each entry, and shows <span aria-hidden="true">✓</span> "Verified" only if the proof leads to the signed checkpoint. The log itself holds no names or account numbers.</p></details>
<noscript><p class="panel">Checking needs JavaScript. The history below is still complete.</p></noscript>
<p id="verify-summary" role="status" aria-live="polite" class="panel">${v.entries.length ? 'Checking your history against the log…' : 'Nothing to check yet.'}</p>
${
  v.entries.length
    ? `<div class="history" data-log-prefix="${esc(v.logPrefix)}" data-log-key="${esc(v.logKey)}">
${list}
</div>`
    : '<p>No app has used your data yet.</p>'
}
<script src="${esc(v.scriptUrl)}" defer></script>`,
  );
}
