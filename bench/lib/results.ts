// Benchmark results: one JSON file per benchmark under bench/results/, an array of
// {benchmark, metric, value, unit, baseline?, ratio?, machine, date}, so runs can be
// compared across commits and machines.
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';

export interface Measurement {
  benchmark: string;
  metric: string;
  value: number;
  unit: string;
  baseline?: { name: string; value: number };
  ratio?: number;
}

export interface Result extends Measurement {
  machine: string;
  date: string;
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

export function save(name: string, measurements: Measurement[]): Result[] {
  const stamp = { machine: machine(), date: new Date().toISOString() };
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
