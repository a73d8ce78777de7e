// What the fraud benchmark (bench/fraud.ts) compares and how: the handbook's published
// baselines, how the configuration was chosen, the training variants, the machine line.
import { cpus, totalmem } from 'node:os';
import type { Fold, FoldMetrics } from './protocol.ts';

/** First day used as a training target in the "all known history" variant: 2018-05-01. */
export const HISTORY_FROM_DAY = 30;

export const BASELINES: Record<keyof FoldMetrics, { name: string; value: number }[]> = {
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
export const SELECTION = {
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

export const METRIC_LABEL: Record<keyof FoldMetrics, string> = {
  aucRoc: 'AUC ROC',
  averagePrecision: 'average precision',
  cardPrecisionAt100: 'card precision@100',
};

export interface Variant {
  readonly id: string;
  readonly description: string;
  readonly fromDay: (fold: Fold) => number;
  /** Logistic regression on the same features instead of trees. */
  readonly logistic?: boolean;
}

export const VARIANTS: Variant[] = [
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

export const machine = `${cpus().length} × ${cpus()[0]?.model.trim() ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
