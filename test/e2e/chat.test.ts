// The whole system in real Chromium at phone size: the real gateway (bank side, consent,
// bot, transparency log) and the real relay with its web chat. A new device links Northwind
// through the bank's login and consent pages, asks its balance (the figure from the bank
// core appears, opened on the device), freezes its card after confirming (the core's card is
// frozen), replaces its key, unlinks after confirming, and the next ask is refused politely.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { botCount, lastBotText, linkInBrowser, type System, startSystem } from './support.ts';

let system: System;
before(async () => {
  system = await startSystem();
});
after(() => system?.close());

test('new device → link bank → balance → freeze card → unlink → refused politely', async () => {
  const { page, t, errors } = system;
  await linkInBrowser(system);
  assert.deepEqual(errors, []);

  // Balance: the figure from the bank core, opened on the device, signature verified.
  const core = t.gw.core('northwind');
  const demo = (await core.customerByUsername('demo'))!;
  const accounts = await core.accounts(demo.id);
  const current = accounts.find((a) => a.kind === 'current')!;
  const available = (await core.balances(current.id)).find((b) => b.type === 'InterimAvailable')!;
  let count = await botCount(page);
  await page.locator('.quick button[data-action="BALANCE"]').click();
  const balanceText = await lastBotText(page, count);
  const figure = Number(available.amount).toLocaleString('en-US', { minimumFractionDigits: 2 });
  assert.ok(balanceText.includes(figure), `balance ${figure} not in: ${balanceText}`);
  assert.match(balanceText, /✓ Verified by Northwind Bank/);
  // The logged mark: this browser checked the entry's inclusion proof against the signed checkpoint.
  await page
    .waitForFunction(
      () =>
        document.querySelector('#messages li.bot:last-child .mark.log')?.getAttribute('data-log') ===
        'included',
      undefined,
      { timeout: 15_000 },
    )
    .catch(async (e) => {
      const mark = await page.locator('#messages li.bot .mark.log').last().textContent();
      throw new Error(`log mark: ${mark}`, { cause: e });
    });

  // Freeze: the bot asks which card, the device asks for confirmation, then that one is frozen.
  const cards = await core.cards(demo.id);
  assert.ok(cards.length >= 1);
  count = await botCount(page);
  await page.locator('.quick button[data-action="FREEZE_CARD"]').click();
  let text = await lastBotText(page, count);
  assert.match(text, /Which card should I freeze\?/);
  count = await botCount(page);
  await page.locator('#messages li.bot').last().getByRole('button', { name: 'Freeze' }).first().click();
  await page.getByRole('dialog').getByRole('button', { name: 'Freeze card' }).click();
  text = await lastBotText(page, count);
  assert.match(text, /is frozen/);
  const last4 = /ending (\d{4})/.exec(text)?.[1];
  const frozen = (await core.cards(demo.id)).find((c) => c.last4 === last4);
  assert.equal(frozen?.status, 'frozen', 'the card is frozen in the bank core');

  // Every release went through the bank's log before it left the gateway.
  const history = await t.gw.audit.history('northwind', demo.id);
  const kinds = history.map((h) => h.kind);
  assert.ok(kinds.includes('data.access'));
  assert.ok(kinds.includes('card.action'));
  assert.ok(kinds.includes('consent.authorised'));

  // A new device key under the same consent: the request is sealed with the old key.
  const consentId = (await t.gw.consent.store.forCustomer('northwind', demo.id)).find(
    (c) => c.status === 'authorised',
  )!.id;
  const keyBefore = (await t.gw.consent.store.get(consentId))!.deviceKey;
  await page.getByRole('button', { name: 'Link details' }).click();
  await page.getByRole('button', { name: "Replace this device's key" }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Replace key' }).click();
  await page.waitForSelector('text=This device has a new key');
  const keyAfter = (await t.gw.consent.store.get(consentId))!.deviceKey;
  assert.notEqual(keyAfter, keyBefore, 'the bank now seals to the new key');
  count = await botCount(page);
  await page.locator('.quick button[data-action="BALANCE"]').click();
  assert.match(await lastBotText(page, count), /✓ Verified by Northwind Bank/);

  // Unlink (confirmed), then ask again: refused politely in the chat, the bank is not asked.
  await page.locator('.quick button[data-action="UNLINK"]').click();
  await page.getByRole('dialog').getByRole('button', { name: 'Unlink Northwind Bank' }).click();
  await page.waitForSelector('text=Unlinked Northwind Bank');
  await page.waitForSelector('#link-status[data-status="ended"]');
  const afterUnlink = await botCount(page);
  const releasesBefore = (await t.gw.audit.history('northwind', demo.id)).length;
  await page.locator('.quick button[data-action="BALANCE"]').click();
  text = await lastBotText(page, afterUnlink);
  assert.match(text, /link to Northwind Bank has ended/i);
  assert.equal((await t.gw.audit.history('northwind', demo.id)).length, releasesBefore, 'nothing released');
  // The platform's unlink revoked the consent at the bank (RFC 7009 + consent DELETE).
  const consents = await t.gw.consent.store.forCustomer('northwind', demo.id);
  assert.ok(consents.length >= 1);
  assert.ok(consents.every((c) => c.status !== 'authorised'));
  assert.deepEqual(errors, []);
});
