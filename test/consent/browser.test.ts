// End to end in real Chromium: the reference platform client links the demo customer
// (password + TOTP at the bank, approval on the consent screen), reads a balance for
// balance_inquiry, the customer revokes on the bank's connected-apps page, and the next
// call is refused. Then the access-history page, whose check marks the browser computes
// from the log's inclusion proofs, and what it shows when a proof is tampered with.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
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
  // Dates in words, in the bank's time zone.
  assert.match(cardText, /Granted\s+\d{1,2} [A-Z][a-z]+ \d{4}/);
  assert.match(cardText, /Ends\s+\d{1,2} [A-Z][a-z]+ \d{4}/);
  assert.match(cardText, /Last used\s+\d{1,2} [A-Z][a-z]+ \d{4}/);
  assert.match(cardText, /Device key\s+[0-9A-F]{4} [0-9A-F]{4} [0-9A-F]{4} [0-9A-F]{4}/);
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
async function checked(page: Page, selector = '[data-log-prefix][data-checked="true"]'): Promise<void> {
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

  const rows = await page.locator('li.entry').evaluateAll((items) =>
    items.map((li) => {
      const field = (name: string) => li.querySelector(`[data-field="${name}"]`)?.textContent ?? '';
      return {
        index: Number((li as HTMLElement).dataset['index']),
        kind: (li as HTMLElement).dataset['kind'],
        verified: (li as HTMLElement).dataset['verified'],
        app: field('app'),
        what: field('what'),
        purpose: field('purpose'),
        data: field('data'),
        time: li.querySelector('time.at')?.textContent ?? '',
        check: li.querySelector('[data-check]')?.textContent ?? '',
      };
    }),
  );
  assert.ok(rows.length >= 2, JSON.stringify(rows));
  // Newest first: the balance read, then the consent it was read under.
  assert.equal(rows[0]!.index, Number(readIndex));
  assert.equal(rows[0]!.kind, 'data.access');
  assert.equal(rows[0]!.app, 'Proviso Chat');
  assert.equal(rows[0]!.what, 'Proviso Chat read your data');
  assert.equal(rows[0]!.purpose, 'Check your balance in chat');
  assert.equal(rows[0]!.data, 'Your available balance');
  assert.match(rows[0]!.time, /^\d{2}:\d{2}$/, 'local time of day, not an ISO string');
  assert.ok(
    rows.some((r) => r.kind === 'consent.authorised' && r.what === 'You allowed Proviso Chat access'),
  );
  for (let i = 1; i < rows.length; i++) assert.ok(rows[i - 1]!.index > rows[i]!.index, 'newest first');
  for (const r of rows) {
    assert.equal(r.verified, 'ok', JSON.stringify(r));
    assert.match(r.check, /^✓ Verified in the bank's public log/);
  }
  assert.match(await page.locator('#verify-summary').innerText(), /(\d+) verified\.$/);
  // Grouped by day under a heading; the log details fold away behind a toggle.
  assert.match(
    await page.locator('section.day h2').first().innerText(),
    /^Today, \d{1,2} [A-Z][a-z]+ \d{4}$/,
  );
  const details = page.locator('li.entry').first().locator('details');
  assert.equal(await details.getByText('Log entry').isVisible(), false, 'details start folded');
  await details.locator('summary').click();
  assert.ok(await details.getByText('Log entry').isVisible());
  assert.match(await details.innerText(), new RegExp(`number ${readIndex} in`));
  assert.deepEqual(violations, []);

  // Readable on a phone: nothing wider than the screen, and an entry is a few lines, not a table row.
  await page.setViewportSize({ width: 390, height: 844 });
  assert.ok(
    await page.evaluate(() => document.documentElement.scrollWidth <= 390),
    'no horizontal scrolling at 390 px',
  );
  const entryHeight = await page
    .locator('li.entry')
    .nth(1)
    .evaluate((li) => li.getBoundingClientRect().height);
  assert.ok(entryHeight < 260, `an entry is ${entryHeight} px tall at 390 px`);
  await page.setViewportSize({ width: 1280, height: 800 });

  // The signed receipt, readable, with the JWS beside it.
  await page.goto(`${t.gw.url}/banks/northwind/connected-apps/${linked.link.consentId}`);
  await page.getByRole('link', { name: 'Read the receipt' }).click();
  await page.waitForURL(`**/connected-apps/${linked.link.consentId}/receipt/view`);
  assert.equal(await page.locator('h1').innerText(), 'Your consent receipt');
  const receipt = await page.locator('section.receipt').innerText();
  assert.match(receipt, /Who receives your data\s+Proviso Chat/);
  assert.match(receipt, /From\s+Northwind Bank/);
  assert.match(receipt, /Which data\s+Your account names, types and currencies\s+Your available balance/);
  assert.match(receipt, /What for\s+Check your balance in chat/);
  assert.match(receipt, /Never used for\s+Advertising\s+Marketing/);
  assert.match(receipt, /For how long\s+90 days: from \d{1,2} \w+ \d{4} at \d{2}:\d{2} until/);
  assert.match(receipt, /Which device can read it\s+[0-9A-F]{4} [0-9A-F]{4} [0-9A-F]{4} [0-9A-F]{4}/);
  const download = page.getByRole('link', { name: 'Download the signed receipt (.jws)' });
  const jwsUrl = new URL((await download.getAttribute('href'))!, t.gw.url).toString();
  assert.equal(await download.getAttribute('download'), `consent-receipt-${linked.link.consentId}.jws`);
  // The page says what the JWS says, and names the key that signed it.
  const jwsResponse = await page.request.get(jwsUrl);
  assert.equal(jwsResponse.headers()['content-type'], 'application/jose');
  const jws = await jwsResponse.text();
  const header = JSON.parse(Buffer.from(jws.split('.')[0]!, 'base64url').toString()) as { kid: string };
  const claims = JSON.parse(Buffer.from(jws.split('.')[1]!, 'base64url').toString()) as {
    device_key_fingerprint: string;
    consent_id: string;
  };
  assert.equal(claims.consent_id, linked.link.consentId);
  assert.ok(receipt.includes(claims.device_key_fingerprint));
  assert.match(receipt, new RegExp(`Signed by\\s+Northwind Bank, on .* with its Ed25519 key ${header.kid}`));
  await page.setViewportSize({ width: 390, height: 844 });
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= 390), 'receipt fits 390 px');

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
    .locator('li.entry')
    .evaluateAll((items) =>
      items.map((li) => [
        (li as HTMLElement).dataset['verified'],
        li.querySelector('[data-check]')?.textContent,
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
  await checked(forged, 'li.entry[data-verified="fail"]');
  assert.match(
    await forged.locator('#verify-summary').innerText(),
    /signature does not verify with the bank's log key/,
  );
  await context.close();
});
