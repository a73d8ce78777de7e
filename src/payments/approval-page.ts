// The bank's payment approval screen: who is paid, how much, for which order; the account to
// pay from; strong customer authentication (password + one-time code, or the code alone for a
// customer this browser is logged in as with a live chat link); Approve / Decline. No script.
import { bankPage, esc } from '../consent/index.ts';

export interface ApprovalView {
  bankName: string;
  merchantName: string;
  amount: string;
  currency: string;
  orderReference: string;
  description?: string | undefined;
  csrf: string;
  action: string;
  /** Accounts to pay from (after the customer is known); empty: log in first. */
  accounts: { id: string; label: string }[];
  /** Ask the one-time code on this form (returning customer). */
  askCode: boolean;
  error?: string | undefined;
}

export function formatMoney(amount: string, currency: string): string {
  const symbol = currency === 'GBP' ? '£' : currency === 'EUR' ? '€' : `${currency} `;
  return `${symbol}${amount}`;
}

function summary(v: ApprovalView): string {
  return `<div class="panel"><dl>
<dt>Pay</dt><dd>${esc(v.merchantName)}</dd>
<dt>Amount</dt><dd><strong>${esc(formatMoney(v.amount, v.currency))}</strong></dd>
<dt>Order</dt><dd>${esc(v.orderReference)}</dd>
${v.description ? `<dt>Reference</dt><dd>${esc(v.description)}</dd>` : ''}
</dl></div>`;
}

const error = (v: ApprovalView) =>
  v.error ? `<p class="error" role="alert" id="approval-error">${esc(v.error)}</p>` : '';

/** Step 1 for a customer the bank does not know in this browser: log in (password + code). */
export function approvalLoginPage(v: ApprovalView): string {
  return bankPage(
    v.bankName,
    'Approve a payment',
    `<h1>Approve a payment to ${esc(v.merchantName)}</h1>${summary(v)}
<p>Log in here, at your bank, to choose an account and approve. ${esc(v.merchantName)} never sees your login or your accounts.</p>
${error(v)}
<form method="post" action="${esc(v.action)}/login">
<input type="hidden" name="csrf" value="${esc(v.csrf)}">
<label for="username">Username</label>
<input id="username" name="username" type="text" autocomplete="username" required maxlength="64">
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required maxlength="256">
<label for="otp">One-time code from your authenticator app</label>
<input id="otp" name="otp" type="text" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{6}" required maxlength="6">
<div class="actions"><button class="primary" type="submit">Log in</button></div>
</form>
<form method="post" action="${esc(v.action)}/decide"><input type="hidden" name="csrf" value="${esc(v.csrf)}"><input type="hidden" name="decision" value="decline">
<div class="actions"><button class="secondary" type="submit">Decline</button></div></form>`,
  );
}

/** Step 2 (or the only step for a returning customer): the account, the code if asked, the decision. */
export function approvalPage(v: ApprovalView): string {
  const accounts = v.accounts
    .map(
      (a, i) =>
        `<div class="choice"><input type="radio" id="acc-${i}" name="account" value="${esc(a.id)}" ${i === 0 ? 'checked' : ''}><label for="acc-${i}">${esc(a.label)}</label></div>`,
    )
    .join('');
  const code = v.askCode
    ? `<label for="otp">One-time code from your authenticator app</label>
<input id="otp" name="otp" type="text" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{6}" maxlength="6" aria-describedby="otp-hint">
<p id="otp-hint">You are logged in at your bank in this browser; the code confirms it is you.</p>`
    : '';
  return bankPage(
    v.bankName,
    'Approve a payment',
    `<h1>Approve a payment to ${esc(v.merchantName)}</h1>${summary(v)}${error(v)}
<form method="post" action="${esc(v.action)}/decide">
<input type="hidden" name="csrf" value="${esc(v.csrf)}">
<fieldset><legend>Pay from</legend>${accounts || '<p>No account can make this payment.</p>'}</fieldset>
${code}
<p>${esc(v.merchantName)} learns only whether the payment was made — never your balance or account number.</p>
<div class="actions"><button class="primary" type="submit" name="decision" value="approve">Approve ${esc(formatMoney(v.amount, v.currency))}</button>
<button class="secondary" type="submit" name="decision" value="decline">Decline</button></div>
</form>`,
  );
}
