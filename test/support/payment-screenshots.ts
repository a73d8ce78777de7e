// Screenshots of the bank's checkout screens for docs/screenshots/bank-payment-*.png, at 1280
// and 390 px wide: the payment approval login, the approval form (account choice, Approve /
// Decline), the returning customer's code-only form, and the payments section of a connected
// app. Run: node test/support/payment-screenshots.ts [OUTDIR]
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { DEMO_MERCHANTS } from '../../src/payments/index.ts';
import { approvedConsent } from '../payments/flow.ts';
import { pgliteBackend } from './backends.ts';
import { launchChromium } from './browser.ts';
import { linkCustomer, otpNow, resetTotp } from './consent.ts';
import { startTestGateway } from './gateway.ts';
import { TestMerchant } from './merchant.ts';

const out = process.argv[2] ?? 'docs/screenshots';
mkdirSync(out, { recursive: true });
const t = await startTestGateway(pgliteBackend, 3);
const browser = await launchChromium();

async function shot(page: Page, name: string, width: number): Promise<void> {
  const file = join(out, `${name}-${width}.png`);
  const height = await page.evaluate(() => document.documentElement.scrollHeight);
  await page.screenshot({
    path: file,
    clip: { x: 0, y: 0, width, height: Math.min(height, 1400) },
    fullPage: true,
  });
  spawnSync('pngquant', ['--force', '--ext', '.png', '--quality', '65-90', '--speed', '3', file]);
  console.log(file);
}

try {
  const books = await TestMerchant.create(t, 'northwind', DEMO_MERCHANTS[0]!);
  const tea = await TestMerchant.create(t, 'northwind', DEMO_MERCHANTS[1]!);
  const linked = await linkCustomer(t, { purposes: ['checkout'], clusters: ['payments'] });
  const paid = await approvedConsent(t, tea, '7.50', 'T-77', { jar: linked.jar });
  await tea.call('POST', '/domestic-payments', paid.token, {
    Data: { ConsentId: paid.consentId, Initiation: tea.initiation('7.50', 'T-77') },
    Risk: { PaymentContextCode: 'EcommerceGoods' },
  });
  for (const width of [1280, 390]) {
    // A new customer in a fresh browser: log in at the bank, then choose the account.
    const consentId = await books.createConsent('42.00', `A-10${width}`);
    const pending = await books.authorize(consentId, '42.00');
    const context = await browser.newContext({ viewport: { width, height: width > 800 ? 900 : 844 } });
    const page = await context.newPage();
    await page.goto(pending.url);
    await page.waitForSelector('text=Approve a payment to Corner Books');
    await shot(page, 'bank-payment-login', width);
    await resetTotp(t);
    await page.getByLabel('Username').fill('demo');
    await page.getByLabel('Password').fill('proviso-demo');
    await page.getByLabel('One-time code from your authenticator app').fill(otpNow('northwind', 'demo'));
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.waitForSelector('text=Pay from');
    await shot(page, 'bank-payment-approve', width);
    // The returning customer: the bank's session cookie from linking, and the live chat link.
    const returning = await browser.newContext({ viewport: { width, height: width > 800 ? 900 : 844 } });
    const cookies = linked.jar
      .header()
      .split('; ')
      .map((c) => c.split('='))
      .filter(([name]) => name === 'proviso_bank_northwind')
      .map(([name, value]) => ({ name: name!, value: value!, url: `${t.gw.url}/banks/northwind/` }));
    await returning.addCookies(cookies);
    const again = await returning.newPage();
    const second = await books.createConsent('9.99', `B-20${width}`);
    await again.goto((await books.authorize(second, '9.99')).url);
    await again.waitForSelector('text=Pay from');
    await shot(again, 'bank-payment-returning', width);
    await again.goto(`${t.gw.url}/banks/northwind/connected-apps/${linked.link.consentId}`);
    await again.waitForSelector('text=Payments through this app');
    await again.locator('#payments').scrollIntoViewIfNeeded();
    await shot(again, 'bank-connected-app-payments', width);
    await context.close();
    await returning.close();
  }
} finally {
  await browser.close();
  await t.close();
}
