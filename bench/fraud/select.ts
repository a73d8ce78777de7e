// Model selection on validation folds that end before the first reported test week.
// node bench/fraud/select.ts '<json list of {name, params, negatives, fromDay}>'
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { FEATURE_COUNT, fit } from '../../src/screening/index.ts';
import { fraudSimCsv } from '../lib/shared-data.ts';
import { type BenchTable, evaluate, type Fold, loadTable, testRows, trainingRows } from './protocol.ts';

const DATA = fraudSimCsv();
const CACHE = process.env['TABLE_CACHE'] ?? '/tmp/fx/table.json';
const DAY0 = Date.parse('2018-04-01T00:00:00Z');
const mk = (start: string): Fold => {
  const d = Math.round((Date.parse(`${start}T00:00:00Z`) - DAY0) / 86_400_000);
  return { name: start, trainStartDay: d, testStartDay: d + 14 };
};
const which = process.env['FOLDS'] ?? 'validation';
const FOLDS =
  which === 'reported'
    ? ['2018-06-20', '2018-06-27', '2018-07-04', '2018-07-11'].map(mk)
    : ['2018-05-23', '2018-05-30', '2018-06-06'].map(mk);

async function table(): Promise<BenchTable> {
  if (existsSync(`${CACHE}.x`)) {
    const meta = JSON.parse(readFileSync(CACHE, 'utf8')) as { rows: number; features: number };
    if (meta.features === FEATURE_COUNT) {
      const buf = (p: string) => {
        const b = readFileSync(p);
        return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength);
      };
      return {
        rows: meta.rows,
        x: new Float64Array(buf(`${CACHE}.x`)),
        time: new Float64Array(buf(`${CACHE}.time`)),
        label: new Uint8Array(buf(`${CACHE}.label`)),
        card: new Int32Array(buf(`${CACHE}.card`)),
        day: new Int32Array(buf(`${CACHE}.day`)),
      };
    }
  }
  const t = await loadTable(DATA, () => {});
  writeFileSync(`${CACHE}.x`, t.x);
  writeFileSync(`${CACHE}.time`, t.time);
  writeFileSync(`${CACHE}.label`, t.label);
  writeFileSync(`${CACHE}.card`, t.card);
  writeFileSync(`${CACHE}.day`, t.day);
  writeFileSync(CACHE, JSON.stringify({ rows: t.rows, features: FEATURE_COUNT }));
  return t;
}

interface Config {
  name: string;
  params?: Record<string, number>;
  negatives?: number;
  fromDay?: number;
  fraudWeight?: number;
}

const t = await table();
const configs = JSON.parse(process.argv[2] ?? '[{"name":"default"}]') as Config[];
for (const c of configs) {
  const res: number[][] = [];
  let secs = 0;
  for (const fold of FOLDS) {
    const rows = trainingRows(t, fold, c.fromDay ?? 30);
    let genuine = 0;
    for (const r of rows) if (t.label[r] === 0) genuine++;
    const model = fit(t, rows, {
      negativeRate: Math.min(1, (c.negatives ?? 150_000) / genuine),
      params: c.params,
    });
    secs += model.training.seconds;
    const { ScreeningModel } = await import('../../src/screening/index.ts');
    const m = new ScreeningModel(model);
    const test = testRows(t, fold);
    const scores = Float64Array.from(test, (row) => m.score(t.x, row * FEATURE_COUNT));
    const e = evaluate(t, test, scores);
    res.push([e.aucRoc, e.averagePrecision, e.cardPrecisionAt100]);
  }
  const mean = [0, 1, 2].map((k) => res.reduce((s, r) => s + r[k]!, 0) / res.length);
  const f = (v: number) => v.toFixed(4);
  console.log(
    `${c.name.padEnd(28)} AUC ${f(mean[0]!)} AP ${f(mean[1]!)} CP ${f(mean[2]!)} | CP folds ${res.map((r) => f(r[2]!)).join(' ')} | AP folds ${res.map((r) => f(r[1]!)).join(' ')} | ${(secs / FOLDS.length).toFixed(1)} s/fold`,
  );
}
