// The investigator view in real Chromium, signed in with the bank's staff key: names and
// masked cards instead of ids, local times, newest first; a contact attempt recorded, fraud
// confirmed (the card frozen), the card unfrozen — each through the page's own forms, so the
// browser's Origin and Sec-Fetch-Site headers and the page's CSRF token are the real ones.
// And the page fits a 390 px screen.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Browser, BrowserContext } from 'playwright-core';
import { pgliteBackend } from '../support/backends.ts';
import { launchChromium } from '../support/browser.ts';
import { startTestGateway, type TestGateway } from '../support/gateway.ts';
import { raiseDemoAlerts, staffAuthorization } from '../support/investigator.ts';

let t: TestGateway;
let browser: Browser;
let context: BrowserContext;
let alerts: string[];
before(async () => {
  t = await startTestGateway(pgliteBackend, 4);
  alerts = await raiseDemoAlerts(t, 'northwind', 3);
  browser = await launchChromium();
  context = await browser.newContext({
    viewport: { width: 1280, height: 900 },
    httpCredentials: { username: 'northwind', password: staffAuthorization(t, 'northwind').password },
  });
});
after(async () => {
  await context?.close();
  await browser?.close();
  await t?.close();
});

test('investigator in Chromium: readable alerts, then contact, confirm fraud and unfreeze from the page', async () => {
  const page = await context.newPage();
  await page.goto(`${t.gw.url}/banks/northwind/investigator`);
  assert.match((await page.locator('h1').textContent()) ?? '', /Fraud alerts — Northwind Bank/);
  const cards = page.locator('article.alert');
  assert.equal(await cards.count(), 3);
  // Newest payment first, by id.
  assert.deepEqual(
    await cards.evaluateAll((list) => list.map((a) => a.id)),
    alerts.map((id) => `alert-${id}`),
  );
  const first = page.locator(`#alert-${alerts[0]}`);
  const heading = (await first.locator('h3').textContent()) ?? '';
  const alert = (await t.gw.screening.alert(alerts[0]!))!;
  const customer = (await t.gw.core('northwind').customer(alert.customerId))!;
  const card = (await t.gw.core('northwind').card(alert.cardId))!;
  assert.ok(heading.includes(customer.displayName), heading);
  assert.match(heading, new RegExp(`(Debit|Credit) card •••• ${card.last4}`));
  assert.ok(!heading.includes(alert.customerId) && !heading.includes(alert.cardId), 'no internal ids');
  assert.match(
    (await first.locator('.when').textContent()) ?? '',
    /^\d{1,2} [A-Z][a-z]{2} \d{4} at \d{2}:\d{2} · Open/,
  );

  // A contact attempt, through the folded form.
  await first.getByText('Record a contact attempt').click();
  await first.getByLabel('How').selectOption('phone');
  await first.getByLabel('Outcome').selectOption('no_answer');
  await first.getByLabel('Note (optional, stays at the bank)').fill('Voicemail full');
  await first.getByRole('button', { name: 'Record contact' }).click();
  await page.waitForSelector('text=the contact attempt is recorded');
  assert.match(
    (await page.locator(`#alert-${alerts[0]} .done`).textContent()) ?? '',
    /Phone call: no answer — “Voicemail full” \(by northwind, log entry \d+\)/,
  );

  // Confirm fraud: the card freezes, and the page offers to unfreeze it.
  await page
    .locator(`#alert-${alerts[0]}`)
    .getByRole('button', { name: /Confirm fraud/ })
    .click();
  await page.waitForSelector('text=the alert is confirmed as fraud and the card is frozen');
  const confirmed = page.locator(`#alert-${alerts[0]}`);
  assert.match((await confirmed.locator('.when').textContent()) ?? '', /Confirmed fraud/);
  assert.match((await confirmed.locator('h3').textContent()) ?? '', /Card frozen/);
  assert.equal((await t.gw.core('northwind').card(alert.cardId))!.status, 'frozen');
  assert.equal(
    await confirmed.getByRole('button', { name: /Confirm fraud/ }).count(),
    0,
    'closed alerts offer no decision',
  );

  await confirmed.getByRole('button', { name: 'Unfreeze the card' }).click();
  await page.waitForSelector('text=the card works again');
  assert.match((await page.locator(`#alert-${alerts[0]} h3`).textContent()) ?? '', /Card active/);
  assert.equal((await t.gw.core('northwind').card(alert.cardId))!.status, 'active');
  assert.match((await page.locator(`#alert-${alerts[0]} .done`).textContent()) ?? '', /Unfroze the card/);

  // The charts are still there, and the page fits a phone.
  assert.equal(await page.locator('svg[role="img"]').count(), 2);
  await page.setViewportSize({ width: 390, height: 844 });
  assert.ok(
    await page.evaluate(() => document.documentElement.scrollWidth <= 390),
    'no horizontal scrolling at 390 px',
  );
  await page.close();
});
