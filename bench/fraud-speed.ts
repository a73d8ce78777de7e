// Scoring speed in one thread, end to end and the trees alone: every row of the shared data
// set through the live Screener (features from streaming state, the model, labels recorded
// after the delay), then the same rows' feature vectors through the trees only. Run on its
// own (`node bench/fraud-speed.ts`); `npm run bench:fraud` prints the same two figures with
// the fold model. Goal: ≥ 50,000 authorisations/s end to end.
import {
  FEATURE_COUNT,
  FeatureEngine,
  type LabelledAuthorisation,
  loadScreeningModel,
  readFraudSimCsv,
  Screener,
} from '../src/screening/index.ts';
import { fraudSimCsv } from './lib/shared-data.ts';

const DATA = fraudSimCsv();

const events: LabelledAuthorisation[] = [];
for await (const row of readFraudSimCsv(DATA)) events.push(row);
const times = Float64Array.from(events, (row) => Date.parse(row.event.time));
const model = loadScreeningModel();

// End to end, as the service computes a decision's score.
const screener = new Screener({ model });
let started = performance.now();
let sum = 0;
for (let i = 0; i < events.length; i++) {
  const { event, isFraud } = events[i]!;
  sum += screener.score(event);
  screener.recordLabel(event.bankId, event.transactionId, isFraud === true, times[i]!);
}
const endToEnd = (performance.now() - started) / 1000;

// The feature step alone (a fresh engine, same stream), keeping the vectors for the trees.
const engine = new FeatureEngine({ labelDelayDays: model.labelDelayDays });
const x = new Float64Array(events.length * FEATURE_COUNT);
started = performance.now();
for (let i = 0; i < events.length; i++) {
  const { event, isFraud } = events[i]!;
  engine.process(event, x.subarray(i * FEATURE_COUNT, (i + 1) * FEATURE_COUNT));
  engine.recordLabel(event.bankId, event.transactionId, isFraud === true, times[i]!);
}
const featuresOnly = (performance.now() - started) / 1000;

started = performance.now();
for (let i = 0; i < events.length; i++) sum += model.score(x, i * FEATURE_COUNT);
const treesOnly = (performance.now() - started) / 1000;
if (Number.isNaN(sum)) throw new Error('NaN score');

const perSecond = (seconds: number) => Math.round(events.length / seconds).toLocaleString('en');
const micro = (seconds: number) => ((seconds / events.length) * 1e6).toFixed(1);
console.log(
  `Scoring speed, one thread, ${events.length.toLocaleString('en')} authorisations, ${model.json.gbdt.trees.length}-tree shipped model:`,
);
console.log(
  `  end to end (features + trees + label bookkeeping): ${perSecond(endToEnd)}/s (${micro(endToEnd)} µs each)`,
);
console.log(
  `  feature step alone: ${micro(featuresOnly)} µs each; trees alone: ${perSecond(treesOnly)}/s (${micro(treesOnly)} µs each)`,
);
console.log('  goal: ≥ 50,000 authorisations/s end to end');
