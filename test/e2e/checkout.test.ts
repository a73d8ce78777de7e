// Checkout in real Chromium against the real gateway, relay and merchant app: the shopper
// browses the shops in the bank's conversation, fills a basket, double-clicks Pay (one order),
// approves at the bank in a new tab (login + one-time code), and gets a sealed receipt card
// with ✓ Verified; the merchant's order is paid, the payment is in the bank core and in the
// customer's transactions (the bank's transactions card), and the log holds its entries.
// Then what a shopper meets when it does not work: declined at the bank, not enough money,
// a blocked account — each a polite sentence, the order rejected, no balance anywhere.
// PROVISO_SCREENSHOTS=<dir> saves each screen at 1280 and 390 px.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { BrowserContext, Page } from 'playwright-core';
import {
  coreLinesFor,
  decideAtBank,
  orderOutcome,
  paymentLogKinds,
  pressPay,
  setAccounts,
  shot,
} from './checkout-steps.ts';
import {
  DESKTOP,
  fillBasket,
  linkBank,
  PHONE,
  type ShopSystem,
  startShopSystem,
} from './checkout-support.ts';

let s: ShopSystem;
before(async () => {
  s = await startShopSystem();
});
after(() => s?.close());

const WAIT = { timeout: 60_000 };

async function receiptCard(page: Page, count: number): Promise<string> {
  const selector = 'li[data-type="receipt"]';
  await page.waitForFunction(
    ([sel, n]) => document.querySelectorAll(sel as string).length > (n as number),
    [selector, count] as const,
    WAIT,
  );
  await page.waitForFunction(() => !document.querySelector('[aria-busy="true"]'), undefined, WAIT);
  return (await page.locator(selector).last().textContent()) ?? '';
}

for (const [label, width, options] of [
  ['phone', 390, PHONE],
  ['desktop', 1280, DESKTOP],
] as const) {
  describe(`checkout at ${width} px (${label})`, () => {
    let context: BrowserContext;
    let page: Page;
    before(async () => {
      context = await s.browser.newContext(options);
      page = await context.newPage();
      await linkBank(s, page, 'northwind');
    });
    after(() => context?.close());

    test('browse → basket → Pay (double-click) → approve at the bank → sealed receipt, order paid', async () => {
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(String(e)));
      await fillBasket(page, 'Corner Books', [
        ['The Pocket Atlas', 2],
        ['Night Train North', 1],
      ]);
      const total = await page
        .locator('article.shop')
        .last()
        .locator('.cart-total')
        .getAttribute('data-total');
      assert.equal(total, '38.97');
      await shot(page, 'checkout-shop', width);
      const ordersBefore = await s.shops.store.recentOrders('corner-books');
      const kindsBefore = await paymentLogKinds(s, 'northwind');
      const receiptsBefore = await page.locator('li[data-type="receipt"]').count();
      // Pay from the current account (the one "Recent transactions" shows).
      const core = s.t.gw.core('northwind');
      const demo = (await core.customerByUsername('demo'))!;
      const current = (await core.accounts(demo.id)).find((a) => a.kind === 'current')!;
      const debitsBefore = (await coreLinesFor(s, 'northwind', 'demo', 'Corner Books')).filter(
        (t) => t.creditDebit === 'Debit',
      ).length;
      const tab = await pressPay(page, { doubleClick: true });
      await decideAtBank(s, tab, 'northwind', {
        decision: 'approve',
        account: new RegExp(`••${current.identification.slice(-4)}`),
        shotWidth: width,
        shotName: 'checkout-bank-approve',
      });
      assert.equal(await orderOutcome(page), 'paid');
      const receipt = await receiptCard(page, receiptsBefore);
      assert.match(receipt, /Corner Books/);
      assert.match(receipt, /£38\.97/);
      assert.match(receipt, /Pocket Atlas/);
      assert.match(receipt, /✓ Verified by Northwind Bank/);
      assert.equal(
        await page.locator('li[data-type="receipt"]').last().getAttribute('data-verified'),
        'true',
      );
      await shot(page, 'checkout-receipt', width);

      // One order for the double-click, paid, with the bank's confirmation kept.
      const orders = await s.shops.store.recentOrders('corner-books');
      assert.equal(orders.length - ordersBefore.length, 1, 'a double-click on Pay made one order');
      const order = orders[0]!;
      assert.equal(order.status, 'paid');
      assert.equal(order.amount, '38.97');
      assert.ok(order.confirmation_jws && order.payment_id);

      // The payment in the bank core: the customer's debit naming the merchant.
      const lines = await coreLinesFor(s, 'northwind', 'demo', 'Corner Books');
      assert.ok(
        lines.some((t) => t.accountId === current.id && t.amount === '38.97' && t.creditDebit === 'Debit'),
        JSON.stringify(lines),
      );
      assert.equal(lines.filter((t) => t.creditDebit === 'Debit').length, debitsBefore + 1, 'charged once');

      // …and in the customer's own transactions, as the bank's sealed card shows them.
      await page.getByRole('button', { name: 'Recent transactions', exact: true }).click();
      await page.waitForFunction(
        () =>
          [...document.querySelectorAll('li[data-type="transactions"]')].some((li) =>
            /Corner Books/.test(li.textContent ?? ''),
          ),
        undefined,
        WAIT,
      );

      // The transparency log holds the payment's entries.
      const kinds = await paymentLogKinds(s, 'northwind');
      for (const kind of ['payment.authorised', 'payment.executed', 'payment.receipt'])
        assert.ok(
          (kinds[kind] ?? 0) > (kindsBefore[kind] ?? 0),
          `a new ${kind} log entry: ${JSON.stringify(kinds)}`,
        );

      // The shop refunds: the money is back in the account and a sealed refund receipt arrives.
      const staff = `corner-books:${s.shops.secrets.staffPasswords.get('corner-books')}`;
      const refundsBefore = await page.locator('li[data-type="refund_receipt"]').count();
      const refund = await fetch(`${s.shops.url}/merchants/corner-books/staff/orders/${order.id}/refund`, {
        method: 'POST',
        headers: { authorization: `Basic ${Buffer.from(staff).toString('base64')}` },
      });
      assert.equal(refund.status, 200, await refund.clone().text());
      assert.equal(((await refund.json()) as { status: string }).status, 'refunded');
      await page.waitForFunction(
        (n) => document.querySelectorAll('li[data-type="refund_receipt"][data-verified="true"]').length > n,
        refundsBefore,
        WAIT,
      );
      assert.match(
        (await page.locator('li[data-type="refund_receipt"]').last().textContent()) ?? '',
        /£38\.97/,
      );
      const back = await coreLinesFor(s, 'northwind', 'demo', 'Corner Books');
      assert.ok(
        back.some((t) => t.accountId === current.id && t.amount === '38.97' && t.creditDebit === 'Credit'),
        JSON.stringify(back),
      );
      await shot(page, 'checkout-refund', width);

      // The shop's own orders page (staff login): the order, refunded, with the bank's signature.
      const password = s.shops.secrets.staffPasswords.get('corner-books')!;
      const desk = await s.browser.newContext({
        ...options,
        httpCredentials: { username: 'corner-books', password },
      });
      try {
        const ordersPage = await desk.newPage();
        await ordersPage.goto(`${s.shops.url}/merchants/corner-books/staff/orders`);
        const row = ordersPage.locator(`tr[data-order="${order.id}"]`);
        assert.match((await row.textContent()) ?? '', /refunded.*signed by the bank/s);
        await shot(ordersPage, 'checkout-merchant-orders', width);
      } finally {
        await desk.close();
      }
      assert.deepEqual(errors, []);
    });

    test('declined at the bank: a polite no, the order rejected, nothing charged', async () => {
      await fillBasket(page, 'Harbour Tea Co.', [['Enamel Mug', 1]]);
      const tab = await pressPay(page);
      await decideAtBank(s, tab, 'northwind', { decision: 'decline' });
      assert.equal(await orderOutcome(page), 'declined');
      const text = await page.locator('li.order-msg').last().textContent();
      assert.match(text ?? '', /You declined the payment at your bank, so nothing was charged/);
      await shot(page, 'checkout-declined', width);
      const order = (await s.shops.store.recentOrders('harbour-tea'))[0]!;
      assert.equal(order.status, 'rejected');
      assert.equal(order.reason, 'declined');
    });

    test('approval not given in time: the order is given up, nothing charged', async () => {
      await fillBasket(page, 'Corner Books', [['The Pocket Atlas', 1]]);
      const tab = await pressPay(page);
      await tab.waitForURL(`${s.t.gw.url}/banks/northwind/**`, WAIT);
      await tab.close();
      // The shopper walked away: the order's approval window (10 minutes) passes.
      const pending = (await s.shops.store.recentOrders('corner-books'))[0]!;
      assert.equal(pending.status, 'pending');
      await s.shops.store.db
        .updateTable('merchant_order')
        .set({ created_at: new Date(Date.now() - 3_600_000) })
        .where('id', '=', pending.id)
        .execute();
      assert.equal(await orderOutcome(page), 'approval-timed-out');
      assert.match((await page.locator('li.order-msg').last().textContent()) ?? '', /not finished in time/);
      await shot(page, 'checkout-timed-out', width);
      const order = (await s.shops.store.order('corner-books', pending.id))!;
      assert.equal(
        order.status,
        'rejected',
        JSON.stringify(await s.shops.store.recentOrders('corner-books')),
      );
      assert.equal(order.reason, 'approval-timed-out');
      // "You can try again": Pay once more is a new order at the bank, not the given-up one.
      const retry = await pressPay(page);
      await retry.waitForURL(`${s.t.gw.url}/banks/northwind/**`, WAIT);
      await retry.close();
      const latest = (await s.shops.store.recentOrders('corner-books'))[0]!;
      assert.notEqual(latest.id, order.id);
      assert.equal(latest.status, 'pending');
    });

    test('not enough money: a polite no without a balance or a shortfall', async () => {
      await setAccounts(s, 'northwind', 'demo', { balance: '1.00' });
      try {
        await fillBasket(page, 'Corner Books', [['One Pan Suppers', 1]]);
        const tab = await pressPay(page);
        await decideAtBank(s, tab, 'northwind', { decision: 'approve' });
        assert.equal(await orderOutcome(page), 'insufficient-funds');
        const text = (await page.locator('li.order-msg').last().textContent()) ?? '';
        assert.match(text, /could not make this payment/);
        assert.doesNotMatch(text, /1\.00|£1|short/, 'no balance and no shortfall in the chat');
        await shot(page, 'checkout-insufficient-funds', width);
        const order = (await s.shops.store.recentOrders('corner-books'))[0]!;
        assert.equal(order.status, 'rejected');
        assert.equal(order.reason, 'insufficient-funds');
      } finally {
        await setAccounts(s, 'northwind', 'demo', { balance: '5000.00' });
      }
    });

    test('a blocked account: a polite no, the order rejected', async () => {
      await setAccounts(s, 'northwind', 'demo', { blocked: true });
      try {
        await fillBasket(page, 'Harbour Tea Co.', [['House Coffee, 250 g', 2]]);
        const tab = await pressPay(page);
        await decideAtBank(s, tab, 'northwind', { decision: 'approve' });
        assert.equal(await orderOutcome(page), 'account-frozen');
        assert.match(
          (await page.locator('li.order-msg').last().textContent()) ?? '',
          /could not use that account or card/,
        );
        await shot(page, 'checkout-frozen', width);
      } finally {
        await setAccounts(s, 'northwind', 'demo', { blocked: false });
      }
    });
  });
}

test('a Fjordbank customer pays both shops in EUR from the same chat', async () => {
  const context = await s.browser.newContext(PHONE);
  const page = await context.newPage();
  try {
    await linkBank(s, page, 'fjord');
    for (const [shop, product, total] of [
      ['Harbour Tea Co.', 'Harbour Breakfast, 100 g', '€8.50'],
      ['Corner Books', 'Night Train North', '€9.99'],
    ] as const) {
      await fillBasket(page, shop, [[product, 1]]);
      const receipts = await page.locator('li[data-type="receipt"]').count();
      const tab = await pressPay(page);
      await decideAtBank(s, tab, 'fjord', { decision: 'approve' });
      assert.equal(await orderOutcome(page), 'paid');
      const receipt = await receiptCard(page, receipts);
      assert.match(receipt, new RegExp(`${shop.replace('.', '\\.')}[\\s\\S]*${total.replace('€', '€')}`));
      assert.match(receipt, /✓ Verified by Fjordbank/);
    }
  } finally {
    await context.close();
  }
});
