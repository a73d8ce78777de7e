// The whole system in real Chromium at phone size: the real gateway (bank side, consent,
// bot, transparency log) and the real relay with its web chat. A new device links Northwind
// through the bank's login and consent pages, asks its balance (the figure from the bank
// core appears, opened on the device), freezes its card (the core's card is frozen), unlinks,
// and the next ask is refused politely in the chat.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { type Browser, chromium, type Page } from 'playwright-core';
import { type RunningRelay, readRelayConfig, startRelay } from '../../src/relay/index.ts';
import { openDatabase } from '../../src/storage/index.ts';
import { pgliteBackend } from '../support/backends.ts';
import { otpNow, resetTotp } from '../support/consent.ts';
import { startTestGateway, type TestGateway } from '../support/gateway.ts';

const ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  await new Promise((r) => server.close(r));
  return port;
}

let t: TestGateway;
let relay: RunningRelay;
let relayDb: Awaited<ReturnType<typeof openDatabase>>;
let browser: Browser;
let page: Page;
let dist: string;
const errors: string[] = [];

before(async () => {
  const relayPort = await freePort();
  t = await startTestGateway(pgliteBackend, 3, {
    env: { PROVISO_RELAY_URL: `http://127.0.0.1:${relayPort}` },
  });
  relayDb = await openDatabase();
  dist = await mkdtemp(join(tmpdir(), 'proviso-e2e-web-'));
  relay = await startRelay(
    {
      ...readRelayConfig({ PROVISO_DATA: t.dataDir, PROVISO_GATEWAY_URL: t.gw.url }),
      port: relayPort,
      logLevel: 'silent',
      webDist: join(dist, 'dist'),
      buildWeb: true,
      pollMs: 500,
    },
    { database: relayDb },
  );
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: ARGS });
  page = await browser.newPage({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  page.on('pageerror', (e) => errors.push(String(e)));
});

after(async () => {
  await browser?.close();
  await relay?.close();
  await relayDb?.close();
  await t?.close();
  if (dist) await rm(dist, { recursive: true, force: true });
});

/** Text of the last bot card or notice in the conversation. */
async function lastBotText(page: Page, count: number): Promise<string> {
  await page.waitForFunction((n) => document.querySelectorAll('#messages li.bot').length > n, count, {
    timeout: 15_000,
  });
  // Cards open asynchronously; wait until none is still busy.
  await page.waitForFunction(() => !document.querySelector('#messages [aria-busy="true"]'), undefined, {
    timeout: 15_000,
  });
  return page.locator('#messages li.bot').last().innerText();
}

const botCount = (page: Page) => page.locator('#messages li.bot').count();

test('new device → link bank → balance → freeze card → unlink → refused politely', async () => {
  await page.goto(relay.url);
  await page.waitForFunction(() => document.body.dataset['ready'] === 'true', undefined, { timeout: 30_000 });
  assert.deepEqual(errors, []);

  // Link: the bank picker, then the bank's own login and consent pages.
  await page.getByRole('button', { name: 'Link my bank' }).click();
  await page.getByRole('button', { name: 'Northwind Bank' }).click();
  await page.waitForURL(`${t.gw.url}/banks/northwind/**`);
  await resetTotp(t);
  await page.getByLabel('Username').fill('demo');
  await page.getByLabel('Password').fill('proviso-demo');
  await page.getByLabel('One-time code from your authenticator app').fill(otpNow('northwind', 'demo'));
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.waitForSelector('text=What it will be used for');
  for (const box of await page.locator('input[name="account"]').all()) await box.check();
  await page.getByRole('button', { name: 'Allow', exact: true }).click();
  await page.waitForURL(`${relay.url}/**`);
  await page.waitForFunction(() => document.body.dataset['ready'] === 'true', undefined, { timeout: 30_000 });
  await page.waitForSelector('text=Linked · sealed to this device');

  // Balance: the figure from the bank core, opened on the device, signature verified.
  const core = t.gw.core('northwind');
  const demo = (await core.customerByUsername('demo'))!;
  const accounts = await core.accounts(demo.id);
  const current = accounts.find((a) => a.kind === 'current')!;
  const available = (await core.balances(current.id)).find((b) => b.type === 'InterimAvailable')!;
  let before = await botCount(page);
  await page.locator('.quick button[data-action="BALANCE"]').click();
  const balanceText = await lastBotText(page, before);
  const figure = Number(available.amount).toLocaleString('en-US', { minimumFractionDigits: 2 });
  assert.ok(balanceText.includes(figure), `balance ${figure} not in: ${balanceText}`);
  assert.match(balanceText, /✓ Verified: Northwind Bank/);
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

  // Freeze: the bot asks which card (the demo customer has several), then freezes that one.
  const cards = await core.cards(demo.id);
  assert.ok(cards.length >= 1);
  before = await botCount(page);
  await page.locator('.quick button[data-action="FREEZE_CARD"]').click();
  let text = await lastBotText(page, before);
  if (cards.length > 1) {
    assert.match(text, /Which card\?/);
    before = await botCount(page);
    await page.locator('#messages li.bot').last().getByRole('button', { name: 'Freeze' }).first().click();
    text = await lastBotText(page, before);
  }
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

  // Unlink, then ask again: refused politely in the chat, the bank is not asked.
  before = await botCount(page);
  await page.locator('.quick button[data-action="UNLINK"]').click();
  await page.waitForSelector('text=Unlinked Northwind Bank');
  await page.waitForSelector('text=Link ended');
  const afterUnlink = await botCount(page);
  await page.locator('.quick button[data-action="BALANCE"]').click();
  text = await lastBotText(page, afterUnlink);
  assert.match(text, /link to Northwind Bank has ended/i);
  // The platform's unlink revoked the consent at the bank (RFC 7009 + consent DELETE).
  const consents = await t.gw.consent.store.forCustomer('northwind', demo.id);
  assert.ok(consents.length >= 1);
  assert.ok(consents.every((c) => c.status !== 'authorised'));
  assert.deepEqual(errors, []);
});
