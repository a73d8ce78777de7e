// The shopper's steps at the bank and in the chat for the checkout browser tests: Pay (the
// approval opens in a new tab), log in and approve or decline at the bank, wait for the
// order's outcome in the chat. Also the bank-core levers the failure cases need.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { sql } from 'kysely';
import type { Page } from 'playwright-core';
import { otpNow, resetTotp } from '../support/consent.ts';
import type { ShopSystem } from './checkout-support.ts';

const WAIT = { timeout: 60_000 };

export const SHOTS = process.env['PROVISO_SCREENSHOTS'];

export async function shot(page: Page, name: string, width: number): Promise<void> {
  if (!SHOTS) return;
  await mkdir(SHOTS, { recursive: true });
  await page.screenshot({ path: join(SHOTS, `${name}-${width}.png`) });
}

/** Presses Pay (twice, as a double-click, when asked) and returns the bank's approval tab. */
export async function pressPay(page: Page, options: { doubleClick?: boolean } = {}): Promise<Page> {
  const pay = page.locator('article.shop').last().locator('button[data-pay]');
  const [popup] = await Promise.all([
    page.waitForEvent('popup', WAIT),
    options.doubleClick ? pay.dblclick() : pay.click(),
  ]);
  return popup;
}

export interface Approval {
  decision: 'approve' | 'decline';
  /** Label of the account to pay from (the first one otherwise). */
  account?: RegExp;
  /** A screenshot of the approval screen at this width. */
  shotWidth?: number;
  shotName?: string;
}

/** At the bank, in the approval tab: log in if asked (password + code), then approve or decline. */
export async function decideAtBank(s: ShopSystem, tab: Page, bank: string, a: Approval): Promise<void> {
  await tab.waitForURL(`${s.t.gw.url}/banks/${bank}/**`, WAIT);
  await tab.waitForSelector('h1:has-text("Approve a payment to")', WAIT);
  if (a.decision === 'approve' || (await tab.getByLabel('Username').count()) > 0) {
    if ((await tab.getByLabel('Username').count()) > 0) {
      await resetTotp(s.t);
      await tab.getByLabel('Username').fill('demo');
      await tab.getByLabel('Password').fill('proviso-demo');
      await tab.getByLabel('One-time code from your authenticator app').fill(otpNow(bank, 'demo'));
      await tab.getByRole('button', { name: 'Log in' }).click();
      await tab.waitForSelector('button[value="approve"]', WAIT);
    }
  }
  if (a.account) await tab.getByLabel(a.account).check();
  const otp = tab.getByLabel('One-time code from your authenticator app');
  if (a.decision === 'approve' && (await otp.count()) > 0 && (await otp.isVisible())) {
    await resetTotp(s.t);
    await otp.fill(otpNow(bank, 'demo'));
  }
  if (a.shotWidth && a.shotName) await shot(tab, a.shotName, a.shotWidth);
  await tab.locator(`button[value="${a.decision}"]`).click();
}

/** The order card in the chat once its outcome is known; its status word (paid, declined, …). */
export async function orderOutcome(page: Page): Promise<string> {
  const status = page.locator('li.order-msg .order-status').last();
  await page.waitForFunction(
    () => {
      const all = document.querySelectorAll('li.order-msg .order-status');
      const last = all[all.length - 1] as HTMLElement | undefined;
      return !!last && last.dataset['order'] !== 'pending';
    },
    undefined,
    WAIT,
  );
  return (await status.getAttribute('data-order')) ?? '';
}

/** The bank core's levers: an account that cannot pay, or one that is blocked. */
export async function setAccounts(
  s: ShopSystem,
  bank: string,
  username: string,
  change: { balance?: string; blocked?: boolean },
): Promise<void> {
  const core = s.t.gw.core(bank);
  const customer = (await core.customerByUsername(username))!;
  const db = s.t.db.database.tables<{
    core_account: {
      bank_id: string;
      customer_id: string;
      ledger_balance: string;
      blocked: boolean;
      credit_limit: string | null;
    };
  }>();
  let update = db
    .updateTable('core_account')
    .where('bank_id', '=', bank)
    .where('customer_id', '=', customer.id);
  if (change.balance !== undefined)
    update = update.set({ ledger_balance: change.balance, credit_limit: null });
  if (change.blocked !== undefined) update = update.set({ blocked: change.blocked });
  await update.execute();
}

/** The customer's transactions that name a merchant, straight from the bank core. */
export async function coreLinesFor(s: ShopSystem, bank: string, username: string, merchant: string) {
  const core = s.t.gw.core(bank);
  const customer = (await core.customerByUsername(username))!;
  const lines = [];
  for (const account of await core.accounts(customer.id)) {
    const page = await core.transactions(account.id, { limit: 50 });
    lines.push(...page.items.filter((t) => `${t.merchantName ?? ''} ${t.description}`.includes(merchant)));
  }
  return lines;
}

/** Transparency-log entries of the payment kinds (docs/checkout.md), counted per kind. */
export async function paymentLogKinds(s: ShopSystem, bank: string): Promise<Record<string, number>> {
  const rows = await sql<{ kind: string; n: number }>`
    select kind, count(*)::int as n from audit_entry
    where bank_id = ${bank} and (kind like 'payment.%' or kind in ('funds.attested', 'receipt.sealed'))
    group by kind`.execute(s.t.db.database.tables());
  return Object.fromEntries(rows.rows.map((r) => [r.kind, r.n]));
}
