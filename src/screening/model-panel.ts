// The investigator view's model panel: which model screens this bank's payments, what it was
// trained on, how it did on the held-out days, its threshold, and the versions kept for rollback.
import type { BankModelSummary } from './model-registry.ts';
import type { ScreeningService } from './service.ts';

const esc = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );
const day = (d: Date | string) => esc(new Date(d).toISOString().slice(0, 10));
const pct = (v: number) => (Number.isFinite(v) ? `${(v * 100).toFixed(0)} %` : '—');

export function renderModelPanel(versions: readonly BankModelSummary[]): string {
  const active = versions.find((v) => v.status === 'active');
  if (active === undefined)
    return '<section aria-labelledby="model-h"><h2 id="model-h">Model</h2><p>The shipped model (trained on the shared data set): this bank has no model of its own yet. Run <code>proviso train --bank ID</code>.</p></section>';
  const v = active.validation;
  const kinds = (['big-ticket', 'leaked-card', 'compromised-terminal'] as const)
    .map(
      (k) =>
        `<li>${esc(k.replace('-', ' '))}: ${pct(v.caught[k].share)} of ${v.caught[k].eligible} caught</li>`,
    )
    .join('');
  const others = versions
    .filter((m) => m !== active)
    .slice(0, 5)
    .map(
      (m) =>
        `<li>v${m.version} (${esc(m.status.replace('_', ' '))}), trained ${day(m.createdAt)}, threshold ${m.threshold.toFixed(3)}</li>`,
    )
    .join('');
  return `<section aria-labelledby="model-h"><h2 id="model-h">Model in use: v${active.version}</h2>
<p>Trained on this bank's own history (${esc(active.source)}) from ${day(active.trainedFrom)} to ${day(active.trainedTo)} in ${active.trainingSeconds.toFixed(0)} s; alert threshold ${active.threshold.toFixed(3)}.</p>
<p>Validation on ${day(v.from)} … ${day(v.to)} (${v.genuine} genuine payments): AUC ${v.aucRoc.toFixed(3)}, average precision ${v.averagePrecision.toFixed(3)}, ${v.falseAlarmsPer1000.toFixed(2)} false alarms per 1,000 genuine payments, ${v.falseAlarmsPerCustomerMonth.toFixed(2)} per customer per month.</p>
<ul>${kinds}</ul>${others ? `<p>Kept for rollback (<code>proviso train --bank ID --rollback</code>):</p><ul>${others}</ul>` : ''}</section>`;
}

/** The panel for a bank, or '' when the service has no model registry. */
export async function bankModelPanel(service: ScreeningService, bankId: string): Promise<string> {
  return service.models === undefined ? '' : renderModelPanel(await service.models.versions(bankId));
}
