// The whole system for checkout tests: the real gateway (bank side, merchants registered),
// the real relay with its web chat, the real merchant app on its own port and database, every
// party's logs captured, and Chromium. Plus the steps a shopper takes in the browser.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { Browser, BrowserContextOptions, Page } from 'playwright-core';
import { type RunningMerchants, readMerchantConfig, startMerchants } from '../../src/merchant/index.ts';
import { type RunningRelay, readRelayConfig, startRelay } from '../../src/relay/index.ts';
import { type Database, openDatabase } from '../../src/storage/index.ts';
import { pgliteBackend } from '../support/backends.ts';
import { launchChromium } from '../support/browser.ts';
import { otpNow, resetTotp } from '../support/consent.ts';
import { startTestGateway, type TestGateway } from '../support/gateway.ts';
import { freePort } from '../support/net.ts';

export interface ShopSystem {
  t: TestGateway;
  relay: RunningRelay;
  relayDb: Database;
  relayLogs: string[];
  shops: RunningMerchants;
  merchantDb: Database;
  merchantLogs: string[];
  browser: Browser;
  close(): Promise<void>;
}

function capture(lines: string[]): Writable {
  return new Writable({
    write(chunk, _enc, done) {
      lines.push(String(chunk));
      done();
    },
  });
}

export async function startShopSystem(
  options: { approvalSeconds?: number; customers?: number } = {},
): Promise<ShopSystem> {
  const relayPort = await freePort();
  const merchantPort = await freePort();
  const relayUrl = `http://127.0.0.1:${relayPort}`;
  const merchantUrl = `http://127.0.0.1:${merchantPort}`;
  // The gateway registers the demo merchants' redirect URIs from the process environment.
  process.env['PROVISO_MERCHANT_URL'] = merchantUrl;
  const t = await startTestGateway(pgliteBackend, options.customers ?? 3, {
    env: { PROVISO_RELAY_URL: relayUrl, PROVISO_MERCHANT_URL: merchantUrl },
  });
  const relayDb = await openDatabase();
  const relayLogs: string[] = [];
  const dist = await mkdtemp(join(tmpdir(), 'proviso-shop-web-'));
  const env = {
    PROVISO_DATA: t.dataDir,
    PROVISO_GATEWAY_URL: t.gw.url,
    PROVISO_RELAY_URL: relayUrl,
    PROVISO_MERCHANT_URL: merchantUrl,
    MERCHANT_APPROVAL_SECONDS: String(options.approvalSeconds ?? 600),
  };
  const relay = await startRelay(
    {
      ...readRelayConfig(env),
      port: relayPort,
      logLevel: 'info',
      webDist: join(dist, 'dist'),
      buildWeb: true,
      pollMs: 500,
    },
    { database: relayDb, logStream: capture(relayLogs) },
  );
  t.gw.connectRelay({ url: relay.info.webhook_url, secret: (bankId) => relay.webhookSecret(bankId) });
  const merchantDb = await openDatabase();
  const merchantLogs: string[] = [];
  const shops = await startMerchants(
    { ...readMerchantConfig(env), port: merchantPort, logLevel: 'info' },
    { database: merchantDb, logStream: capture(merchantLogs) },
  );
  const browser = await launchChromium();
  return {
    t,
    relay,
    relayDb,
    relayLogs,
    shops,
    merchantDb,
    merchantLogs,
    browser,
    async close() {
      await browser.close();
      await shops.close();
      await merchantDb.close();
      await relay.close();
      await relayDb.close();
      await t.close();
      await rm(dist, { recursive: true, force: true });
    },
  };
}

export const PHONE: BrowserContextOptions = {
  viewport: { width: 390, height: 844 },
  isMobile: true,
  hasTouch: true,
  locale: 'en-GB',
  deviceScaleFactor: 1,
};
export const DESKTOP: BrowserContextOptions = {
  viewport: { width: 1280, height: 800 },
  locale: 'en-GB',
  deviceScaleFactor: 1,
};

const WAIT = { timeout: 45_000 };
const BANK_NAMES: Record<string, string> = { northwind: 'Northwind Bank', fjord: 'Fjordbank' };

/** Links a bank in the chat through the bank's own login and consent pages. */
export async function linkBank(
  s: ShopSystem,
  page: Page,
  bank = 'northwind',
  username = 'demo',
): Promise<void> {
  if (!page.url().startsWith(s.relay.url)) await page.goto(s.relay.url);
  await page.waitForFunction(() => document.body.dataset['ready'] === 'true', undefined, WAIT);
  await page.getByRole('button', { name: /^Link (my|another) bank$/ }).click();
  await page.getByRole('button', { name: BANK_NAMES[bank] ?? bank, exact: true }).click();
  await page.waitForURL(`${s.t.gw.url}/banks/${bank}/**`);
  await resetTotp(s.t);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill('proviso-demo');
  await page.getByLabel('One-time code from your authenticator app').fill(otpNow(bank, username));
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.waitForSelector('text=What it will be used for');
  for (const box of await page.locator('input[name="account"]').all()) await box.check();
  await page.getByRole('button', { name: 'Allow', exact: true }).click();
  await page.waitForURL(`${s.relay.url}/**`);
  await page.waitForFunction(() => document.body.dataset['ready'] === 'true', undefined, WAIT);
  await page.waitForSelector('text=Linked · sealed to this device');
}

/** Opens the shop in the current conversation and fills a basket at one merchant. */
export async function fillBasket(
  page: Page,
  merchantName: string,
  items: [productName: string, quantity: number][],
): Promise<void> {
  await page.getByRole('button', { name: 'Shop', exact: true }).click();
  const shop = page.locator('article.shop').last();
  await shop.waitFor(WAIT);
  await shop.getByRole('tab', { name: new RegExp(merchantName) }).click();
  for (const [name, quantity] of items) {
    await shop.getByRole('button', { name: `Add ${name}` }).click();
    for (let i = 1; i < quantity; i++) await shop.getByRole('button', { name: `One more ${name}` }).click();
  }
}
