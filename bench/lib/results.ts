// Benchmark results: one JSON file per benchmark under bench/results/, an array of
// {benchmark, metric, value, unit, baseline?, ratio?, goals?, machine, date, cores?,
// loadAverageAtStart?}, so runs can be compared across commits and machines and drawn by
// bench/report (`npm run bench:report`). Every added field is optional: older files still read.
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';

export interface Measurement {
  benchmark: string;
  metric: string;
  value: number;
  unit: string;
  baseline?: { name: string; value: number };
  ratio?: number;
  /** The goals the figure is held to. When absent the report reads them from the metric's text
   *  ("… goal ≥ 2,000/s, ≥ 3 % of bare"). */
  goals?: Goal[];
}

/** One goal: the figure (`on: 'value'`, in `unit`, default the figure's own) or its share of the
 *  same-run reference (`on: 'ratio'`, a fraction: 0.4 for 40 %) must be `atLeast` or `atMost`. */
export interface Goal {
  on: 'value' | 'ratio';
  atLeast?: number;
  atMost?: number;
  unit?: string;
}

export interface Result extends Measurement {
  machine: string;
  date: string;
  cores?: number;
  /** os.loadavg() (1, 5, 15 minutes) just before the benchmark started, when the runner recorded it. */
  loadAverageAtStart?: number[];
}

export function machine(): string {
  const cpu = os.cpus()[0]?.model.trim() ?? 'unknown cpu';
  return `${os.cpus().length}x ${cpu}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, node ${process.version}, ${os.platform()}`;
}

export function withRatio(m: Measurement): Measurement {
  if (m.baseline && m.baseline.value !== 0)
    return { ...m, ratio: Number((m.value / m.baseline.value).toFixed(4)) };
  return m;
}

const RESULTS_DIR = new URL('../results/', import.meta.url);

export function save(
  name: string,
  measurements: Measurement[],
  context: { loadAverageAtStart?: number[] } = {},
): Result[] {
  const stamp = { machine: machine(), date: new Date().toISOString(), cores: os.cpus().length, ...context };
  const results = measurements.map((m) => ({ ...withRatio(m), ...stamp }));
  mkdirSync(RESULTS_DIR, { recursive: true });
  writeFileSync(new URL(`${name}.json`, RESULTS_DIR), `${JSON.stringify(results, null, 2)}\n`);
  return results;
}

function fmt(n: number): string {
  if (Math.abs(n) >= 100) return Math.round(n).toLocaleString('en-GB');
  return n.toFixed(Math.abs(n) >= 10 ? 1 : 3);
}

export function table(results: Measurement[]): string {
  const rows = results.map((r) => [
    r.benchmark,
    r.metric,
    `${fmt(r.value)} ${r.unit}`,
    r.baseline ? `${r.baseline.name}: ${fmt(r.baseline.value)}` : '',
    r.ratio !== undefined ? `${(r.ratio * 100).toFixed(1)} %` : '',
  ]);
  const head = ['benchmark', 'metric', 'value', 'baseline (same run)', 'ratio'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ');
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}
