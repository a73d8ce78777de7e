// The fraud benchmark's throughput pass (bench/fraud.ts): the whole file through the live
// Screener, timed, with its scores checked against the benchmark's on the last test week; then
// the trees alone on the feature vectors already computed.
import {
  FEATURE_COUNT,
  type LabelledAuthorisation,
  Screener,
  type ScreeningModel,
} from '../../src/screening/index.ts';
import { type BenchTable, folds, testRows } from './protocol.ts';

export interface Throughput {
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
export async function measureThroughput(
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
