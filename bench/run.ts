// `npm run bench [-- name ...]`: runs the benchmarks, prints one table, writes
// bench/results/<name>.json for each and draws them all into bench/results/report.html.
import { existsSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { type Measurement, save, table } from './lib/results.ts';
import { writeReport } from './report/index.ts';

const ALL = [
  'http',
  'seed',
  'translog',
  'seal',
  'policy',
  'consent',
  'release',
  'relay',
  'alerts',
  'checkout',
];
const wanted = process.argv.slice(2).length ? process.argv.slice(2) : ALL;
const unknown = wanted.filter((w) => !ALL.includes(w));
if (unknown.length) {
  process.stderr.write(`unknown benchmark(s): ${unknown.join(', ')}; known: ${ALL.join(', ')}\n`);
  process.exit(2);
}

const all: Measurement[] = [];
for (const name of wanted) {
  const file = new URL(`./${name}.ts`, import.meta.url);
  if (!existsSync(file)) continue;
  process.stderr.write(`▶ ${name}\n`);
  const module = (await import(file.href)) as { run(): Promise<Measurement[]> };
  const loadAverageAtStart = os.loadavg().map((l) => Number(l.toFixed(2)));
  const results = save(name, await module.run(), { loadAverageAtStart });
  all.push(...results);
  process.stdout.write(`${table(results)}\n\n`);
}
process.stdout.write(`All results\n${table(all)}\n\nWritten to bench/results/*.json\n`);
process.stdout.write(`Report: ${fileURLToPath(writeReport())}\n`);
