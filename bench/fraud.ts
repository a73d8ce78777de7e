// npm run bench:fraud — the Fraud Detection Handbook protocol on the shared simulated data:
// four folds (training weeks from 2018-06-20, 06-27, 07-04, 07-11), 7-day label delay, 7-day
// test week; AUC ROC, average precision, card precision@100 per day; beside the handbook's
// published baselines. Then throughput: authorisations scored per second in one process.
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  defaultNegativeRate,
  FEATURE_COUNT,
  fit,
  type LabelledAuthorisation,
  readFraudSimCsv,
  Screener,
  ScreeningModel,
  type ScreeningModelJson,
  sampleTrainingMatrix,
  scoreLogistic,
  trainLogistic,
} from '../src/screening/index.ts';
import { type FeedbackResult, simulateFeedback } from './fraud/feedback.ts';
import {
  type BenchTable,
  delayBound,
  evaluate,
  type Fold,
  type FoldMetrics,
  folds,
  loadTable,
  readScenarios,
  testRows,
  trainingRows,
  VALIDATION_FOLD_STARTS,
} from './fraud/protocol.ts';
import { type DemoBankResult, demoBankBench, printDemoBanks } from './fraud-demo.ts';
import { fraudSimCsv } from './lib/shared-data.ts';

const DATA = fraudSimCsv();
const RESULTS = join(dirname(fileURLToPath(import.meta.url)), 'results', 'fraud.json');
/** First day used as a training target in the "all known history" variant: 2018-05-01. */
const HISTORY_FROM_DAY = 30;

const BASELINES: Record<keyof FoldMetrics, { name: string; value: number }[]> = {
  aucRoc: [
    { name: 'handbook logistic regression', value: 0.867 },
    { name: 'handbook random forest (100 trees, depth 20)', value: 0.88 },
    { name: 'handbook XGBoost (100 trees, lr 0.3, depth 3)', value: 0.887 },
  ],
  averagePrecision: [
    { name: 'handbook logistic regression', value: 0.612 },
    { name: 'handbook random forest (100 trees, depth 20)', value: 0.694 },
    { name: 'handbook XGBoost (100 trees, lr 0.3, depth 3)', value: 0.706 },
    { name: 'handbook best published (later test weeks)', value: 0.687 },
  ],
  cardPrecisionAt100: [
    { name: 'handbook logistic regression', value: 0.278 },
    { name: 'handbook random forest (100 trees, depth 20)', value: 0.289 },
    { name: 'handbook XGBoost (100 trees, lr 0.3, depth 3)', value: 0.286 },
    { name: 'handbook best published (later test weeks)', value: 0.305 },
  ],
};
/**
 * How the configuration was chosen: `node bench/fraud/select.ts` on the validation folds
 * alone (test weeks 06-06..06-26), mean over the three. Rule fixed before looking at the
 * reported folds: keep the current configuration unless a candidate beats its validation
 * CP@100 by more than one card-day per fold (1 / 700 ≈ 0.0014) — smaller gaps are noise.
 */
const SELECTION = {
  chosen:
    'GBDT 300 trees, learning rate 0.05, 15 leaves, ≥200 rows/leaf, λ 30, 80 % feature/row bagging; trained on all labelled history from 2018-05-01; 150k genuine rows sampled (reweighted)',
  rule: 'highest mean validation CP@100; the current configuration is kept unless a candidate beats it by more than 0.0014 (one card-day per fold)',
  candidates: [
    { name: 'chosen (above)', aucRoc: 0.887, averagePrecision: 0.7569, cardPrecisionAt100: 0.3276 },
    { name: '600 trees, lr 0.03', aucRoc: 0.8861, averagePrecision: 0.7566, cardPrecisionAt100: 0.3271 },
    { name: '500 trees, lr 0.05', aucRoc: 0.8861, averagePrecision: 0.7562, cardPrecisionAt100: 0.3271 },
    { name: '7 leaves', aucRoc: 0.8852, averagePrecision: 0.7557, cardPrecisionAt100: 0.3281 },
    { name: 'feature fraction 0.5', aucRoc: 0.8853, averagePrecision: 0.7559, cardPrecisionAt100: 0.3281 },
  ],
};

const METRIC_LABEL: Record<keyof FoldMetrics, string> = {
  aucRoc: 'AUC ROC',
  averagePrecision: 'average precision',
  cardPrecisionAt100: 'card precision@100',
};

interface Variant {
  readonly id: string;
  readonly description: string;
  readonly fromDay: (fold: Fold) => number;
  /** Logistic regression on the same features instead of trees. */
  readonly logistic?: boolean;
}

const VARIANTS: Variant[] = [
  {
    id: 'history',
    description:
      'trained on every labelled transaction from 2018-05-01 to the end of the training week (all labels a bank holds at test start; the 30 days before only build feature state)',
    fromDay: () => HISTORY_FROM_DAY,
  },
  {
    id: 'week',
    description: 'trained on the handbook training week only (7 days), as the baselines were',
    fromDay: (fold) => fold.trainStartDay,
  },
  {
    id: 'history-lr',
    description:
      'logistic regression on the same features and rows as "history": what the features alone give',
    fromDay: () => HISTORY_FROM_DAY,
    logistic: true,
  },
];

const machine = `${cpus().length} × ${cpus()[0]?.model.trim() ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
const log = (line: string) => process.stdout.write(`${line}\n`);
const f3 = (v: number) => v.toFixed(3);

async function main(): Promise<void> {
  log(`Proviso fraud screening — handbook protocol on ${DATA}`);
  log(`machine: ${machine}\n`);
  const loadStarted = performance.now();
  const table = await loadTable(DATA, (n) =>
    process.stdout.write(`\rfeaturising the stream: ${n.toLocaleString('en')} rows`),
  );
  const loadSeconds = (performance.now() - loadStarted) / 1000;
  log(
    `\rfeaturised ${table.rows.toLocaleString('en')} rows in one streaming pass (labels visible after 7 days) in ${loadSeconds.toFixed(1)} s\n`,
  );

  const scenarios = readScenarios(DATA, table.rows);
  log('Model selection (validation folds, test weeks 06-06..06-26, before any reported test week):');
  for (const c of SELECTION.candidates)
    log(
      `  ${c.name.padEnd(22)} AUC ${f3(c.aucRoc)}  AP ${f3(c.averagePrecision)}  CP@100 ${f3(c.cardPrecisionAt100)}`,
    );
  log(`  rule: ${SELECTION.rule}`);
  log(`  chosen: ${SELECTION.chosen}\n`);
  const validation: FoldMetrics[] = [];
  const validationBound: number[] = [];
  for (const fold of folds(VALIDATION_FOLD_STARTS)) {
    const rows = trainingRows(table, fold, HISTORY_FROM_DAY);
    const model = fit(table, rows, { negativeRate: defaultNegativeRate(table, rows) });
    const metrics = scoreFold(table, fold, model);
    const bound = delayBound(table, testRows(table, fold), scenarios);
    validation.push(metrics);
    validationBound.push(bound);
    log(
      `[validation] fold ${fold.name}: ${model.training.rows.toLocaleString('en')} rows in ${model.training.seconds.toFixed(1)} s` +
        ` → AUC ${f3(metrics.aucRoc)}  AP ${f3(metrics.averagePrecision)}  CP@100 ${f3(metrics.cardPrecisionAt100)}  (bound for any model ${f3(bound)})`,
    );
  }
  const reportedBound = folds().map((fold) => delayBound(table, testRows(table, fold), scenarios));
  log('');

  const perVariant = new Map<string, FoldMetrics[]>();
  const trainSeconds = new Map<string, number[]>();
  let lastModel: ScreeningModelJson | undefined;
  const historyModels: ScreeningModel[] = [];
  for (const variant of VARIANTS) {
    perVariant.set(variant.id, []);
    trainSeconds.set(variant.id, []);
    for (const fold of folds()) {
      const rows = trainingRows(table, fold, variant.fromDay(fold));
      if (variant.logistic) {
        const started = performance.now();
        const sample = sampleTrainingMatrix(table, rows, defaultNegativeRate(table, rows), 8);
        const lr = trainLogistic(sample);
        const test = testRows(table, fold);
        const metrics = evaluate(
          table,
          test,
          Float64Array.from(test, (row) => scoreLogistic(lr, table.x, row * FEATURE_COUNT)),
        );
        const seconds = (performance.now() - started) / 1000;
        perVariant.get(variant.id)!.push(metrics);
        trainSeconds.get(variant.id)!.push(seconds);
        log(
          `[${variant.id}] fold ${fold.name}: logistic regression on ${sample.rows.toLocaleString('en')} rows in ${seconds.toFixed(1)} s` +
            ` → AUC ${f3(metrics.aucRoc)}  AP ${f3(metrics.averagePrecision)}  CP@100 ${f3(metrics.cardPrecisionAt100)}`,
        );
        continue;
      }
      const model = fit(table, rows, {
        negativeRate: defaultNegativeRate(table, rows),
        progress: (done, total) =>
          process.stdout.write(`\r[${variant.id}] fold ${fold.name}: tree ${done}/${total}`),
      });
      const metrics = scoreFold(table, fold, model);
      perVariant.get(variant.id)!.push(metrics);
      trainSeconds.get(variant.id)!.push(model.training.seconds);
      if (variant.id === 'history') {
        lastModel = model;
        historyModels.push(new ScreeningModel(model));
      }
      const t = model.training;
      log(
        `\r[${variant.id}] fold ${fold.name}: trained on ${t.rows.toLocaleString('en')} rows (${t.frauds} frauds, ` +
          `genuine sampled at ${t.negativeRate.toFixed(2)}) ${t.from.slice(0, 10)}..${t.to.slice(0, 10)} in ${t.seconds.toFixed(1)} s` +
          ` → AUC ${f3(metrics.aucRoc)}  AP ${f3(metrics.averagePrecision)}  CP@100 ${f3(metrics.cardPrecisionAt100)}`,
      );
    }
  }

  const mean = (list: FoldMetrics[], key: keyof FoldMetrics) =>
    list.reduce((sum, m) => sum + m[key], 0) / list.length;
  log(
    '\nMean over the four folds (test weeks 07-04, 07-11, 07-18, 07-25; known-compromised cards dropped):\n',
  );
  const header = [
    'metric',
    'Proviso (history)',
    'Proviso (week)',
    'Proviso LR',
    'LR',
    'RF',
    'XGB',
    'handbook best',
  ];
  const lines = (Object.keys(METRIC_LABEL) as (keyof FoldMetrics)[]).map((key) => {
    const byName = (prefix: string) => BASELINES[key].find((b) => b.name.includes(prefix))?.value;
    const cell = (v: number | undefined) => (v === undefined ? '—' : f3(v));
    return [
      METRIC_LABEL[key],
      f3(mean(perVariant.get('history')!, key)),
      f3(mean(perVariant.get('week')!, key)),
      f3(mean(perVariant.get('history-lr')!, key)),
      cell(byName('logistic')),
      cell(byName('random forest')),
      cell(byName('XGBoost')),
      cell(byName('best')),
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const row = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  log(
    '(LR / RF / XGB / handbook best: published handbook figures, not rerun here; Proviso columns measured now)\n',
  );
  log(row(header));
  log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const line of lines) log(row(line));
  for (const variant of VARIANTS) log(`\n  ${variant.id}: ${variant.description}`);
  const history = perVariant.get('history')!;
  log('\nChosen configuration, validation folds vs reported folds (Proviso history):\n');
  const foldLine = (label: string, list: FoldMetrics[], bounds: number[]) => {
    for (const [i, m] of list.entries())
      log(
        `  ${label} ${(label === 'validation' ? VALIDATION_FOLD_STARTS : folds().map((f) => f.name))[i]}  AUC ${f3(m.aucRoc)}  AP ${f3(m.averagePrecision)}  CP@100 ${f3(m.cardPrecisionAt100)}  bound ${f3(bounds[i]!)}`,
      );
    log(
      `  ${label} mean        AUC ${f3(mean(list, 'aucRoc'))}  AP ${f3(mean(list, 'averagePrecision'))}  CP@100 ${f3(mean(list, 'cardPrecisionAt100'))}  bound ${f3(bounds.reduce((a, b) => a + b, 0) / bounds.length)}`,
    );
  };
  foldLine('validation', validation, validationBound);
  foldLine('reported  ', history, reportedBound);
  log(
    "  bound: the CP@100 an oracle can expect that ranks first every fraud a model could know under the 7-day label delay (a superset: all amount frauds, all leaked-card frauds, every compromised-terminal fraud once that terminal has a labelled fraud) and fills the rest of the top 100 with the card-days holding the most transactions that day — a compromised terminal's first week is drawn at random and changes no transaction, so nothing else can find those. No model honouring the delay can expect more. Analysis only, from TX_FRAUD_SCENARIO.",
  );
  log('  No test-week label is used in training, features or any choice of parameter.');

  const events: LabelledAuthorisation[] = [];
  for await (const row of readFraudSimCsv(DATA)) events.push(row);
  const feedback = feedbackTable(events, table, historyModels, reportedBound);

  const demoBanks = demoBankBench(Number(process.env['FRAUD_DEMO_CUSTOMERS'] ?? 1000));
  printDemoBanks(demoBanks);

  const throughput = await measureThroughput(new ScreeningModel(lastModel!), table, events);
  log(
    `\nThroughput (one process, one core): ${Math.round(throughput.perSecond).toLocaleString('en')} authorisations/s ` +
      `(features from streaming state + ${lastModel!.gbdt.trees.length}-tree model, ${throughput.rows.toLocaleString('en')} rows in ${throughput.seconds.toFixed(1)} s); ` +
      `the trees alone: ${Math.round(throughput.treesPerSecond).toLocaleString('en')} feature vectors/s (goal: ≥ 50,000 authorisations/s end to end)`,
  );
  log(
    `Streaming check: the live scorer reproduced the benchmark's scores for the last test week on ` +
      `${throughput.checked.toLocaleString('en')} rows (max difference ${throughput.maxDifference}).`,
  );

  writeResults(perVariant, trainSeconds, throughput, loadSeconds, table.rows, {
    validation,
    validationBound,
    reportedBound,
    feedback,
    demoBanks,
  });
  log(`\nresults → ${RESULTS}`);
}

function scoreFold(table: BenchTable, fold: Fold, json: ScreeningModelJson): FoldMetrics {
  const model = new ScreeningModel(json);
  const rows = testRows(table, fold);
  const scores = Float64Array.from(rows, (row) => model.score(table.x, row * FEATURE_COUNT));
  return evaluate(table, rows, scores);
}

interface Throughput {
  readonly treesPerSecond: number;
  readonly rows: number;
  readonly seconds: number;
  readonly perSecond: number;
  readonly checked: number;
  readonly maxDifference: number;
}

/**
 * Replays the whole file through the live Screener (state, labels after the delay, model) and
 * times it, excluding CSV reading. Its scores on the last fold's test week must equal the
 * ones the benchmark computed from its feature table: one code path, offline and online.
 */
async function measureThroughput(
  model: ScreeningModel,
  table: BenchTable,
  events: readonly LabelledAuthorisation[],
): Promise<Throughput> {
  const lastFold = folds().at(-1)!;
  const check = new Set(testRows(table, lastFold));
  const screener = new Screener({ model });
  let checked = 0;
  let maxDifference = 0;
  const started = performance.now();
  for (let i = 0; i < events.length; i++) {
    const { event, isFraud } = events[i]!;
    const score = screener.score(event);
    if (check.has(i)) {
      checked++;
      maxDifference = Math.max(maxDifference, Math.abs(score - model.score(table.x, i * FEATURE_COUNT)));
    }
    screener.recordLabel(event.bankId, event.transactionId, isFraud === true, table.time[i]!);
    if (i % 100_000 === 0) process.stdout.write(`\rthroughput pass: ${i.toLocaleString('en')} rows`);
  }
  const seconds = (performance.now() - started) / 1000;
  // The trees alone on the same rows' feature vectors (already computed).
  const treesStarted = performance.now();
  let sink = 0;
  for (let i = 0; i < table.rows; i++) sink += model.score(table.x, i * FEATURE_COUNT);
  const treesSeconds = (performance.now() - treesStarted) / 1000;
  if (Number.isNaN(sink)) throw new Error('NaN score');
  return {
    rows: events.length,
    seconds,
    perSecond: events.length / seconds,
    treesPerSecond: table.rows / treesSeconds,
    checked,
    maxDifference,
  };
}

/** Feedback simulation (bench/fraud/feedback.ts): delay only, 50 % and 80 % same-day answers. */
function feedbackTable(
  events: readonly LabelledAuthorisation[],
  table: BenchTable,
  models: readonly ScreeningModel[],
  bound: readonly number[],
): FeedbackResult[] {
  log(
    "\nThe alert loop day by day on the four reported folds: the day's alerts (score ≥ the previous day's 100th card) go to customers;",
  );
  log(
    'a share answer within the hour, truthfully, and their answers are labels at once; every label also arrives after 7 days.',
  );
  log('Same models as "Proviso (history)" above (trained on delay-only features), same test rows.\n');
  const results: FeedbackResult[] = [];
  log(
    '| labels | AUC | AP | CP@100 | delay bound | alerts | false alarms per 1,000 genuine | answered | pass |',
  );
  log('| --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  const meanBound = bound.reduce((a, b) => a + b, 0) / bound.length;
  for (const rate of [0, 0.5, 0.8]) {
    const r = simulateFeedback(events, table, folds(), models, rate);
    results.push(r);
    const m = (key: keyof FoldMetrics) => r.perFold.reduce((s, f) => s + f[key], 0) / r.perFold.length;
    log(
      `| ${rate === 0 ? 'delay only' : `${rate * 100} % answer within the hour`} | ${f3(m('aucRoc'))} | ${f3(m('averagePrecision'))} | ${f3(m('cardPrecisionAt100'))} (${r.perFold.map((f) => f3(f.cardPrecisionAt100)).join(' / ')}) | ${f3(meanBound)} | ${r.alerts} | ${r.falseAlarmsPer1000.toFixed(1)} | ${r.answered} | ${r.seconds.toFixed(0)} s |`,
    );
  }
  return results;
}

function writeResults(
  perVariant: Map<string, FoldMetrics[]>,
  trainSeconds: Map<string, number[]>,
  throughput: Throughput,
  loadSeconds: number,
  rows: number,
  selection: {
    validation: FoldMetrics[];
    validationBound: number[];
    reportedBound: number[];
    feedback: FeedbackResult[];
    demoBanks: DemoBankResult[];
  },
): void {
  const date = new Date().toISOString();
  const results: object[] = [];
  for (const r of selection.demoBanks)
    for (const [labels, f] of [
      ['delay only', r.month.delayOnly],
      ['80 % answer within the hour', r.month.replies80],
    ] as const)
      results.push({
        benchmark: `demo bank ${r.bank} (${r.customers} customers), model trained on its 90 days, the next month replayed, ${labels}`,
        metric: 'false alarms per 1,000 genuine payments',
        value: f.falseAlarmsPer1000,
        unit: 'ratio',
        perCustomerMonth: f.falseAlarmsPerCustomerMonth,
        caught: f.caught,
        threshold: r.threshold,
        trainingSeconds: r.trainingSeconds,
        machine,
        date,
      });
  for (const r of selection.feedback) {
    const benchmark = `fraud-sim alert loop, 4 reported folds, ${r.replyRate === 0 ? 'labels after the 7-day delay only' : `${r.replyRate * 100} % of alerted customers answer within the hour`}`;
    for (const key of Object.keys(METRIC_LABEL) as (keyof FoldMetrics)[])
      results.push({
        benchmark,
        metric: METRIC_LABEL[key],
        value: r.perFold.reduce((sum, m) => sum + m[key], 0) / r.perFold.length,
        perFold: r.perFold.map((m) => m[key]),
        unit: 'ratio',
        machine,
        date,
      });
    results.push({
      benchmark,
      metric: 'false alarms per 1,000 genuine',
      value: r.falseAlarmsPer1000,
      unit: 'ratio',
      machine,
      date,
    });
  }
  const validationBenchmark =
    'fraud-sim handbook protocol, 3 validation folds (test weeks 06-06..06-26), Proviso GBDT (history), chosen configuration';
  for (const key of Object.keys(METRIC_LABEL) as (keyof FoldMetrics)[]) {
    results.push({
      benchmark: validationBenchmark,
      metric: METRIC_LABEL[key],
      value: selection.validation.reduce((sum, m) => sum + m[key], 0) / selection.validation.length,
      unit: 'ratio',
      configuration: SELECTION.chosen,
      selectionRule: SELECTION.rule,
      candidates: SELECTION.candidates,
      machine,
      date,
    });
    selection.validation.forEach((m, i) => {
      results.push({
        benchmark: `${validationBenchmark}, fold ${VALIDATION_FOLD_STARTS[i]}`,
        metric: METRIC_LABEL[key],
        value: m[key],
        unit: 'ratio',
        machine,
        date,
      });
    });
  }
  const bounds: [string, number[]][] = [
    ['3 validation folds', selection.validationBound],
    ['4 reported folds', selection.reportedBound],
  ];
  for (const [name, list] of bounds) {
    results.push({
      benchmark: `fraud-sim handbook protocol, ${name}, upper bound for any model honouring the 7-day label delay (analysis)`,
      metric: 'card precision@100',
      value: list.reduce((a, b) => a + b, 0) / list.length,
      perFold: list,
      unit: 'ratio',
      machine,
      date,
    });
  }
  for (const variant of VARIANTS) {
    const folded = perVariant.get(variant.id)!;
    const benchmark = `fraud-sim handbook protocol, 4 folds, Proviso ${variant.logistic ? 'logistic regression' : 'GBDT'} (${variant.id})`;
    for (const key of Object.keys(METRIC_LABEL) as (keyof FoldMetrics)[]) {
      const value = folded.reduce((sum, m) => sum + m[key], 0) / folded.length;
      for (const baseline of BASELINES[key]) {
        results.push({
          benchmark,
          metric: METRIC_LABEL[key],
          value,
          unit: 'ratio',
          baseline,
          ratio: value / baseline.value,
          machine,
          date,
        });
      }
      folded.forEach((m, i) => {
        results.push({
          benchmark: `${benchmark}, fold ${folds()[i]!.name}`,
          metric: METRIC_LABEL[key],
          value: m[key],
          unit: 'ratio',
          machine,
          date,
        });
      });
    }
    const seconds = trainSeconds.get(variant.id)!;
    results.push({
      benchmark,
      metric: 'training time per fold (mean)',
      value: seconds.reduce((a, b) => a + b, 0) / seconds.length,
      unit: 's',
      machine,
      date,
    });
  }
  results.push({
    benchmark: 'fraud-sim GBDT alone (feature vectors already computed)',
    metric: 'feature vectors scored per second (one thread)',
    value: throughput.treesPerSecond,
    unit: 'rows/s',
    machine,
    date,
  });
  results.push({
    benchmark: 'fraud-sim streaming scorer',
    metric: 'authorisations scored per second (one process)',
    value: throughput.perSecond,
    unit: 'tx/s',
    machine,
    date,
  });
  results.push({
    benchmark: 'fraud-sim streaming features',
    metric: `featurise ${rows} rows (one pass)`,
    value: loadSeconds,
    unit: 's',
    machine,
    date,
  });
  mkdirSync(dirname(RESULTS), { recursive: true });
  writeFileSync(RESULTS, `${JSON.stringify(results, null, 2)}\n`);
}

await main();
