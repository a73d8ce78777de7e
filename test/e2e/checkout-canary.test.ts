// Canary: distinctive values planted in the shopper's account at the bank (the customer's
// name, each account's nickname and number, the descriptions and merchants of their past
// transactions) never appear — as is or base64/base64url-encoded — in the merchant's database
// or logs, nor in the relay's database or logs, after a full checkout in the browser and a
// look at recent transactions. The test of the test: the same values do reach the shopper's
// device (the sealed receipt names the account holder), so they were in play.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import { sql } from 'kysely';
import { containsMarker, dumpTables } from '../../src/relay/index.ts';
import { decideAtBank, orderOutcome, pressPay } from './checkout-steps.ts';
import { fillBasket, linkBank, PHONE, type ShopSystem, startShopSystem } from './checkout-support.ts';

let s: ShopSystem;
before(async () => {
  s = await startShopSystem();
});
after(() => s?.close());

const tag = () => randomBytes(6).toString('hex').toUpperCase();

test('nothing about the account reaches the merchant or the relay (database and logs)', async () => {
  const core = s.t.gw.core('northwind');
  const demo = (await core.customerByUsername('demo'))!;
  const canaries = {
    name: `Canaryname ${tag()}`,
    nickname: `CANARYNICK${tag()}`,
    number: `9${String(randomBytes(6).readUIntBE(0, 6)).padStart(13, '0').slice(0, 13)}`,
    transaction: `CANARYTX${tag()}`,
  };
  type Tables = {
    core_customer: { bank_id: string; id: string; display_name: string };
    core_account: {
      bank_id: string;
      customer_id: string;
      nickname: string;
      identification: string;
      ledger_balance: string;
    };
    core_transaction: {
      bank_id: string;
      account_id: string;
      description: string;
      merchant_name: string | null;
    };
  };
  const db = s.t.db.database.tables<Tables>();
  await db
    .updateTable('core_customer')
    .set({ display_name: canaries.name })
    .where('bank_id', '=', 'northwind')
    .where('id', '=', demo.id)
    .execute();
  await db
    .updateTable('core_account')
    .set({ nickname: canaries.nickname, identification: canaries.number, ledger_balance: '5000.00' })
    .where('bank_id', '=', 'northwind')
    .where('customer_id', '=', demo.id)
    .execute();
  const accounts = (await core.accounts(demo.id)).map((a) => a.id);
  await db
    .updateTable('core_transaction')
    .set({ description: canaries.transaction, merchant_name: canaries.transaction })
    .where('bank_id', '=', 'northwind')
    .where('account_id', 'in', accounts)
    .execute();

  const context = await s.browser.newContext(PHONE);
  const page = await context.newPage();
  try {
    await linkBank(s, page, 'northwind');
    await fillBasket(page, 'Corner Books', [['Night Train North', 1]]);
    const tab = await pressPay(page);
    await decideAtBank(s, tab, 'northwind', { decision: 'approve' });
    assert.equal(await orderOutcome(page), 'paid');
    await page.waitForSelector('li[data-type="receipt"][data-verified="true"]', { timeout: 60_000 });
    // The device did get the account holder's name, sealed: the canary was in play.
    assert.match(
      (await page.locator('li[data-type="receipt"]').last().textContent()) ?? '',
      new RegExp(canaries.name),
    );
    // Recent transactions carry the planted descriptions through the relay, sealed.
    await page.getByRole('button', { name: 'Recent transactions', exact: true }).click();
    await page.waitForSelector(`li[data-type="transactions"]:has-text("${canaries.transaction}")`, {
      timeout: 60_000,
    });
  } finally {
    await context.close();
  }

  const merchantTables = await dumpTables(
    (q) => sql.raw(q).execute(s.merchantDb.tables()),
    ['merchant_order'],
  );
  const relayTables = await dumpTables((q) => sql.raw(q).execute(s.relayDb.tables()));
  assert.match(merchantTables, /"status":"paid"/, 'the merchant stored the paid order');
  const places = {
    'merchant database': merchantTables,
    'merchant logs': s.merchantLogs.join(''),
    'relay database': relayTables,
    'relay logs': s.relayLogs.join(''),
  };
  for (const [where, text] of Object.entries(places))
    for (const [what, value] of Object.entries(canaries))
      assert.ok(!containsMarker(text, value), `the ${what} canary is in the ${where}`);
});
