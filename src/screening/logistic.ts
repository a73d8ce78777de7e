// Logistic regression on the same features: the benchmark's comparison point. It shows how
// much of the gain comes from the features (shared) and how much from the trees (which
// capture interactions such as "confirmed fraud run AND run younger than N days").
import type { TrainingMatrix } from './gbdt.ts';

export interface LogisticJson {
  readonly kind: 'logistic';
  readonly mean: number[];
  readonly scale: number[];
  readonly weights: number[];
  readonly bias: number;
}

/** Full-batch Adam on standardised, clipped features with a small L2 penalty. */
export function trainLogistic(data: TrainingMatrix, epochs = 300, l2 = 1e-4): LogisticJson {
  const { x, rows, features: F, y, weight } = data;
  const mean = new Array<number>(F).fill(0);
  const scale = new Array<number>(F).fill(0);
  let totalWeight = 0;
  for (let r = 0; r < rows; r++) totalWeight += weight[r]!;
  for (let f = 0; f < F; f++) {
    let s = 0;
    let sq = 0;
    for (let r = 0; r < rows; r++) {
      const v = x[r * F + f]!;
      s += v * weight[r]!;
      sq += v * v * weight[r]!;
    }
    mean[f] = s / totalWeight;
    scale[f] = Math.sqrt(Math.max(sq / totalWeight - mean[f]! ** 2, 0)) || 1;
  }
  const z = new Float64Array(rows * F);
  for (let r = 0; r < rows; r++) {
    for (let f = 0; f < F; f++) z[r * F + f] = clip((x[r * F + f]! - mean[f]!) / scale[f]!);
  }
  const w = new Float64Array(F + 1);
  const m = new Float64Array(F + 1);
  const v = new Float64Array(F + 1);
  const grad = new Float64Array(F + 1);
  const rate = 0.05;
  for (let epoch = 1; epoch <= epochs; epoch++) {
    grad.fill(0);
    for (let r = 0; r < rows; r++) {
      let s = w[F]!;
      for (let f = 0; f < F; f++) s += w[f]! * z[r * F + f]!;
      const g = (weight[r]! * (1 / (1 + Math.exp(-s)) - y[r]!)) / totalWeight;
      for (let f = 0; f < F; f++) grad[f]! += g * z[r * F + f]!;
      grad[F]! += g;
    }
    for (let f = 0; f <= F; f++) {
      const g = grad[f]! + (f < F ? l2 * w[f]! : 0);
      m[f] = 0.9 * m[f]! + 0.1 * g;
      v[f] = 0.999 * v[f]! + 0.001 * g * g;
      const mHat = m[f]! / (1 - 0.9 ** epoch);
      const vHat = v[f]! / (1 - 0.999 ** epoch);
      w[f]! -= (rate * mHat) / (Math.sqrt(vHat) + 1e-8);
    }
  }
  return { kind: 'logistic', mean, scale, weights: Array.from(w.subarray(0, F)), bias: w[F]! };
}

export function scoreLogistic(model: LogisticJson, x: ArrayLike<number>, offset = 0): number {
  let s = model.bias;
  for (let f = 0; f < model.weights.length; f++) {
    s += model.weights[f]! * clip((x[offset + f]! - model.mean[f]!) / model.scale[f]!);
  }
  return 1 / (1 + Math.exp(-s));
}

/** Sentinels (60 days = "never") and heavy tails would otherwise dominate a linear model. */
function clip(value: number): number {
  return Math.min(5, Math.max(-5, value));
}
