// The customer's signed consent receipt as a page a person reads: who receives which data,
// for which purposes, what it is never used for, for how long, which device can read it, and
// which bank key signed it — all taken from the signed JWS itself, with the JWS to download
// beside it (machines keep fetching .../receipt, which answers the JWS alone).
import { brandByName, dateAndTime } from './brand.ts';
import { clusterWords, purposeWords } from './history-page.ts';
import type { ReadableReceipt } from './receipts.ts';
import { esc, page } from './screens.ts';

export interface ReceiptView {
  bankName: string;
  base: string;
  receipt: ReadableReceipt;
  /** Where the JWS is served (download and machines). */
  jwsUrl: string;
  /** The bank's published keys, to check the signature against. */
  jwksUrl: string;
}

const STATUS_WORDS: Record<string, string> = {
  authorised: 'Active',
  revoked: 'Stopped',
  expired: 'Ended (expired)',
  rejected: 'Not allowed',
  awaiting_authorisation: 'Waiting for your decision',
};

/** The receipt's never_used_for values, as a list under "Never used for". */
const NEVER_WORDS: Record<string, string> = {
  advertising: 'Advertising',
  marketing: 'Marketing',
  profiling: 'Building a profile of you',
  resale: 'Selling it or passing it on',
  credit_decisioning: 'Deciding whether to give you credit',
};

const ALGORITHM_WORDS: Record<string, string> = { EdDSA: 'Ed25519', ES256: 'ECDSA P-256' };

export function receiptPage(v: ReceiptView): string {
  const r = v.receipt;
  const zone = brandByName(v.bankName);
  const when = (d: Date | null) =>
    d ? `<time datetime="${esc(d.toISOString())}">${esc(dateAndTime(d, zone.timeZone))}</time>` : '—';
  const purposes = r.purposes.map((p) => `<li>${esc(purposeWords(p))}</li>`).join('');
  const data = r.clusters.map((c) => `<li>${esc(clusterWords([c]))}</li>`).join('');
  const accounts = r.accounts.map((a) => `<li>${esc(a.label)}</li>`).join('') || '<li>None</li>';
  const never = r.neverUsedFor.map((f) => `<li>${esc(NEVER_WORDS[f] ?? f)}</li>`).join('');
  const stopped = r.revokedAt ? `, stopped ${when(r.revokedAt)}` : '';
  const download = `consent-receipt-${r.consentId}.jws`;
  return page(
    v.bankName,
    'Your consent receipt',
    `<p><a href="${esc(v.base)}/connected-apps/${esc(r.consentId)}">← Back to ${esc(r.recipient.name)}</a></p>
<h1>Your consent receipt</h1>
<p>What you allowed ${esc(r.recipient.name)} to do with your ${esc(r.dataProvider)} data, exactly as ${esc(r.dataProvider)} signed it. Times are ${esc(zone.zoneName)}.</p>
<div class="actions"><a class="button" href="${esc(v.jwsUrl)}" download="${esc(download)}">Download the signed receipt (.jws)</a></div>
<section class="receipt" aria-labelledby="receipt-title">
<h2 id="receipt-title">What you allowed</h2>
<dl>
<dt>Who receives your data</dt><dd>${esc(r.recipient.name)}</dd>
<dt>From</dt><dd>${esc(r.dataProvider)}</dd>
<dt>Status</dt><dd>${esc(STATUS_WORDS[r.status] ?? r.status)}${stopped}</dd>
<dt>Which data</dt><dd><ul>${data}</ul></dd>
<dt>From which accounts</dt><dd><ul>${accounts}</ul></dd>
<dt>What for</dt><dd><ul>${purposes}</ul></dd>
<dt>Never used for</dt><dd><ul>${never}</ul></dd>
<dt>For how long</dt><dd>${r.durationDays} days: from ${when(r.authorisedAt)} until ${when(r.expiresAt)}</dd>
<dt>Which device can read it</dt><dd><span class="fingerprint">${esc(r.deviceKeyFingerprint)}</span><br><small>The device key your app showed when you linked.</small></dd>
<dt>Receipt number</dt><dd><code>${esc(r.consentId)}</code></dd>
<dt>Signed by</dt><dd>${esc(r.dataProvider)}, on ${when(r.issuedAt)}, with its ${esc(ALGORITHM_WORDS[r.algorithm] ?? r.algorithm)} key <code>${esc(r.keyId)}</code></dd>
</dl>
</section>
<details class="panel"><summary>Checking the signature yourself</summary>
<p>The download is a compact JWS (<code>${esc(r.type)}</code>, algorithm <code>${esc(r.algorithm)}</code>, key id <code>${esc(r.keyId)}</code>) issued by <code>${esc(r.issuer)}</code>. Check it with any JOSE library against the bank's published keys at <a href="${esc(v.jwksUrl)}">${esc(v.jwksUrl)}</a>.</p>
<p>Programs fetch the same receipt from <code>${esc(v.jwsUrl)}</code> (<code>application/jose</code>); this page is at <code>…/receipt/view</code>.</p>
</details>`,
  );
}
