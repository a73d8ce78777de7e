// What the connected-apps page shows of checkout: the payments a customer made through a link
// (purpose checkout: funds answers and receipts went through it) and a way to stop future ones.
// The payments context implements it; the consent context only renders and forwards the click.
import { esc } from './screens.ts';

export interface LinkPayment {
  id: string;
  merchantName: string;
  amount: string;
  currency: string;
  orderReference: string;
  status: string;
  at: Date;
}

export interface LinkPayments {
  list(bankId: string, linkConsentId: string): Promise<LinkPayment[]>;
  stopped(bankId: string, linkConsentId: string): Promise<boolean>;
  /** No more funds answers or receipts through this link (payments still need the bank's approval). */
  stop(bankId: string, linkConsentId: string): Promise<void>;
}

const STATUS_TEXT: Record<string, string> = {
  AcceptedSettlementCompleted: 'Paid',
  AcceptedSettlementInProcess: 'Paying',
  Rejected: 'Not paid',
};

/** The "Payments through this link" section of a consent's detail page. */
export function linkPaymentsSection(section: {
  base: string;
  consentId: string;
  csrf: string;
  payments: LinkPayment[];
  stopped: boolean;
}): string {
  const rows = section.payments
    .map(
      (p) =>
        `<li><strong>${esc(p.merchantName)}</strong> — ${esc(p.currency)} ${esc(p.amount)}, order ${esc(p.orderReference)}, ${esc(STATUS_TEXT[p.status] ?? p.status)} <span class="label">(${esc(p.at.toISOString().slice(0, 16).replace('T', ' '))} UTC)</span></li>`,
    )
    .join('');
  const action = section.stopped
    ? '<p><strong>Stopped:</strong> this app can no longer check funds or receive receipts for payments.</p>'
    : `<form method="post" action="${esc(section.base)}/connected-apps/${esc(section.consentId)}/stop-checkout"><input type="hidden" name="csrf" value="${esc(section.csrf)}">
<p>Every payment still needs your approval here at the bank. Stopping means this app can no longer ask whether you can pay, nor show you receipts.</p>
<div class="actions"><button class="secondary" type="submit">Stop payments through this app</button></div></form>`;
  return `<h2 id="payments">Payments through this app</h2><ul>${rows || '<li>None yet</li>'}</ul>${action}`;
}
