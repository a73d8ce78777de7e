// End to end in real Chromium: the reference platform client links the demo customer
// (password + TOTP at the bank, approval on the consent screen), reads a balance for
// balance_inquiry, the customer revokes on the bank's connected-apps page, and the next
// call is refused. Then the access-history page, whose check marks the browser computes
// from the log's inclusion proofs, and what it shows when a proof is tampered with.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type Browser, chromium, type Page } from 'playwright-core';
import { DEMO_PLATFORM } from '../../src/platform-client/index.ts';
import { pgliteBackend } from '../support/backends.ts';
import { launchChromium } from '../support/browser.ts';
import { deviceKey, linkCustomer, otpNow, platformClient, resetTotp } from '../support/consent.ts';
import { startTestGateway, type TestGateway } from '../support/gateway.ts';

let t: TestGateway;
let browser: Browser;
before(async () => {
  t = await startTestGateway(pgliteBackend);
  browser = await launchChromium();
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
  // What the US personal financial data rights rule (12 CFR 1033.411) asks of the disclosure.
  const disclosure = await page
    .locator('section[aria-labelledby="disclosure"] dt')
    .evaluateAll((d) => d.map((x) => x.textContent));
  assert.deepEqual(disclosure, [
    'Recipient',
    'Data provider',
    'Service',
    'Data categories',
    'Duration',
    "Recipient's commitment",
    'How to stop it',
  ]);
  const disclosureText = await page.locator('section[aria-labelledby="disclosure"]').innerText();
  assert.match(disclosureText, /Proviso Chat/);
  assert.match(disclosureText, /Northwind Bank/);
  assert.match(disclosureText, /Check your balance in chat/);
  assert.match(disclosureText, /Your available balance/);
  assert.match(disclosureText, /never more than one year from your latest authorisation/);
  assert.match(disclosureText, /connected apps/);
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
  // The UK Open Banking access-dashboard items: trading name, data in cluster language
  // expandable to permissions, purposes, granted, expiry, last access; view and revoke alike.
  const card = page.locator('section[aria-labelledby="active"] article').first();
  const cardText = await card.innerText();
  assert.match(cardText, /Proviso Chat/);
  assert.match(cardText, /Used for\s+Check your balance in chat/);
  assert.match(cardText, /Your available balance/);
  assert.match(cardText, /Granted\s+\d{4}-\d{2}-\d{2}/);
  assert.match(cardText, /Ends\s+\d{4}-\d{2}-\d{2}/);
  assert.match(cardText, /Last used\s+\d{4}-\d{2}-\d{2}/);
  assert.equal(await card.getByText('ReadBalances').isVisible(), false, 'permissions start folded');
  for (const summary of await card.locator('summary').all()) await summary.click();
  assert.ok(await card.getByText('ReadBalances').isVisible(), 'permissions expand');
  const view = card.getByRole('link', { name: 'View details and receipt' });
  const stop = card.getByRole('button', { name: 'Stop sharing with Proviso Chat' });
  const look = (el: Element) => {
    const s = getComputedStyle(el);
    return [s.backgroundColor, s.color, s.fontWeight, s.minWidth, s.paddingTop, s.borderTopWidth].join('|');
  };
  assert.equal(await view.evaluate(look), await stop.evaluate(look), 'view and revoke equally prominent');
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

/** Waits for the page's script to finish checking; on timeout says what the page showed. */
async function checked(page: Page, selector = 'table[data-checked="true"]'): Promise<void> {
  try {
    await page.waitForSelector(selector, { timeout: 60_000 });
  } catch (error) {
    const summary = await page.locator('#verify-summary').textContent();
    throw new Error(`access history not checked in time; summary: ${summary}`, { cause: error });
  }
}

test('access history: the browser checks each entry against the signed log; a bad proof shows ✗', async () => {
  const linked = await linkCustomer(t, { pick: (a) => a.slice(0, 1) });
  const url = `${t.gw.url}/banks/northwind/open-banking/v3.1/aisp/accounts/${linked.picked[0]}/balances`;
  const read = await linked.client.request(linked.link, url, 'balance_inquiry');
  assert.equal(read.status, 200);
  const readIndex = read.headers.get('proviso-log-index');
  assert.match(readIndex ?? '', /^\d+$/);

  // The same customer login session as the linking (the bank's session cookie).
  const context = await browser.newContext();
  const host = new URL(t.gw.url).hostname;
  await context.addCookies(
    linked.jar
      .header()
      .split('; ')
      .filter(Boolean)
      .map((c) => {
        const i = c.indexOf('=');
        return { name: c.slice(0, i), value: c.slice(i + 1), domain: host, path: '/banks/northwind/' };
      }),
  );
  const page = await context.newPage();
  const violations: string[] = [];
  page.on('console', (m) => {
    if (/Content Security Policy/i.test(m.text())) violations.push(m.text());
  });
  await page.goto(`${t.gw.url}/banks/northwind/connected-apps`);
  await page.getByRole('link', { name: 'Your access history' }).click();
  await page.waitForURL('**/banks/northwind/access-history');
  const response = await page.reload();
  const csp = response!.headers()['content-security-policy'] ?? '';
  assert.match(csp, /script-src 'self'(;|$)/);
  assert.doesNotMatch(csp, /unsafe-inline'[^;]*;\s*connect/);
  assert.match(await page.locator('h1').innerText(), /Access history/);
  await checked(page);

  const rows = await page.locator('tbody tr').evaluateAll((trs) =>
    trs.map((tr) => ({
      index: Number((tr as HTMLElement).dataset['index']),
      kind: (tr as HTMLElement).dataset['kind'],
      verified: (tr as HTMLElement).dataset['verified'],
      cells: [...tr.querySelectorAll('td')].map((td) => td.textContent ?? ''),
    })),
  );
  assert.ok(rows.length >= 2, JSON.stringify(rows));
  // Newest first: the balance read, then the consent it was read under.
  assert.equal(rows[0]!.index, Number(readIndex));
  assert.equal(rows[0]!.kind, 'data.access');
  assert.equal(rows[0]!.cells[1], 'Proviso Chat');
  assert.equal(rows[0]!.cells[3], 'Check your balance in chat');
  assert.equal(rows[0]!.cells[4], 'Your available balance');
  assert.ok(rows.some((r) => r.kind === 'consent.authorised'));
  for (let i = 1; i < rows.length; i++) assert.ok(rows[i - 1]!.index > rows[i]!.index, 'newest first');
  for (const r of rows) {
    assert.equal(r.verified, 'ok', JSON.stringify(r));
    assert.match(r.cells[6]!, /^✓ Verified in the bank's public log/);
  }
  assert.match(await page.locator('#verify-summary').innerText(), /(\d+) verified\.$/);
  assert.deepEqual(violations, []);

  // Tampered inclusion proofs: the browser recomputes another root and says so.
  const tampered = await context.newPage();
  await tampered.route('**/banks/northwind/log/proof/inclusion**', async (route) => {
    const real = await route.fetch();
    const body = (await real.json()) as { proof: string[] };
    const bad = Buffer.alloc(32, 7).toString('base64');
    body.proof = body.proof.length ? [bad, ...body.proof.slice(1)] : [bad];
    await route.fulfill({ response: real, json: body });
  });
  await tampered.goto(`${t.gw.url}/banks/northwind/access-history`);
  await checked(tampered);
  const marks = await tampered
    .locator('tbody tr')
    .evaluateAll((trs) =>
      trs.map((tr) => [
        (tr as HTMLElement).dataset['verified'],
        tr.querySelector('[data-check]')?.textContent,
      ]),
    );
  for (const [state, text] of marks) {
    assert.equal(state, 'fail');
    assert.match(
      String(text),
      /^✗ Not verified: the proof (does not lead to the signed checkpoint's root|is longer than the tree is deep)/,
    );
  }
  assert.match(await tampered.locator('#verify-summary').innerText(), /NOT verified/);

  // A checkpoint whose root was changed no longer carries the bank's signature.
  const forged = await context.newPage();
  await forged.route('**/banks/northwind/log/checkpoint', async (route) => {
    const real = await route.fetch();
    const lines = (await real.text()).split('\n');
    lines[2] = Buffer.alloc(32, 9).toString('base64');
    await route.fulfill({ response: real, body: lines.join('\n') });
  });
  await forged.goto(`${t.gw.url}/banks/northwind/access-history`);
  await checked(forged, 'tbody tr[data-verified="fail"]');
  assert.match(
    await forged.locator('#verify-summary').innerText(),
    /signature does not verify with the bank's log key/,
  );
  await context.close();
});
