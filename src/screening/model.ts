// The screening model file: a JSON document holding the trees, the feature list they were
// trained on and how (label delay, window, sampling), so a score can always be traced back.
import { readFileSync } from 'node:fs';
import { FEATURE_COUNT, FEATURE_NAMES, type FeatureName } from './features.ts';
import { type GbdtJson, GbdtScorer } from './gbdt.ts';
import { describeReason, type Reason } from './reasons.ts';

export const MODEL_FORMAT = 'proviso-screening-model';

export interface TrainingSummary {
  /** ISO instants of the first and last labelled transaction used as a training target. */
  readonly from: string;
  readonly to: string;
  readonly rows: number;
  readonly frauds: number;
  /** Share of genuine rows kept (each weighted by its inverse). */
  readonly negativeRate: number;
  readonly seconds: number;
}

export interface ScreeningModelJson {
  readonly format: typeof MODEL_FORMAT;
  readonly version: 1;
  readonly features: readonly FeatureName[];
  readonly labelDelayDays: number;
  readonly training: TrainingSummary;
  readonly gbdt: GbdtJson;
}

export class ScreeningModel {
  readonly json: ScreeningModelJson;
  private readonly scorer: GbdtScorer;

  constructor(json: ScreeningModelJson) {
    if (json.format !== MODEL_FORMAT || json.version !== 1)
      throw new Error('not a Proviso screening model (v1)');
    // The trees index features by position: refuse a model built on another feature list.
    if (
      json.features.length !== FEATURE_COUNT ||
      json.features.some((name, i) => name !== FEATURE_NAMES[i])
    ) {
      throw new Error('model was trained on a different feature set; retrain it');
    }
    this.json = json;
    this.scorer = new GbdtScorer(json.gbdt);
  }

  static parse(text: string): ScreeningModel {
    return new ScreeningModel(JSON.parse(text) as ScreeningModelJson);
  }

  get labelDelayDays(): number {
    return this.json.labelDelayDays;
  }

  /** Fraud probability of the feature vector at features[offset..]. */
  score(features: ArrayLike<number>, offset = 0): number {
    return 1 / (1 + Math.exp(-this.scorer.raw(features, offset)));
  }

  /** The features that pushed this score up most, in plain words, strongest first. */
  reasons(features: ArrayLike<number>, limit = 3): Reason[] {
    const { contributions } = this.scorer.contributions(features);
    return [...contributions.entries()]
      .filter(([, weight]) => weight > 0)
      .sort((a, b) => b[1] - a[1])
      .slice(0, limit)
      .map(([index, weight]) => describeReason(FEATURE_NAMES[index]!, features, weight));
  }
}

/** The model trained on the shared fraud-sim data set, shipped with Proviso. */
export const DEFAULT_MODEL_URL = new URL('./models/fraud-sim.model', import.meta.url);

/** A model file: the path given, else PROVISO_SCREENING_MODEL, else the shipped default. */
export function loadScreeningModel(
  path: string | undefined = process.env['PROVISO_SCREENING_MODEL'],
): ScreeningModel {
  return ScreeningModel.parse(readFileSync(path ?? DEFAULT_MODEL_URL, 'utf8'));
}
