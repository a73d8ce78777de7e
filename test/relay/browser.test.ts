// The web chat client in real Chromium at phone size (390×844), served by the relay: first
// run registers the device (non-extractable key in IndexedDB); a sealed balance card pushed
// through the webhook opens on the device with the verified-sender mark; a tampered one shows
// why it was rejected.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import type { RunningRelay } from '../../src/relay/index.ts';
import { pgliteBackend } from '../support/backends.ts';
import { launchChromium } from '../support/browser.ts';
import {
  linkDevice,
  pushSigned,
  relayDatabase,
  startStubGateway,
  startTestRelay,
  type TestBank,
  testBank,
} from './support.ts';

describe('web chat client in Chromium (390×844)', () => {
  let db: Awaited<ReturnType<typeof relayDatabase>>;
  let relay: RunningRelay;
  let gw: Awaited<ReturnType<typeof startStubGateway>>;
  let bank: TestBank;
  let browser: Browser;
  let page: Page;
  let dist: string;
  let deviceId: string;
  let publicKey: Uint8Array;
  const errors: string[] = [];

  before(async () => {
    bank = testBank();
    gw = await startStubGateway([bank]);
    db = await relayDatabase(pgliteBackend);
    dist = await mkdtemp(join(tmpdir(), 'proviso-web-'));
    // buildWeb: the relay builds the client with Vite at start, as on a fresh clone.
    relay = await startTestRelay(db.database, {
      banks: gw.banks,
      webDist: join(dist, 'dist'),
      buildWeb: true,
      gatewayUrl: gw.url,
    });
    browser = await launchChromium();
    page = await browser.newPage({
      viewport: { width: 390, height: 844 },
      deviceScaleFactor: 2,
      isMobile: true,
      hasTouch: true,
    });
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  });
  after(async () => {
    await browser?.close();
    await relay?.close();
    await db?.dispose();
    await gw?.close();
    if (dist) await rm(dist, { recursive: true, force: true });
  });

  it('first run registers the device with a non-extractable key in IndexedDB', async () => {
    await page.goto(relay.url);
    await page
      .waitForFunction(() => document.body.dataset['ready'] === 'true', undefined, { timeout: 20_000 })
      .catch((e) => {
        throw new Error(`client did not start: ${errors.join('; ')}`, { cause: e });
      });
    await page.waitForFunction(() => document.body.dataset['stream'] === 'online');
    deviceId = await page.evaluate(() => document.body.dataset['deviceId']!);
    const key = await page.evaluate(
      () =>
        new Promise<{ extractable: boolean; type: string }>((resolve, reject) => {
          const r = indexedDB.open('proviso-device-keys');
          r.onerror = () => reject(r.error);
          r.onsuccess = () => {
            const all = r.result.transaction('hpke-keys').objectStore('hpke-keys').getAll();
            all.onsuccess = () => {
              const k = all.result[0].keyPair.privateKey as CryptoKey;
              resolve({ extractable: k.extractable, type: k.type });
            };
          };
        }),
    );
    assert.deepEqual(key, { extractable: false, type: 'private' });
    const row = await db.database
      .tables<{ relay_device: { id: string; public_key: string } }>()
      .selectFrom('relay_device')
      .selectAll()
      .executeTakeFirstOrThrow();
    assert.equal(row.id, deviceId);
    publicKey = new Uint8Array(Buffer.from(row.public_key, 'base64url'));
    assert.equal(publicKey.length, 32);
  });

  it('a sealed balance pushed through the webhook renders decrypted, with the verified-sender mark', async () => {
    await linkDevice(relay, deviceId, { sub: 'pw-browser', consent: 'c1_test' });
    const envelope = bank.sealer.seal({
      recipientPublicKey: publicKey,
      consentCommitment: 'c1_test',
      purpose: 'balance_inquiry',
      type: 'balance',
      log: 7,
      payload: {
        accounts: [{ id: 'a1', name: 'Everyday', balance: { amount: '1204.56', currency: 'GBP' } }],
      },
    });
    const res = await pushSigned(relay, [{ sub: 'pw-browser', mid: 'b-1', envelope }]);
    assert.equal(res.status, 200, JSON.stringify(res.json));
    const card = page.locator('li.msg.sealed[data-verified="true"]');
    await card.waitFor({ timeout: 10_000 });
    const text = (await card.textContent()) ?? '';
    assert.match(text, /1,204\.56/);
    assert.match(text, /Verified by Northwind Bank/);
    assert.match(text, /entry #7/i);
    // The device acknowledged it: the relay holds no ciphertext for it any more.
    await page.waitForFunction(() => true);
    const deadline = Date.now() + 5000;
    let acked = false;
    while (!acked && Date.now() < deadline) {
      const r = await db.database
        .tables<{ relay_message: { mid: string; acked_at: Date | null; envelope: string | null } }>()
        .selectFrom('relay_message')
        .selectAll()
        .where('mid', '=', 'b-1')
        .executeTakeFirstOrThrow();
      acked = r.acked_at !== null && r.envelope === null;
      if (!acked) await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(acked, 'delivery receipt recorded');
  });

  it('a tampered envelope shows the reason it was rejected', async () => {
    const good = bank.sealer.seal({
      recipientPublicKey: publicKey,
      consentCommitment: 'c1_test',
      purpose: 'balance_inquiry',
      type: 'balance',
      log: 8,
      payload: { accounts: [{ id: 'a1', name: 'Everyday', balance: { amount: '99.00', currency: 'GBP' } }] },
    });
    const [h, p, s] = good.split('.');
    const body = JSON.parse(Buffer.from(p!, 'base64url').toString('utf8'));
    body.ct = `${body.ct.slice(0, -2)}${body.ct.endsWith('AA') ? 'BA' : 'AA'}`;
    const tampered = `${h}.${Buffer.from(JSON.stringify(body)).toString('base64url')}.${s}`;
    assert.equal(
      (await pushSigned(relay, [{ sub: 'pw-browser', mid: 'b-2', envelope: tampered }])).status,
      200,
    );
    const rejected = page.locator('li.msg.sealed[data-verified="false"] [data-reason]');
    await rejected.waitFor({ timeout: 10_000 });
    assert.equal(await rejected.getAttribute('data-reason'), 'bad_signature');
    assert.match((await rejected.textContent()) ?? '', /signature does not verify/);
  });

  it('fits the phone screen and is navigable: landmarks, labels, live region', async () => {
    const layout = await page.evaluate(() => ({
      scrollWidth: document.documentElement.scrollWidth,
      main: !!document.querySelector('main'),
      header: !!document.querySelector('header'),
      live: document.getElementById('messages')?.getAttribute('aria-live'),
      inputLabel: document.querySelector('label[for="composer-input"]')?.textContent,
      quick: [...document.querySelectorAll('.quick button')].map((b) => b.textContent),
    }));
    assert.ok(layout.scrollWidth <= 390, `no horizontal scrolling (${layout.scrollWidth})`);
    assert.equal(layout.main && layout.header, true);
    assert.equal(layout.live, 'polite');
    assert.equal(layout.inputLabel, 'Message');
    assert.deepEqual(layout.quick, [
      'Shop',
      'Balance',
      'Recent transactions',
      'My cards',
      'Spending',
      'Freeze card',
      'Unfreeze card',
      'Unlink',
    ]);
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Skip to message box');
    assert.deepEqual(
      errors.filter((e) => !/favicon/.test(e)),
      [],
    );
  });
});
