// Ranking metrics as the Fraud Detection Handbook computes them (sklearn's roc_auc_score and
// average_precision_score, and the handbook's card_precision_top_k), so our figures sit
// beside its published baselines on equal terms.

/** Area under the ROC curve; tied scores count one half (rank-sum with average ranks). */
export function rocAuc(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const order = sortedIndices(scores, true);
  let positives = 0;
  for (let i = 0; i < labels.length; i++) positives += labels[i] === 1 ? 1 : 0;
  const negatives = labels.length - positives;
  if (positives === 0 || negatives === 0) return Number.NaN;
  let rankSum = 0;
  let i = 0;
  while (i < order.length) {
    let j = i;
    while (j + 1 < order.length && scores[order[j + 1]!] === scores[order[i]!]) j++;
    const averageRank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) if (labels[order[k]!] === 1) rankSum += averageRank;
    i = j + 1;
  }
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

/** Average precision: sum over score thresholds of precision × recall gained (sklearn's step rule). */
export function averagePrecision(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const order = sortedIndices(scores, false);
  let positives = 0;
  for (let i = 0; i < labels.length; i++) positives += labels[i] === 1 ? 1 : 0;
  if (positives === 0) return Number.NaN;
  let tp = 0;
  let seen = 0;
  let ap = 0;
  let i = 0;
  while (i < order.length) {
    let j = i;
    let newTp = 0;
    // All rows sharing a score enter together, as one threshold.
    while (j < order.length && scores[order[j]!] === scores[order[i]!]) {
      if (labels[order[j]!] === 1) newTp++;
      j++;
    }
    seen += j - i;
    tp += newTp;
    if (newTp > 0) ap += (newTp / positives) * (tp / seen);
    i = j;
  }
  return ap;
}

export interface CardDayScore {
  readonly day: number;
  readonly card: string;
  readonly score: number;
  readonly fraud: boolean;
}

/**
 * Card precision@k per day: each card's highest score of the day, top k cards, share that
 * were compromised; cards found (compromised and in a top k) on an earlier day are left out
 * of later days, as an investigator would have blocked them.
 */
export function cardPrecisionAtK(
  rows: readonly CardDayScore[],
  k: number,
): { mean: number; perDay: number[] } {
  const days = [...new Set(rows.map((row) => row.day))].sort((a, b) => a - b);
  const found = new Set<string>();
  const perDay: number[] = [];
  for (const day of days) {
    const best = new Map<string, { score: number; fraud: boolean }>();
    for (const row of rows) {
      if (row.day !== day || found.has(row.card)) continue;
      const current = best.get(row.card);
      if (current === undefined) best.set(row.card, { score: row.score, fraud: row.fraud });
      else {
        current.score = Math.max(current.score, row.score);
        current.fraud ||= row.fraud;
      }
    }
    const ranked = [...best.entries()].sort((a, b) => b[1].score - a[1].score).slice(0, k);
    let hits = 0;
    for (const [card, value] of ranked) {
      if (!value.fraud) continue;
      hits++;
      found.add(card);
    }
    perDay.push(hits / k);
  }
  const mean = perDay.length > 0 ? perDay.reduce((a, b) => a + b, 0) / perDay.length : Number.NaN;
  return { mean, perDay };
}

function sortedIndices(scores: ArrayLike<number>, ascending: boolean): Uint32Array {
  const order = new Uint32Array(scores.length);
  for (let i = 0; i < order.length; i++) order[i] = i;
  const values = Float64Array.from(scores as ArrayLike<number>);
  return order.sort((a, b) => (ascending ? values[a]! - values[b]! : values[b]! - values[a]!));
}
