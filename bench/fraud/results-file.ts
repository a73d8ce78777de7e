// Writes bench/results/fraud.json from a fraud benchmark run (bench/fraud.ts): demo banks,
// the alert loop, the validation folds, the delay bound, every variant beside each handbook
// baseline, throughput and featurising time.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DemoBankResult } from '../fraud-demo.ts';
import type { FeedbackResult } from './feedback.ts';
import { type FoldMetrics, folds, VALIDATION_FOLD_STARTS } from './protocol.ts';
import { BASELINES, METRIC_LABEL, machine, SELECTION, VARIANTS } from './setup.ts';
import type { Throughput } from './throughput.ts';

export const RESULTS = join(dirname(fileURLToPath(import.meta.url)), '..', 'results', 'fraud.json');

export function writeResults(
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
