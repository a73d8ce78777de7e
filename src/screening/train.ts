// Offline training from labelled history. Features come from the same streaming engine as
// scoring, fed in time order with each label visible only `labelDelayDays` after its
// transaction — so a training row sees exactly what it would have seen live.
import { DAY_MS, FEATURE_COUNT, FEATURE_NAMES, FeatureEngine } from './features.ts';
import type { LabelledAuthorisation } from './fraud-sim.ts';
import {
  DEFAULT_GBDT_PARAMS,
  type GbdtParams,
  type Progress,
  seededRandom,
  type TrainingMatrix,
  trainGbdt,
} from './gbdt.ts';
import { MODEL_FORMAT, type ScreeningModelJson } from './model.ts';

export interface FitOptions {
  readonly labelDelayDays?: number;
  /** Share of genuine rows kept; they are reweighted so scores stay probabilities. */
  readonly negativeRate?: number;
  readonly params?: Partial<GbdtParams>;
  readonly progress?: Progress;
}

export interface TrainOptions extends FitOptions {
  /** Rows in the first days only build state (a card needs history); default 30. */
  readonly warmupDays?: number;
}

/** Rows already featurised: what `fit` needs, and what the benchmark holds in memory. */
export interface FeatureTable {
  /** Row-major features, rows × FEATURE_COUNT. */
  readonly x: Float64Array;
  /** Epoch ms per row. */
  readonly time: Float64Array;
  /** 1 fraud, 0 genuine, 255 unknown. */
  readonly label: Uint8Array;
  readonly rows: number;
}

export interface SampledMatrix extends TrainingMatrix {
  readonly frauds: number;
  /** Epoch ms of the first and last row kept. */
  readonly from: number;
  readonly to: number;
}

/** Keeps every fraud and a seeded share of genuine rows, weighted 1 / share. */
export function sampleTrainingMatrix(
  table: FeatureTable,
  rowsToUse: ArrayLike<number>,
  negativeRate: number,
  seed: number,
): SampledMatrix {
  const random = seededRandom(seed);
  const kept: number[] = [];
  for (let i = 0; i < rowsToUse.length; i++) {
    const row = rowsToUse[i]!;
    const label = table.label[row];
    if (label === 1 || (label === 0 && (negativeRate >= 1 || random() < negativeRate))) kept.push(row);
  }
  const x = new Float64Array(kept.length * FEATURE_COUNT);
  const y = new Uint8Array(kept.length);
  const weight = new Float64Array(kept.length);
  let frauds = 0;
  let from = Number.POSITIVE_INFINITY;
  let to = Number.NEGATIVE_INFINITY;
  kept.forEach((row, i) => {
    x.set(table.x.subarray(row * FEATURE_COUNT, (row + 1) * FEATURE_COUNT), i * FEATURE_COUNT);
    y[i] = table.label[row]!;
    weight[i] = y[i] === 1 ? 1 : 1 / negativeRate;
    frauds += y[i]!;
    from = Math.min(from, table.time[row]!);
    to = Math.max(to, table.time[row]!);
  });
  return { x, rows: kept.length, features: FEATURE_COUNT, y, weight, frauds, from, to };
}

/** Trains on the listed rows of a feature table (all labelled). */
export function fit(
  table: FeatureTable,
  rowsToUse: ArrayLike<number>,
  options: FitOptions = {},
): ScreeningModelJson {
  const started = performance.now();
  const negativeRate = options.negativeRate ?? 1;
  const params = { ...DEFAULT_GBDT_PARAMS, ...options.params };
  const sample = sampleTrainingMatrix(table, rowsToUse, negativeRate, params.seed + 7);
  const gbdt = trainGbdt(sample, params, options.progress);
  return {
    format: MODEL_FORMAT,
    version: 1,
    features: FEATURE_NAMES,
    labelDelayDays: options.labelDelayDays ?? 7,
    training: {
      from: new Date(sample.from).toISOString(),
      to: new Date(sample.to).toISOString(),
      rows: sample.rows,
      frauds: sample.frauds,
      negativeRate,
      seconds: (performance.now() - started) / 1000,
    },
    gbdt,
  };
}

/**
 * Streams labelled rows (time order) through the feature engine, each label recorded at its
 * transaction time and so visible only after the delay.
 */
export async function featurise(
  rows: AsyncIterable<LabelledAuthorisation> | Iterable<LabelledAuthorisation>,
  options: { labelDelayDays?: number; onRow?: (done: number) => void } = {},
): Promise<FeatureTable> {
  const engine = new FeatureEngine({ labelDelayDays: options.labelDelayDays ?? 7 });
  let capacity = 1 << 16;
  let x = new Float64Array(capacity * FEATURE_COUNT);
  let time = new Float64Array(capacity);
  let label = new Uint8Array(capacity);
  let n = 0;
  for await (const row of rows) {
    if (n === capacity) {
      capacity *= 2;
      x = grow(x, capacity * FEATURE_COUNT);
      time = grow(time, capacity);
      label = grow(label, capacity);
    }
    engine.process(row.event, x.subarray(n * FEATURE_COUNT, (n + 1) * FEATURE_COUNT));
    const t = Date.parse(row.event.time);
    time[n] = t;
    label[n] = row.isFraud === undefined ? 255 : row.isFraud ? 1 : 0;
    if (row.isFraud !== undefined)
      engine.recordLabel(row.event.bankId, row.event.transactionId, row.isFraud, t);
    n++;
    if (n % 100_000 === 0) options.onRow?.(n);
  }
  return {
    x: x.subarray(0, n * FEATURE_COUNT),
    time: time.subarray(0, n),
    label: label.subarray(0, n),
    rows: n,
  };
}

/** `proviso train`: all labelled rows after the warm-up become training targets. */
export async function train(
  rows: AsyncIterable<LabelledAuthorisation> | Iterable<LabelledAuthorisation>,
  options: TrainOptions = {},
): Promise<ScreeningModelJson> {
  const table = await featurise(rows, options);
  if (table.rows === 0) throw new Error('no rows to train on');
  const start = table.time[0]! + (options.warmupDays ?? 30) * DAY_MS;
  const use: number[] = [];
  for (let row = 0; row < table.rows; row++)
    if (table.time[row]! >= start && table.label[row] !== 255) use.push(row);
  return fit(table, use, {
    ...options,
    negativeRate: options.negativeRate ?? defaultNegativeRate(table, use),
  });
}

/**
 * Keep about 150k genuine rows (all frauds are kept): fraud is under 1 % of traffic, the
 * trees learn as well from a reweighted sample, and training stays in seconds.
 */
export function defaultNegativeRate(table: FeatureTable, rows: ArrayLike<number>): number {
  let genuine = 0;
  for (let i = 0; i < rows.length; i++) if (table.label[rows[i]!] === 0) genuine++;
  return Math.min(1, 150_000 / Math.max(genuine, 1));
}

function grow<T extends Float64Array | Uint8Array>(array: T, length: number): T {
  const bigger = new (array.constructor as new (n: number) => T)(length);
  bigger.set(array);
  return bigger;
}
