// The sorted per-entity histories of the features (features.ts): bounds and inserts in
// ascending time arrays, pruning of what fell out of the window, and the median by selection,
// each written to spare the allocations of a sort or a splice per event.
import type { CardState } from './state.ts';

/**
 * Median of values[0..count) by selection (Hoare's quickselect), reordering them in place
 * (a scratch copy): linear on average instead of a sort per event, the same value.
 */
export function medianOf(values: Float64Array, count: number): number {
  const mid = count >> 1;
  const upper = selectNth(values, count, mid);
  if (count % 2 === 1) return upper;
  // values[0..mid) now hold the lower half: its largest is the other middle value.
  let lower = values[0]!;
  for (let i = 1; i < mid; i++) if (values[i]! > lower) lower = values[i]!;
  return (lower + upper) / 2;
}

/** Puts the k-th smallest of values[0..count) at k, smaller ones before it; returns it. */
function selectNth(values: Float64Array, count: number, k: number): number {
  let lo = 0;
  let hi = count - 1;
  while (lo < hi) {
    const pivot = values[(lo + hi) >> 1]!;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (values[i]! < pivot) i++;
      while (values[j]! > pivot) j--;
      if (i <= j) {
        const swap = values[i]!;
        values[i] = values[j]!;
        values[j] = swap;
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else break;
  }
  return values[k]!;
}

export function pruneCard(card: CardState, cutoff: number): void {
  let drop = 0;
  while (drop < card.t.length && card.t[drop]! < cutoff) drop++;
  if (drop === 0) return;
  dropFront(card.id, drop);
  dropFront(card.t, drop);
  dropFront(card.amount, drop);
  dropFront(card.hour, drop);
  dropFront(card.label, drop);
  dropFront(card.labelAt, drop);
  dropFront(card.terminal, drop);
  dropFront(card.country, drop);
  dropFront(card.channel, drop);
}

/**
 * Removes the first `drop` elements. Usually one goes per event: `shift` then spares the
 * array of removed elements that `splice` allocates on every prune.
 */
export function dropFront(values: unknown[], drop: number): void {
  if (drop === 1) values.shift();
  else values.splice(0, drop);
}

/** Index of the first element at least t in an ascending array (its length if none). */
export function lowerBound(values: readonly number[], t: number): number {
  let lo = 0;
  let hi = values.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (values[mid]! < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Index of the first element greater than t in an ascending array (its length if none). */
export function upperBound(values: readonly number[], t: number): number {
  let n = values.length;
  if (n === 0 || values[n - 1]! <= t) return n;
  let lo = 0;
  while (lo < n) {
    const mid = (lo + n) >> 1;
    if (values[mid]! <= t) lo = mid + 1;
    else n = mid;
  }
  return lo;
}

export function pruneTimes(times: number[], cutoff: number): void {
  let drop = 0;
  while (drop < times.length && times[drop]! < cutoff) drop++;
  if (drop > 0) dropFront(times, drop);
}

export function insertTime(times: number[], t: number): void {
  let at = times.length;
  while (at > 0 && times[at - 1]! > t) at--;
  insertAt(times, at, t);
}

/** Inserts at `at`; at the end (the usual case) a push, sparing `splice`'s result array. */
export function insertAt<T>(values: T[], at: number, value: T): void {
  if (at === values.length) values.push(value);
  else values.splice(at, 0, value);
}
