// The Fraud Detection Handbook's evaluation protocol (chapter 5, get_train_delay_test_set and
// card_precision_top_k), on the four last weeks of the shared data set.
import {
  averagePrecision,
  type CardDayScore,
  cardPrecisionAtK,
  DAY_MS,
  type FeatureTable,
  featurise,
  readFraudSimCsv,
  rocAuc,
} from '../../src/screening/index.ts';

export const DATA_START = Date.parse('2018-04-01T00:00:00Z');
export const FOLD_STARTS = ['2018-06-20', '2018-06-27', '2018-07-04', '2018-07-11'];
export const TRAIN_DAYS = 7;
export const DELAY_DAYS = 7;
export const TEST_DAYS = 7;

export interface BenchTable extends FeatureTable {
  /** CUSTOMER_ID (= card) per row. */
  readonly card: Int32Array;
  /** Whole days since 2018-04-01 (the handbook's TX_TIME_DAYS). */
  readonly day: Int32Array;
}

/** One streaming pass: every row's features from the stream, labels visible after the delay. */
export async function loadTable(path: string, onRow: (done: number) => void): Promise<BenchTable> {
  const cards: number[] = [];
  async function* capture() {
    for await (const row of readFraudSimCsv(path)) {
      cards.push(Number(row.event.cardId));
      yield row;
    }
  }
  const table = await featurise(capture(), { labelDelayDays: DELAY_DAYS, onRow });
  const day = new Int32Array(table.rows);
  for (let i = 0; i < table.rows; i++) day[i] = Math.floor((table.time[i]! - DATA_START) / DAY_MS);
  return { ...table, card: Int32Array.from(cards), day };
}

export interface Fold {
  readonly name: string;
  /** First day (days since 2018-04-01) of the handbook's 7-day training week. */
  readonly trainStartDay: number;
  readonly testStartDay: number;
}

export function folds(): Fold[] {
  return FOLD_STARTS.map((start) => {
    const trainStartDay = Math.round((Date.parse(`${start}T00:00:00Z`) - DATA_START) / DAY_MS);
    return { name: start, trainStartDay, testStartDay: trainStartDay + TRAIN_DAYS + DELAY_DAYS };
  });
}

/**
 * Training targets: labelled rows of days [fromDay, trainStartDay + 7). Every one of them is
 * at least the 7-day delay older than the first test day, so its label is known at test start.
 */
export function trainingRows(table: BenchTable, fold: Fold, fromDay: number): number[] {
  const rows: number[] = [];
  const endDay = fold.trainStartDay + TRAIN_DAYS;
  for (let i = 0; i < table.rows; i++) if (table.day[i]! >= fromDay && table.day[i]! < endDay) rows.push(i);
  return rows;
}

/**
 * Test rows, as get_train_delay_test_set builds them: cards with a fraud in the training week,
 * or on the delay-period day that became known before each test day, are dropped.
 */
export function testRows(table: BenchTable, fold: Fold): number[] {
  const known = new Set<number>();
  const fraudCardsOn = (day: number) => {
    for (let i = 0; i < table.rows; i++)
      if (table.day[i] === day && table.label[i] === 1) known.add(table.card[i]!);
  };
  for (let d = fold.trainStartDay; d < fold.trainStartDay + TRAIN_DAYS; d++) fraudCardsOn(d);
  const rows: number[] = [];
  for (let offset = 0; offset < TEST_DAYS; offset++) {
    fraudCardsOn(fold.trainStartDay + TRAIN_DAYS + offset - 1);
    const day = fold.testStartDay + offset;
    for (let i = 0; i < table.rows; i++) if (table.day[i] === day && !known.has(table.card[i]!)) rows.push(i);
  }
  return rows;
}

export interface FoldMetrics {
  readonly aucRoc: number;
  readonly averagePrecision: number;
  readonly cardPrecisionAt100: number;
}

export function evaluate(table: BenchTable, rows: readonly number[], scores: Float64Array): FoldMetrics {
  const labels = Uint8Array.from(rows, (row) => table.label[row]!);
  const cardDays: CardDayScore[] = rows.map((row, i) => ({
    day: table.day[row]!,
    card: String(table.card[row]),
    score: scores[i]!,
    fraud: table.label[row] === 1,
  }));
  return {
    aucRoc: rocAuc(scores, labels),
    averagePrecision: averagePrecision(scores, labels),
    cardPrecisionAt100: cardPrecisionAtK(cardDays, 100).mean,
  };
}
