// The API reference (/docs) in a real browser: everything it loads comes from our own server
// (no web fonts, scripts or telemetry from a CDN) and it offers none of the vendor's hosted
// extras (an AI agent, "Deploy"/"Share" developer tools), only the reference itself.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { createHttpApp } from '../src/http/app.ts';
import { launchChromium } from './support/browser.ts';

let browser: Browser;
let app: Awaited<ReturnType<typeof createHttpApp>>;
let base: string;
before(async () => {
  app = await createHttpApp({
    title: 'Reference check',
    version: '1.0.0',
    description: 'An app built like every Proviso app.',
    logLevel: false,
  });
  app.get(
    '/greeting',
    {
      schema: {
        summary: 'A greeting',
        response: { 200: { type: 'object', properties: { text: { type: 'string' } } } },
      },
    },
    async () => ({ text: 'hello' }),
  );
  base = await app.listen({ host: '127.0.0.1', port: 0 });
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  await app?.close();
});

for (const width of [1280, 390]) {
  test(`/docs at ${width} px loads only from this server and shows no vendor extras`, async (t) => {
    const page = await browser.newPage({ viewport: { width, height: 900 } });
    const requested: string[] = [];
    page.on('request', (request) => requested.push(request.url()));
    await page.goto(`${base}/docs`);
    await page.getByText('A greeting').first().waitFor({ state: 'attached', timeout: 60_000 });
    // Rendered and every font the page wants is loaded (or failed): font requests have been made.
    await page.evaluate(() => document.fonts.ready.then(() => undefined));
    const foreign = requested.filter(
      (u) => !u.startsWith(base) && !u.startsWith('data:') && !u.startsWith('blob:'),
    );
    assert.deepEqual(foreign, [], 'every request stays on the server');
    const text = (await page.locator('body').textContent()) ?? '';
    for (const extra of [/Ask AI/i, /\bDeploy\b/, /Developer Tools/i, /Generate MCP/i]) {
      assert.doesNotMatch(text, extra);
    }
    t.diagnostic(`${requested.length} requests, all to ${base}`);
    await page.close();
  });
}
