// Screenshots of the bank's pages for docs/screenshots/bank-*.png, at 1280 and 390 px wide:
// connected apps, access history (checked in the browser), the readable consent receipt and
// the investigator view, and Fjordbank's login and consent screens. Run: node test/support/bank-screenshots.ts [OUTDIR]
// It starts a throwaway gateway on PGlite, links the demo customer, reads a balance, raises
// alerts and takes one investigator action, then photographs each page in Chromium.
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { pgliteBackend } from './backends.ts';
import { launchChromium } from './browser.ts';
import { deviceKey, linkCustomer, otpNow, platformClient, resetTotp } from './consent.ts';
import { startTestGateway } from './gateway.ts';
import { investigatorAction, raiseDemoAlerts, staffAuthorization } from './investigator.ts';

const out = process.argv[2] ?? 'docs/screenshots';
mkdirSync(out, { recursive: true });
const t = await startTestGateway(pgliteBackend, 3);
const browser = await launchChromium();
try {
  const old = await linkCustomer(t, { pick: (a) => a.slice(0, 1) });
  await old.client.revoke(old.link);
  const linked = await linkCustomer(t, {
    purposes: ['balance_inquiry', 'fraud_alerts'],
    clusters: ['accounts', 'balances', 'transactions', 'card_controls'],
    pick: (a) => a.slice(0, 2),
  });
  for (const id of linked.picked) {
    const url = `${t.gw.url}/banks/northwind/open-banking/v3.1/aisp/accounts/${id}/balances`;
    await linked.client.request(linked.link, url, 'balance_inquiry');
  }
  const consentId = linked.link.consentId;
  const alerts = await raiseDemoAlerts(t, 'northwind', 4);
  const auth = staffAuthorization(t, 'northwind');
  // The fraud team at work: a call that was not answered, then fraud confirmed (card frozen).
  await investigatorAction(t, 'northwind', alerts[1]!, 'contact', {
    channel: 'phone',
    outcome: 'no_answer',
    note: 'Tried the mobile number on file',
  });
  await investigatorAction(t, 'northwind', alerts[1]!, 'confirm-fraud');
  await investigatorAction(t, 'northwind', alerts[2]!, 'clear');

  const host = new URL(t.gw.url).hostname;
  const cookies = linked.jar
    .header()
    .split('; ')
    .filter(Boolean)
    .map((c) => {
      const i = c.indexOf('=');
      return { name: c.slice(0, i), value: c.slice(i + 1), domain: host, path: '/banks/northwind/' };
    });
  const shots: [string, string, string | null][] = [
    ['bank-connected-apps', '/banks/northwind/connected-apps', null],
    ['bank-access-history', '/banks/northwind/access-history', '[data-checked="true"]'],
    ['bank-app-details', `/banks/northwind/connected-apps/${consentId}`, null],
    ['bank-receipt', `/banks/northwind/connected-apps/${consentId}/receipt/view`, null],
    ['bank-investigator', '/banks/northwind/investigator', null],
    // The session cookie is Northwind's: Fjordbank shows its (branded) login screen.
    ['bank-login-fjord', '/banks/fjord/connected-apps', null],
  ];
  for (const width of [1280, 390]) {
    const context = await browser.newContext({
      viewport: { width, height: width > 800 ? 900 : 844 },
      deviceScaleFactor: 1,
      extraHTTPHeaders: {},
      httpCredentials: { username: 'northwind', password: auth.password },
    });
    await context.addCookies(cookies);
    const page = await context.newPage();
    for (const [name, path, ready] of shots) {
      await page.goto(`${t.gw.url}${path}`);
      if (ready) await page.waitForSelector(ready, { timeout: 60_000 });
      if (name === 'bank-access-history') await page.locator('details:not(.panel)').first().click();
      const file = join(out, `${name}-${width}.png`);
      const height = await page.evaluate(() => document.documentElement.scrollHeight);
      // Whole page up to a cap that keeps the files small; the top is what a reader sees first.
      await page.screenshot({
        path: file,
        fullPage: true,
        clip: { x: 0, y: 0, width, height: Math.min(height, width > 800 ? 1400 : 2000) },
      });
      // Palette-quantised when pngquant is installed (Debian package), else as Chromium wrote it.
      spawnSync('pngquant', ['--force', '--ext', '.png', '--quality', '65-90', '--speed', '3', file]);
      console.log(file);
    }
    await context.close();
  }
  // The consent screen of a linking request, at the other bank (its own branding).
  for (const width of [1280, 390]) {
    const client = await platformClient(t, 'fjord');
    const pending = await client.startLink({
      purposes: ['balance_inquiry', 'fraud_alerts'],
      clusters: ['accounts', 'balances', 'transactions', 'card_controls'],
      durationDays: 90,
      deviceKey: deviceKey(),
    });
    const context = await browser.newContext({ viewport: { width, height: width > 800 ? 900 : 844 } });
    const page = await context.newPage();
    await page.goto(pending.authorizationUrl.toString());
    await resetTotp(t);
    await page.getByLabel('Username').fill('demo');
    await page.getByLabel('Password').fill('proviso-demo');
    await page.getByLabel('One-time code from your authenticator app').fill(otpNow('fjord', 'demo'));
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.waitForSelector('text=What it will be used for');
    const file = join(out, `bank-consent-fjord-${width}.png`);
    const height = await page.evaluate(() => document.documentElement.scrollHeight);
    await page.screenshot({
      path: file,
      clip: { x: 0, y: 0, width, height: Math.min(height, 2000) },
      fullPage: true,
    });
    spawnSync('pngquant', ['--force', '--ext', '.png', '--quality', '65-90', '--speed', '3', file]);
    console.log(file);
    await context.close();
  }
  console.log(`alerts raised: ${alerts.length}`);
} finally {
  await browser.close();
  await t.close();
}
