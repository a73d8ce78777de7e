// Builds the device entry (src/seal/device.ts) for the browser with Vite, serves it on
// 127.0.0.1 (a secure context, so WebCrypto and IndexedDB are available) and drives Debian's
// Chromium through playwright-core. The build also proves device.ts pulls in nothing Node-only.

import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { build } from 'vite';
import { launchChromium } from '../support/browser.ts';

const ENTRY = fileURLToPath(new URL('../../src/seal/device.ts', import.meta.url));
const INDEX_HTML = `<!doctype html><meta charset="utf-8"><title>seal</title>
<script type="module">import * as seal from './device.js'; window.seal = seal; window.sealReady = true;</script>`;

export interface DeviceBrowser {
  page: Page;
  url: string;
  /** Node-only imports that the bundler had to stub out (must stay empty). */
  nodeImports: string[];
  close(): Promise<void>;
}

export async function startDeviceBrowser(): Promise<DeviceBrowser> {
  const outDir = await mkdtemp(join(tmpdir(), 'proviso-seal-browser-'));
  const nodeImports: string[] = [];
  await build({
    configFile: false,
    logLevel: 'silent',
    build: {
      outDir,
      emptyOutDir: true,
      minify: false,
      lib: { entry: ENTRY, formats: ['es'], fileName: () => 'device.js' },
      rollupOptions: {
        onwarn(w) {
          // @hpke/common has a guarded `await import("crypto")` fallback for runtimes without
          // globalThis.crypto; it is never reached in a browser. Anything else is a real leak.
          if (/externalized for browser compatibility/.test(String(w.message ?? w)))
            nodeImports.push(String(w.message));
        },
      },
    },
  });

  const server: Server = createServer(async (req, res) => {
    const path = normalize(new URL(req.url ?? '/', 'http://x').pathname).replace(/^\/+/, '');
    if (path === '' || path === 'index.html') {
      res.writeHead(200, { 'content-type': 'text/html' }).end(INDEX_HTML);
      return;
    }
    try {
      const body = await readFile(join(outDir, path));
      const type = extname(path) === '.js' ? 'text/javascript' : 'application/octet-stream';
      res.writeHead(200, { 'content-type': type }).end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;

  const browser: Browser = await launchChromium();
  const page = await browser.newPage();
  const pageErrors: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  await page.goto(url);
  await page
    .waitForFunction(() => (window as unknown as { sealReady?: boolean }).sealReady === true, undefined, {
      timeout: 15_000,
    })
    .catch((e) => {
      throw new Error(`device bundle did not load: ${pageErrors.join('; ')}`, { cause: e });
    });

  return {
    page,
    url,
    nodeImports,
    async close() {
      await browser.close();
      server.close();
      await rm(outDir, { recursive: true, force: true });
    },
  };
}
