// Screenshots of the drawn benchmark report for docs/screenshots/bench-report-*.png, at 1280
// and 390 px wide: the top of the page (goals), one release step by step, and the relay section.
// Run after `npm run bench:report`: node test/support/bench-report-screenshots.ts [OUTDIR]
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { launchChromium } from './browser.ts';

const out = process.argv[2] ?? 'docs/screenshots';
const report = new URL('../../bench/results/report.html', import.meta.url);
mkdirSync(out, { recursive: true });
const browser = await launchChromium();

async function shot(page: Page, name: string, width: number, fromSelector?: string): Promise<void> {
  const file = join(out, `${name}-${width}.png`);
  const y = fromSelector
    ? await page.locator(fromSelector).evaluate((e) => e.getBoundingClientRect().top + window.scrollY)
    : 0;
  await page.screenshot({ path: file, clip: { x: 0, y, width, height: 1400 }, fullPage: true });
  spawnSync('pngquant', ['--force', '--ext', '.png', '--quality', '65-90', '--speed', '3', file]);
  console.log(file);
}

try {
  for (const width of [1280, 390]) {
    const page = await browser.newPage({ viewport: { width, height: 900 } });
    await page.goto(report.href);
    await shot(page, 'bench-report', width);
    await shot(page, 'bench-report-release', width, '#release-cost');
    await shot(page, 'bench-report-relay', width, '#bench-relay');
    await page.close();
  }
} finally {
  await browser.close();
}
