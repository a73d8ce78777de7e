// The fraud-alert loop in real Chromium: a linked demo customer (consent includes
// fraud_alerts); the bank ingests the card's usual payments, then a fraudulent big-ticket
// authorisation. A sealed "Was this you?" card appears in the chat within a second; "No"
// freezes the card in the bank core; the alert, the reply and the freeze are in the log.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
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
  const card = (await core.cards(demo.id)).find((c) => c.status === 'active')!;
  const url = `${t.gw.url}/banks/northwind/screening/authorisations`;
  const headers = {
    'content-type': 'application/json',
    authorization: `Bearer ${t.gw.ingestKeys.get('northwind')}`,
  };
  const event = (i: number, amount: string, at: Date, terminal = 'T-CORNER-SHOP') => ({
    transactionId: `e2e-${i}`,
    bankId: 'northwind',
    cardId: card.id,
    customerId: demo.id,
    terminalId: terminal,
    merchantName: terminal === 'T-CORNER-SHOP' ? 'Corner Shop' : 'Electro Outlet Online',
    mcc: '5411',
    country: 'GB',
    channel: 'pos',
    amount,
    currency: 'GBP',
    time: at.toISOString(),
  });
  // The card's usual life: small payments over the last two weeks.
  const now = Date.now();
  const usual = Array.from({ length: 12 }, (_, i) =>
    event(i, (18 + (i % 5)).toFixed(2), new Date(now - (14 - i) * 86_400_000)),
  );
  let res = await fetch(url, { method: 'POST', headers, body: JSON.stringify({ events: usual }) });
  assert.equal(res.status, 200, await res.clone().text());

  // The fraud: a big-ticket online payment at a terminal the card never used.
  const count = await botCount(page);
  const fraud = { ...event(99, '2499.00', new Date(now), 'T-ELECTRO-9'), channel: 'ecom', mcc: '5732' };
  const sent = performance.now();
  res = await fetch(url, { method: 'POST', headers, body: JSON.stringify({ events: [fraud] }) });
  assert.equal(res.status, 200);
  const outcome = (await res.json()) as { results: { alert: boolean; alertId: string | null }[] };
  const alertId = outcome.results[0]?.alertId;
  assert.ok(alertId, `the engine alerted: ${JSON.stringify(outcome)}`);
  const text = await lastBotText(page, count);
  const elapsed = performance.now() - sent;
  assert.match(text, /Was this you\?/);
  assert.match(text, /Electro Outlet Online/);
  assert.match(text, /✓ Verified by Northwind Bank/);
  // Latency is measured by `npm run bench -- alerts`; here it is only reported.
  t0.diagnostic(`the alert card appeared ${elapsed.toFixed(0)} ms after the authorisation was sent`);

  // "No": the sealed reply goes to the bank, the card is frozen in the core at once.
  const beforeReply = await botCount(page);
  await page.locator('#messages li.bot').last().getByRole('button', { name: /No/ }).click();
  const confirmation = await lastBotText(page, beforeReply);
  assert.match(confirmation, /is frozen/);
  assert.equal((await core.card(card.id))?.status, 'frozen');
  const alert = await t.gw.screening.alert(alertId);
  assert.equal(alert?.status, 'confirmed_fraud');
  assert.equal(alert?.reply, 'no');

  // Alert, reply and freeze are in the bank's transparency log.
  const kinds = (await t.gw.audit.history('northwind', demo.id)).map((h) => h.kind);
  for (const kind of ['alert.raised', 'alert.reply', 'card.action'])
    assert.ok(kinds.includes(kind), `${kind} in ${kinds.join(', ')}`);
  assert.deepEqual(errors, []);
});
