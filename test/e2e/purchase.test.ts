// A purchase notification in real Chromium (issue #12): the demo customer links Northwind from
// the chat (the chat's link asks for transaction_notifications); the card processor sends a
// card payment; without asking, a sealed "New payment" card appears in the chat and reads
// "£12.40 at Tesco, <card> ending NNNN, <time>", ✓ verified; its release is in the bank's log.
// PROVISO_SCREENSHOTS=<dir> saves it at 390 and 1280 px (docs/screenshots/ holds a set).
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { linkInBrowser, type System, startSystem } from './support.ts';

let system: System;
before(async () => {
  system = await startSystem();
});
after(() => system?.close());

const SHOTS = process.env['PROVISO_SCREENSHOTS'];

test('a card payment shows in the chat as a sealed, readable notification, and is in the log', async () => {
  const { page, t, errors } = system;
  await linkInBrowser(system);
  const core = t.gw.core('northwind');
  const demo = (await core.customerByUsername('demo'))!;
  const card = (await core.cards(demo.id)).find((c) => c.status === 'active')!;
  const selector = 'li[data-type="transaction_notification"]';
  const res = await fetch(`${t.gw.url}/banks/northwind/screening/authorisations`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      authorization: `Bearer ${t.gw.ingestKeys.get('northwind')}`,
    },
    body: JSON.stringify({
      events: [
        {
          transactionId: 'e2e-tesco-1',
          bankId: 'northwind',
          cardId: card.id,
          customerId: demo.id,
          terminalId: 'T-TESCO-E2E',
          merchantName: 'Tesco',
          mcc: '5411',
          country: 'GB',
          channel: 'contactless',
          amount: '12.40',
          currency: 'GBP',
          time: new Date().toISOString(),
        },
      ],
    }),
  });
  assert.equal(res.status, 200, await res.clone().text());
  await page.waitForSelector(selector, { timeout: 30_000 });
  const item = page.locator(selector).last();
  const text = (await item.innerText()).replace(/\s+/g, ' ');
  assert.match(text, /New payment/i);
  assert.match(
    text,
    new RegExp(`£12\\.40 at Tesco, (debit|credit) card ending ${card.last4}, \\d{1,2}:\\d{2}`),
  );
  assert.match(text, /✓ Verified by Northwind Bank/);
  assert.equal(await item.getAttribute('data-verified'), 'true');

  const logged = (await t.gw.audit.history('northwind', demo.id)).filter(
    (h) => h.kind === 'data.access' && h.purpose === 'transaction_notifications',
  );
  assert.equal(logged.length, 1, 'one release, in the log');
  if (SHOTS) {
    await mkdir(SHOTS, { recursive: true });
    await page.screenshot({ path: join(SHOTS, 'chat-purchase-390.png') });
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.waitForTimeout(300);
    await page.screenshot({ path: join(SHOTS, 'chat-purchase-1280.png') });
  }
  assert.deepEqual(errors, []);
});
