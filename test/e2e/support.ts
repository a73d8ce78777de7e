// The whole system for browser tests: the real gateway (bank side) and the real relay with its
// web chat on a port the gateway knows as its platform's redirect, Chromium at phone size.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { type RunningRelay, readRelayConfig, startRelay } from '../../src/relay/index.ts';
import { type Database, openDatabase } from '../../src/storage/index.ts';
import { pgliteBackend } from '../support/backends.ts';
import { launchChromium } from '../support/browser.ts';
import { otpNow, resetTotp } from '../support/consent.ts';
import { startTestGateway, type TestGateway } from '../support/gateway.ts';
import { freePort } from '../support/net.ts';

export interface System {
  t: TestGateway;
  relay: RunningRelay;
  /** The relay's own database (to check what it stores). */
  relayDb: Database;
  browser: Browser;
  page: Page;
  errors: string[];
  close(): Promise<void>;
}

export async function startSystem(): Promise<System> {
  const relayPort = await freePort();
  const t = await startTestGateway(pgliteBackend, 3, {
    env: { PROVISO_RELAY_URL: `http://127.0.0.1:${relayPort}` },
  });
  const relayDb = await openDatabase();
  const dist = await mkdtemp(join(tmpdir(), 'proviso-e2e-web-'));
  const relay = await startRelay(
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
  t.gw.connectRelay({ url: relay.info.webhook_url, secret: (bankId) => relay.webhookSecret(bankId) });
  const browser = await launchChromium();
  const page = await browser.newPage({
    viewport: { width: 390, height: 844 },
    isMobile: true,
    hasTouch: true,
  });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  return {
    t,
    relay,
    relayDb,
    browser,
    page,
    errors,
    async close() {
      await browser.close();
      await relay.close();
      await relayDb.close();
      await t.close();
      await rm(dist, { recursive: true, force: true });
    },
  };
}

const BANK_NAMES: Record<string, string> = { northwind: 'Northwind Bank', fjord: 'Fjordbank' };

/**
 * A device links a bank (Northwind by default) through the bank's own login and consent
 * pages. Returns the device key fingerprint the consent page showed.
 */
export async function linkInBrowser(s: System, bank = 'northwind', page = s.page): Promise<string> {
  const { t, relay } = s;
  if (!page.url().startsWith(relay.url)) await page.goto(relay.url);
  await page.waitForFunction(() => document.body.dataset['ready'] === 'true', undefined, { timeout: 30_000 });
  await page.getByRole('button', { name: /^Link (my|another) bank$/ }).click();
  await page.getByRole('button', { name: BANK_NAMES[bank] ?? bank, exact: true }).click();
  await page.waitForURL(`${t.gw.url}/banks/${bank}/**`);
  await resetTotp(t);
  await page.getByLabel('Username').fill('demo');
  await page.getByLabel('Password').fill('proviso-demo');
  await page.getByLabel('One-time code from your authenticator app').fill(otpNow(bank, 'demo'));
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.waitForSelector('text=What it will be used for');
  const fingerprint = (await page.locator('section[aria-labelledby="device"] code').textContent()) ?? '';
  for (const box of await page.locator('input[name="account"]').all()) await box.check();
  await page.getByRole('button', { name: 'Allow', exact: true }).click();
  await page.waitForURL(`${relay.url}/**`);
  await page.waitForFunction(() => document.body.dataset['ready'] === 'true', undefined, { timeout: 30_000 });
  await page.waitForSelector('text=Linked · sealed to this device');
  return fingerprint;
}

export const botCount = (page: Page) => page.locator('#messages li.bot').count();

/** Text of the newest bot message once there are more than `count` and none is still opening. */
export async function lastBotText(page: Page, count: number): Promise<string> {
  await page.waitForFunction((n) => document.querySelectorAll('#messages li.bot').length > n, count, {
    timeout: 15_000,
  });
  await page.waitForFunction(() => !document.querySelector('#messages [aria-busy="true"]'), undefined, {
    timeout: 15_000,
  });
  return (await page.locator('#messages li.bot').last().textContent()) ?? '';
}
