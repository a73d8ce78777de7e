// The fraud-alert loop in real Chromium: a linked demo customer (consent includes
// fraud_alerts); the bank ingests the card's usual payments, then a fraudulent big-ticket
// authorisation. A sealed "Was this you?" card appears in the chat within a second; "No"
// freezes the card in the bank core; the alert, the reply and the freeze are in the log.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { raiseFraud } from './chat-support.ts';
import { botCount, lastBotText, linkInBrowser, type System, startSystem } from './support.ts';

let system: System;
before(async () => {
  system = await startSystem();
});
after(() => system?.close());

test('fraudulent authorisation → sealed "Was this you?" in the chat → "No" freezes the card, all logged', async (t0) => {
  const { page, t, errors } = system;
  await linkInBrowser(system);
  const core = t.gw.core('northwind');
  const demo = (await core.customerByUsername('demo'))!;
  // The card's usual payments over two weeks, then a big-ticket online one at a new terminal.
  const count = await botCount(page);
  const sent = performance.now();
  const { alertId, cardId } = await raiseFraud(system, 'e2e-');
  const text = await lastBotText(page, count);
  const elapsed = performance.now() - sent;
  assert.match(text, /Was this you\?/);
  assert.match(text, /Electro Outlet Online/);
  assert.match(text, /✓ Verified by Northwind Bank/);
  // Latency is measured by `npm run bench -- alerts`; here it is only reported.
  t0.diagnostic(`the alert card appeared ${elapsed.toFixed(0)} ms after the payments were sent`);

  // "No": the sealed reply goes to the bank, the card is frozen in the core at once.
  const beforeReply = await botCount(page);
  await page.locator('#messages li.bot').last().getByRole('button', { name: /No/ }).click();
  const confirmation = await lastBotText(page, beforeReply);
  assert.match(confirmation, /is frozen/);
  assert.equal((await core.card(cardId))?.status, 'frozen');
  const alert = await t.gw.screening.alert(alertId);
  assert.equal(alert?.status, 'confirmed_fraud');
  assert.equal(alert?.reply, 'no');

  // Alert, reply and freeze are in the bank's transparency log.
  const kinds = (await t.gw.audit.history('northwind', demo.id)).map((h) => h.kind);
  for (const kind of ['alert.raised', 'alert.reply', 'card.action'])
    assert.ok(kinds.includes(kind), `${kind} in ${kinds.join(', ')}`);
  assert.deepEqual(errors, []);
});
