// Helpers of the chat journey test: asking and waiting for a card of a kind, the bank's card
// processor sending a fraud, the figure a spending question must give (from the bank core),
// a relay replaying envelopes, and layout checks.
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import type { BankCore } from '../../src/bank/index.ts';
import type { CoreTables } from '../../src/bank/tables.ts';
import type { RunningRelay } from '../../src/relay/index.ts';
import type { System } from './support.ts';

const WAIT = { timeout: 30_000 };

export async function typeIn(page: Page, text: string): Promise<void> {
  await page.locator('#composer-input').fill(text);
  await page.locator('#composer-input').press('Enter');
}

/** Runs `action` and waits for a new message of `type` in a bank's conversation; its text. */
export async function askAndWait(
  page: Page,
  bank: string,
  type: string,
  action: () => Promise<unknown>,
): Promise<string> {
  const selector = `ol.conversation[data-bank="${bank}"] li[data-type="${type}"]`;
  const before = await page.locator(selector).count();
  await action();
  await page.waitForFunction(
    ([s, n]) => document.querySelectorAll(s as string).length > (n as number),
    [selector, before] as const,
    WAIT,
  );
  await waitIdle(page);
  return (await page.locator(selector).last().textContent()) ?? '';
}

export async function waitIdle(page: Page): Promise<void> {
  await page.waitForFunction(() => !document.querySelector('[aria-busy="true"]'), undefined, WAIT);
}

export async function revealLastMessage(page: Page): Promise<void> {
  await page.evaluate(() => {
    const main = document.getElementById('main')!;
    main.scrollTop = main.scrollHeight;
  });
}

/** The card's usual payments, then a big-ticket online one at a new terminal: an alert. */
export async function raiseFraud(
  s: Pick<System, 't'>,
  prefix: string,
): Promise<{ alertId: string; cardId: string; last4: string }> {
  const { t } = s;
  const core = t.gw.core('northwind');
  const demo = (await core.customerByUsername('demo'))!;
  const card = (await core.cards(demo.id)).find((c) => c.status === 'active')!;
  const url = `${t.gw.url}/banks/northwind/screening/authorisations`;
  const headers = {
    'content-type': 'application/json',
    authorization: `Bearer ${t.gw.ingestKeys.get('northwind')}`,
  };
  const event = (i: number, amount: string, at: Date, terminal = 'T-CORNER-SHOP') => ({
    transactionId: `${prefix}${i}`,
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
  const now = Date.now();
  const usual = Array.from({ length: 12 }, (_, i) =>
    event(i, (18 + (i % 5)).toFixed(2), new Date(now - (14 - i) * 86_400_000)),
  );
  let res = await fetch(url, { method: 'POST', headers, body: JSON.stringify({ events: usual }) });
  assert.equal(res.status, 200, await res.clone().text());
  const fraud = { ...event(99, '2499.00', new Date(now), 'T-ELECTRO-9'), channel: 'ecom', mcc: '5732' };
  res = await fetch(url, { method: 'POST', headers, body: JSON.stringify({ events: [fraud] }) });
  assert.equal(res.status, 200);
  const outcome = (await res.json()) as { results: { alertId: string | null }[] };
  const alertId = outcome.results[0]?.alertId;
  assert.ok(alertId, `the engine alerted: ${JSON.stringify(outcome)}`);
  return { alertId, cardId: card.id, last4: card.last4 };
}

/** What the customer spent on a category since the 1st of this month (local time), from the core. */
export async function expectedSpending(
  core: BankCore,
  customerId: string,
  category: string,
): Promise<number> {
  const now = new Date();
  const from = new Date(now.getFullYear(), now.getMonth(), 1);
  let minor = 0;
  for (const account of await core.accounts(customerId)) {
    let after: string | undefined;
    do {
      const page = await core.transactions(account.id, { from, limit: 200, after });
      for (const t of page.items)
        if (t.category === category && t.creditDebit === 'Debit' && t.bookedAt >= from)
          minor += Math.round(Number(t.amount) * 100);
      after = page.next ?? undefined;
    } while (after);
  }
  return minor / 100;
}

/**
 * A relay replaying: the last envelopes of these types the device stored (sealed) are queued
 * again for the device under new message ids, as a malicious or broken relay could.
 */
export async function sendFrames(
  page: Page,
  relay: RunningRelay,
  types: string[],
  prefix: string,
): Promise<void> {
  const found = await page.evaluate((wanted) => {
    const history = JSON.parse(localStorage.getItem('proviso.history') ?? '[]') as {
      bank: string;
      envelope?: string;
    }[];
    const typeOf = (e: string) => {
      const b64 = (e.split('.')[1] ?? '').replaceAll('-', '+').replaceAll('_', '/');
      return JSON.parse(atob(b64)).hdr?.type as string;
    };
    return wanted.map((w) => history.filter((h) => h.envelope && typeOf(h.envelope) === w).pop());
  }, types);
  const deviceId = await page.evaluate(() => document.body.dataset['deviceId']!);
  const messages = found.map((item, i) => {
    assert.ok(item?.envelope, `the device holds a ${types[i]} envelope`);
    return {
      deviceId,
      bankId: item.bank,
      kind: 'envelope' as const,
      mid: `${prefix}-${i}`,
      envelope: item.envelope,
    };
  });
  assert.equal((await relay.store.enqueue(messages)).length, messages.length);
}

type Box = { x: number; y: number; width: number; height: number };
const overlaps = (a: Box, b: Box) =>
  a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;

/** Header, bank switcher and link button never overlap; the last message sits above the bar. */
export async function noOverlap(page: Page, width: number): Promise<void> {
  const box = async (sel: string) => (await page.locator(sel).first().boundingBox())!;
  const header = await box('header.top');
  const link = await box('#link-button');
  const footer = await box('footer.bottom');
  assert.ok(!overlaps(header, link), 'the header does not cover "Link another bank"');
  assert.ok(link.x >= 0 && link.x + link.width <= width + 0.5, 'the link button is on screen');
  await revealLastMessage(page);
  const last = await page.locator('ol.conversation:not([hidden]) > li').last().boundingBox();
  assert.ok(last, 'a message is visible');
  assert.ok(last.y + last.height <= footer.y + 0.5, 'the last message is above the quick-reply bar');
  const column = await box('section.chat');
  if (width >= 1000) assert.ok(column.width <= 800, `the chat column is ${column.width} px wide`);
}

/**
 * The bank books a few card payments for the customer this month (the seeded history ends
 * before it), so a "this month" question has something to add up, whatever today's date.
 */
export async function bookPaymentsThisMonth(s: System, bank: string, customerId: string): Promise<void> {
  const core = s.t.gw.core(bank);
  const account = (await core.accounts(customerId)).find((a) => a.kind === 'current')!;
  const now = new Date();
  const monthStart = new Date(now.getFullYear(), now.getMonth(), 1).getTime();
  const at = (hoursAgo: number) =>
    new Date(Math.max(monthStart + 60_000, now.getTime() - hoursAgo * 3_600_000));
  const rows = [
    ['Fresh Market', 'groceries', '23.40', 2],
    ['Green Grocer', 'groceries', '41.15', 30],
    ['Noodle Bar', 'eating_out', '18.90', 20],
    ['City Rail', 'transport', '12.60', 50],
  ] as const;
  await s.t.db.database
    .tables<CoreTables>()
    .insertInto('core_transaction')
    .values(
      rows.map(([merchant, category, amount, hoursAgo], i) => ({
        bank_id: bank,
        id: `e2e-${customerId}-${Date.now()}-${i}`,
        account_id: account.id,
        booked_at: at(hoursAgo),
        status: 'booked',
        amount,
        credit_debit: 'Debit',
        currency: account.currency,
        description: merchant.toUpperCase(),
        merchant_name: merchant,
        mcc: null,
        country: 'GB',
        channel: 'card_present',
        category,
        card_id: null,
      })),
    )
    .execute();
}
