// End to end in real Chromium: the reference platform client links the demo customer
// (password + TOTP at the bank, approval on the consent screen), reads a balance for
// balance_inquiry, the customer revokes on the bank's connected-apps page, and the next
// call is refused.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type Browser, chromium } from 'playwright-core';
import { DEMO_PLATFORM } from '../../src/platform-client/index.ts';
import { pgliteBackend } from '../support/backends.ts';
import { deviceKey, otpNow, platformClient, resetTotp } from '../support/consent.ts';
import { startTestGateway, type TestGateway } from '../support/gateway.ts';

let t: TestGateway;
let browser: Browser;
before(async () => {
  t = await startTestGateway(pgliteBackend);
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
});
after(async () => {
  await browser?.close();
  await t?.close();
});

test('link in Chromium, read a balance, revoke on connected apps, refused next', async () => {
  const client = await platformClient(t);
  const pending = await client.startLink({
    purposes: ['balance_inquiry'],
    clusters: ['accounts', 'balances'],
    durationDays: 90,
    deviceKey: deviceKey(),
  });
  const context = await browser.newContext();
  const page = await context.newPage();
  let callback: string | undefined;
  await page.route(`${DEMO_PLATFORM.redirectUri}**`, async (route) => {
    callback = route.request().url();
    await route.fulfill({
      status: 200,
      contentType: 'text/html',
      body: '<title>Linked</title><p>Back in the app</p>',
    });
  });

  await page.goto(pending.authorizationUrl.toString());
  assert.match(await page.locator('h1').innerText(), /Log in to Northwind Bank/);
  await resetTotp(t);
  await page.getByLabel('Username').fill('demo');
  await page.getByLabel('Password').fill('proviso-demo');
  await page.getByLabel('One-time code from your authenticator app').fill(otpNow('northwind', 'demo'));
  await page.getByRole('button', { name: 'Log in' }).click();

  // The consent screen: who, why, what, how long, device key, the promise, the disclosure.
  await page.waitForSelector('text=What it will be used for');
  const text = await page.locator('main').innerText();
  assert.match(text, /Proviso Chat is asking/);
  assert.match(text, /Check your balance in chat/);
  assert.match(text, /never used for advertising, marketing or profiling, and never sold/);
  assert.match(text, /90 days/);
  assert.match(text, /Authorisation disclosure/);
  assert.match(text, /[0-9A-F]{4} [0-9A-F]{4} [0-9A-F]{4} [0-9A-F]{4}/);
  // Approve and deny are equally prominent (same class, both buttons).
  const classes = await page.locator('form .actions button').evaluateAll((b) => b.map((x) => x.className));
  assert.deepEqual(classes, ['primary', 'primary']);
  const firstAccount = page.locator('input[name="account"]').first();
  const accountId = await firstAccount.getAttribute('value');
  await firstAccount.check();
  await page.getByRole('button', { name: 'Allow', exact: true }).click();
  await page.waitForURL(`${DEMO_PLATFORM.redirectUri}**`);
  assert.ok(callback, 'the bank redirected back to the platform');
  assert.match(callback!, /[?&]iss=/);

  const link = await client.completeLink(callback!);
  const url = `${t.gw.url}/banks/northwind/open-banking/v3.1/aisp/accounts/${accountId}/balances`;
  const res = await client.request(link, url, 'balance_inquiry');
  assert.equal(res.status, 200);
  const body = (await res.json()) as { Data: { Balance: Record<string, unknown>[] } };
  assert.ok(body.Data.Balance.length >= 1);
  for (const b of body.Data.Balance) {
    assert.equal(b['Type'], 'InterimAvailable');
    assert.deepEqual(Object.keys(b).sort(), [
      'AccountId',
      'Amount',
      'CreditDebitIndicator',
      'DateTime',
      'Type',
    ]);
  }

  // The customer, still logged in at the bank, opens connected apps and stops sharing.
  await page.goto(`${t.gw.url}/banks/northwind/connected-apps`);
  assert.match(await page.locator('h1').innerText(), /Connected apps/);
  assert.match(await page.locator('main').innerText(), /Active \(1\)/);
  await page.getByRole('button', { name: 'Stop sharing with Proviso Chat' }).click();
  await page.waitForSelector('text=that app can no longer use your data');
  assert.match(await page.locator('main').innerText(), /Active \(0\)/);

  const refused = await client.request(link, url, 'balance_inquiry');
  assert.equal(refused.status, 403);
  const problem = (await refused.json()) as { type: string; detail: string };
  assert.equal(problem.type, 'urn:proviso:problem:consent-not-authorised');
  assert.match(problem.detail, /revoked/);
  await context.close();
});
