// The customer's chat in real Chromium, at desktop (1280 px) and phone (390 px) width, against
// the real gateway and relay: two banks linked side by side, each in its own conversation;
// "show my cards" with freeze/unfreeze confirmed; a fraud alert a person can read, answered,
// its buttons gone; the device key matching the consent page; a spending question answered on
// the device (the relay stores nothing new in the clear); a relay replaying envelopes under new
// message ids is refused by the device; a revocation at the bank shows at once, without a request.
// PROVISO_SCREENSHOTS=<dir> saves the main screens there (docs/screenshots/ holds a set).
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { sql } from 'kysely';
import type { Browser, BrowserContextOptions, Page } from 'playwright-core';
import { containsMarker, dumpTables } from '../../src/relay/index.ts';
import {
  askAndWait,
  bookPaymentsThisMonth,
  expectedSpending,
  noOverlap,
  raiseFraud,
  revealLastMessage,
  sendFrames,
  typeIn,
  waitIdle,
} from './chat-support.ts';
import { linkInBrowser, type System, startSystem } from './support.ts';

let system: System;
before(async () => {
  system = await startSystem();
});
after(() => system?.close());

const SHOTS = process.env['PROVISO_SCREENSHOTS'];

const VIEWPORTS: [string, number, BrowserContextOptions][] = [
  ['desktop', 1280, { viewport: { width: 1280, height: 800 }, locale: 'en-GB', deviceScaleFactor: 1 }],
  [
    'phone',
    390,
    {
      viewport: { width: 390, height: 844 },
      isMobile: true,
      hasTouch: true,
      locale: 'en-GB',
      deviceScaleFactor: 1,
    },
  ],
];

async function shot(page: Page, name: string, width: number): Promise<void> {
  if (!SHOTS) return;
  await mkdir(SHOTS, { recursive: true });
  await page.screenshot({ path: join(SHOTS, `chat-${name}-${width}.png`) });
}

const convo = (page: Page, bank: string) => page.locator(`ol.conversation[data-bank="${bank}"]`);
const gbp = (n: number) => new Intl.NumberFormat('en-GB', { style: 'currency', currency: 'GBP' }).format(n);
const eur = (n: number) => new Intl.NumberFormat('en-GB', { style: 'currency', currency: 'EUR' }).format(n);

async function newPage(browser: Browser, options: BrowserContextOptions, errors: string[]): Promise<Page> {
  const context = await browser.newContext(options);
  const page = await context.newPage();
  page.on('pageerror', (e) => errors.push(String(e)));
  return page;
}

for (const [label, width, options] of VIEWPORTS) {
  test(`chat journey at ${width} px (${label}): two banks, cards, alert, device key, spending, replay, revocation`, async () => {
    const { t, browser, relay, relayDb } = system;
    const errors: string[] = [];
    const page = await newPage(browser, options, errors);
    try {
      // 1. Two banks, each its own conversation; the consent page's device key is the chat's.
      await page.goto(relay.url);
      await page.waitForFunction(() => document.body.dataset['ready'] === 'true', undefined, {
        timeout: 30_000,
      });
      await shot(page, 'welcome', width);
      const northwindKey = await linkInBrowser(system, 'northwind', page);
      const fjordKey = await linkInBrowser(system, 'fjord', page);
      assert.match(northwindKey, /^[0-9A-F]{4}( [0-9A-F]{4}){3}$/);
      assert.equal(fjordKey, northwindKey, 'both banks were shown the same device key');
      await page.getByRole('button', { name: 'Link details' }).click();
      const shown = await page.locator('#device-fingerprint').textContent();
      assert.equal(shown, northwindKey, 'the chat shows the key exactly as the consent page did');
      await shot(page, 'device-key', width);
      await page.locator('#link-details').getByRole('button', { name: 'Close' }).click();

      const nw = t.gw.core('northwind');
      const fj = t.gw.core('fjord');
      const nwDemo = (await nw.customerByUsername('demo'))!;
      const fjDemo = (await fj.customerByUsername('demo'))!;
      const current = async (core: typeof nw, id: string) => {
        const a = (await core.accounts(id)).find((x) => x.kind === 'current')!;
        return Number((await core.balances(a.id)).find((b) => b.type === 'InterimAvailable')!.amount);
      };
      assert.equal(await page.locator('.convo').count(), 2, 'two conversations');
      // Unlink asks which bank first, then confirms (cancelled here).
      await page.locator('.quick button[data-action="UNLINK"]').click();
      await page.getByRole('dialog').getByText('Unlink which bank?').waitFor();
      await page.getByRole('dialog').getByRole('button', { name: 'Fjordbank' }).click();
      await page.getByRole('dialog').getByText('Unlink Fjordbank?').waitFor();
      await page.getByRole('dialog').getByRole('button', { name: 'Cancel' }).click();
      await page.locator('.convo[data-bank="fjord"]').click();
      let text = await askAndWait(page, 'fjord', 'balance', () =>
        page.locator('.quick button[data-action="BALANCE"]').click(),
      );
      assert.ok(text.includes(eur(await current(fj, fjDemo.id))), `Fjordbank's balance in: ${text}`);
      assert.match(text, /Verified by Fjordbank/);
      assert.match(text, /As of/);
      // "northwind balance" typed in Fjordbank's conversation acts on Northwind, in its own.
      text = await askAndWait(page, 'northwind', 'balance', () => typeIn(page, 'northwind balance'));
      assert.ok(text.includes(gbp(await current(nw, nwDemo.id))), `Northwind's balance in: ${text}`);
      assert.match(text, /Verified by Northwind Bank/);
      assert.match(text, /owed/, 'the credit card says what is owed');
      assert.match(text, /available to spend/);
      assert.equal(await page.locator('#title').textContent(), 'Northwind Bank');
      assert.equal(await convo(page, 'fjord').locator('li[data-type="balance"]').count(), 1);
      await shot(page, 'two-banks', width);

      // 3. Cards by an obvious phrase; freezing and unfreezing are confirmed first.
      text = await askAndWait(page, 'northwind', 'cards', () => typeIn(page, 'show my cards'));
      assert.match(text, /(Debit|Credit) card ending \d{4}/);
      const cardLine = convo(page, 'northwind')
        .locator('li[data-type="cards"]')
        .last()
        .locator('.card-list li')
        .first();
      const cardLabel = (await cardLine.locator('.card-name').textContent()) ?? '';
      const last4 = /(\d{4})$/.exec(cardLabel)![1]!;
      const card = (await nw.cards(nwDemo.id)).find((c) => c.last4 === last4)!;
      await cardLine.getByRole('button', { name: 'Freeze' }).click();
      await page.getByRole('dialog').getByText(`Freeze your ${cardLabel}?`).waitFor();
      text = await askAndWait(page, 'northwind', 'cards', () =>
        page.getByRole('dialog').getByRole('button', { name: 'Freeze card' }).click(),
      );
      assert.match(text, /is frozen/);
      assert.equal((await nw.card(card.id))?.status, 'frozen');
      const frozenLine = convo(page, 'northwind').locator('li[data-type="cards"]').last();
      await frozenLine.getByRole('button', { name: 'Unfreeze' }).click();
      text = await askAndWait(page, 'northwind', 'cards', () =>
        page.getByRole('dialog').getByRole('button', { name: 'Unfreeze card' }).click(),
      );
      assert.match(text, /works again/);
      assert.equal((await nw.card(card.id))?.status, 'active');
      text = await askAndWait(page, 'northwind', 'transactions', () =>
        page.locator('.quick button[data-action="TRANSACTIONS"]').click(),
      );
      assert.match(text, /Recent transactions · /, 'the transactions say which account');

      // 2. A fraud alert a person can read; answered once, its buttons give way to the outcome.
      let alerted = { alertId: '', last4: '' };
      text = await askAndWait(page, 'northwind', 'alert', async () => {
        alerted = await raiseFraud(system, `${label}-`);
      });
      assert.equal(text.match(/Was this you\?/g)?.length, 1, `asked once: ${text}`);
      assert.match(text, new RegExp(`(debit|credit) card ending ${alerted.last4}`));
      assert.match(text, /Electro Outlet Online · online · United Kingdom/);
      assert.doesNotMatch(text, /\d{4}-\d\d-\d\dT/, 'no raw ISO time');
      assert.match(text, new RegExp(gbp(2499).replace('.', '\\.')));
      const alertCard = convo(page, 'northwind').locator('li[data-type="alert"]').last();
      await revealLastMessage(page);
      await shot(page, 'alert', width);
      await alertCard.getByRole('button', { name: 'Yes, it was me' }).click();
      await alertCard.locator('.outcome[data-answer="yes"]').waitFor({ timeout: 30_000 });
      assert.equal(await alertCard.getByRole('button').count(), 0, 'no buttons after the answer');
      assert.equal((await t.gw.screening.alert(alerted.alertId))?.reply, 'yes');
      await revealLastMessage(page);
      await shot(page, 'alert-answered', width);

      // 5. Spending, on the device: the relay sees a sealed envelope and a date, nothing else.
      const dump = () => dumpTables((q) => sql.raw(q).execute(relayDb.tables()));
      const sentBodies: string[] = [];
      page.on('request', (r) => {
        if (r.url().endsWith('/api/messages')) sentBodies.push(r.postData() ?? '');
      });
      const question = 'How much did I spend on groceries this month?';
      await bookPaymentsThisMonth(system, 'northwind', nwDemo.id);
      const expected = await expectedSpending(nw, nwDemo.id, 'groceries');
      assert.ok(expected > 0, 'the demo customer bought groceries this month');
      text = await askAndWait(page, 'northwind', 'spending-total', () => typeIn(page, question));
      assert.match(
        text,
        new RegExp(`You spent ${gbp(expected).replace('.', '\\.')} on groceries this month`),
      );
      assert.match(text, /Worked out on this device/);
      text = await askAndWait(page, 'northwind', 'spending-biggest', () =>
        typeIn(page, 'biggest payments last week'),
      );
      assert.match(text, /Your biggest payments last week|You made no payments last week/);
      text = await askAndWait(page, 'northwind', 'spending-chart', () =>
        page.locator('.quick button[data-action="SPENDING"]').click(),
      );
      assert.match(text, /Here is where it went/);
      await revealLastMessage(page);
      await shot(page, 'spending', width);
      await waitIdle(page);
      const after = await dump();
      for (const body of sentBodies) assert.doesNotMatch(body, /groceries|biggest|how much|category/i, body);
      assert.ok(
        sentBodies.some((b) => /SPENDING_DATA:\d{4}-\d\d-\d\d/.test(b)),
        'the device fetched sealed data',
      );
      assert.equal(containsMarker(after, gbp(expected)), false, 'the answer is not at the relay');
      assert.equal(containsMarker(after, 'groceries'), false, 'the question is not at the relay');

      // #11.5 Replays: the relay resends a balance and the alert under new message ids.
      const refusedBefore = Number((await page.evaluate(() => document.body.dataset['replaysRefused'])) ?? 0);
      const balancesBefore = await convo(page, 'northwind').locator('li[data-type="balance"]').count();
      const alertsBefore = await convo(page, 'northwind').locator('li[data-type="alert"]').count();
      await sendFrames(page, relay, ['balance', 'alert'], `replay-${label}`);
      await page.waitForFunction(
        (n) => Number(document.body.dataset['replaysRefused'] ?? 0) >= n,
        refusedBefore + 2,
        { timeout: 30_000 },
      );
      assert.equal(await convo(page, 'northwind').locator('li[data-type="balance"]').count(), balancesBefore);
      assert.equal(await convo(page, 'northwind').locator('li[data-type="alert"]').count(), alertsBefore);

      // 3. Revocation at the bank: the chat shows it without the device asking anything.
      await page.locator('.convo[data-bank="fjord"]').click();
      const asked: string[] = [];
      page.on('request', (r) => {
        if (r.url().endsWith('/api/messages')) asked.push(r.url());
      });
      const consent = (await t.gw.consent.store.forCustomer('fjord', fjDemo.id)).find(
        (c) => c.status === 'authorised',
      )!;
      await t.gw.consent.revoke(consent.id, 'customer');
      await page.waitForFunction(
        () => document.querySelector('#link-status')?.getAttribute('data-status') === 'ended',
        undefined,
        { timeout: 30_000 },
      );
      assert.equal(
        await page.locator('#link-status').textContent(),
        'Link ended · you removed access at the bank',
      );
      await convo(page, 'fjord')
        .getByText(/You ended this chat's access at Fjordbank/)
        .waitFor();
      assert.deepEqual(asked, [], 'the device asked nothing');
      await shot(page, 'revoked', width);

      // 4./6. Unlink asks which bank and confirms; nothing overlaps; messages stay above the bar.
      await page.locator('.convo[data-bank="northwind"]').click();
      await page.locator('.quick button[data-action="UNLINK"]').click();
      await page.getByRole('dialog').getByText('Unlink Northwind Bank?').waitFor();
      await page.getByRole('dialog').getByRole('button', { name: 'Cancel' }).click();
      assert.equal(
        (await t.gw.consent.store.forCustomer('northwind', nwDemo.id)).filter(
          (c) => c.status === 'authorised',
        ).length >= 1,
        true,
      );
      await noOverlap(page, width);
      assert.deepEqual(errors, []);
    } finally {
      await page.context().close();
    }
  });
}
