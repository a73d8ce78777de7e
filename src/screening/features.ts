// Streaming features. One engine computes them for offline training, for `proviso score`
// and online, so the model never sees features computed two different ways. Each event is
// featurised from the state *before* it, then added to the state. Fraud labels enter only
// through `recordLabel` and become visible `labelDelayDays` after the transaction at the
// earliest — a bank learns fraud late (chargebacks, customer claims), so features that use
// labels must be built the same way in training or the model learns a signal it will never
// have in production.
//
// Every label is stored on its card and terminal with the instant it becomes visible, and a
// feature of an event at time t reads only labels visible at t and transactions at or before
// t. So there is no global clock: the features of an event depend only on the entities it
// touches, which is what lets the online service keep state per card/customer/terminal row
// in PostgreSQL, and makes late (out-of-order) events deterministic: an event older than its
// card's newest is featurised from the history before its own time, exactly as if it had
// arrived in order (except history pruned more than 30 days before the newest event).
//
// The names and order of the features are in feature-names.ts, the parsed event in
// observation.ts, the sorted-history helpers in history.ts.

import {
  addToCard,
  addToCustomer,
  addToTerminal,
  cardStep,
  pruneCardAt,
  pruneCustomerAt,
  pruneTerminalAt,
  TERMINAL_LABEL_WINDOW_MS,
} from './entity-steps.ts';
import type { AuthorisationEvent } from './event.ts';
import { DAY_MS, FEATURE_COUNT, NEVER_DAYS } from './feature-names.ts';
import { insertAt, lowerBound, medianOf, upperBound } from './history.ts';
import { type Observation, observe, transactionKey } from './observation.ts';
import {
  type CardState,
  type CustomerState,
  type FeatureStateStore,
  InMemoryStateStore,
  LABEL_FRAUD,
  LABEL_GENUINE,
  type RecentTx,
  type TerminalState,
} from './state.ts';

export {
  DAY_MS,
  FEATURE_COUNT,
  FEATURE_INDEX,
  FEATURE_NAMES,
  type FeatureName,
  NEVER_DAYS,
} from './feature-names.ts';
export { hash32, transactionKey } from './observation.ts';

/** A card amount this many times its median counts as "high" for the 14-day count. */
const HIGH_AMOUNT_RATIO = 3;
/** Late labels still find their transaction this long after it happened. */
export const LABEL_HORIZON_MS = 45 * DAY_MS;

export interface FeatureEngineOptions {
  /** Days between a transaction and the moment its label may be used (default 7). */
  readonly labelDelayDays?: number;
  readonly store?: FeatureStateStore;
  /** Told of every event the state takes in, once it has (the screening rows' steps). */
  readonly onAdded?: (observation: Observation) => void;
}

export class FeatureEngine {
  readonly labelDelayMs: number;
  readonly store: FeatureStateStore;
  private readonly onAdded: ((observation: Observation) => void) | undefined;
  private scratch = new Float64Array(64);
  /** Newest event time seen: old `recent` entries are forgotten relative to it. */
  private newest = Number.NEGATIVE_INFINITY;

  constructor(options: FeatureEngineOptions = {}) {
    this.labelDelayMs = (options.labelDelayDays ?? 7) * DAY_MS;
    this.store = options.store ?? new InMemoryStateStore();
    this.onAdded = options.onAdded;
  }

  /**
   * Features of `event` from everything seen before it, then adds it to the state.
   * Writes into `out` (length FEATURE_COUNT) when given, to spare allocations in bulk runs.
   */
  process(event: AuthorisationEvent, out: Float64Array = new Float64Array(FEATURE_COUNT)): Float64Array {
    const observation = observe(event);
    // Each entity's state looked up once per event (keys are built strings: hashing costs).
    const card = this.store.card(observation.card);
    const terminal = this.store.terminal(observation.terminal);
    const customer = this.store.customer(observation.customer);
    // Each entity forgets what left its window, the features read what is left, then each
    // entity takes the event in: the same functions a stored state's replay runs
    // (entity-steps.ts), so the rows of the online service rebuild exactly this state.
    pruneCardAt(card, observation.t);
    pruneTerminalAt(terminal, observation.t, this.labelDelayMs);
    pruneCustomerAt(customer, observation.t);
    this.compute(observation, out, card, terminal, customer);
    this.add(observation, card, terminal, customer);
    this.onAdded?.(observation);
    if (observation.t > this.newest) {
      // Forgetting is a queue pop; doing it once a simulated hour is plenty.
      if (Math.floor(observation.t / 3_600_000) !== Math.floor(this.newest / 3_600_000))
        this.store.forgetRecentBefore(observation.t - LABEL_HORIZON_MS);
      this.newest = observation.t;
    }
    return out;
  }

  /**
   * Records a label. A delayed label (chargeback, investigation) becomes visible at
   * max(labelTime, transaction time + delay); a confirmed one (the customer's own "No" or
   * "Yes" to an alert, `confirmed`) at labelTime itself. Before that no feature can see it.
   * Returns false when the transaction is unknown or too old.
   */
  recordLabel(
    bankId: string,
    transactionId: string,
    isFraud: boolean,
    labelTime: number,
    confirmed = false,
  ): boolean {
    const tx = this.store.findRecent(transactionKey(bankId, transactionId));
    if (tx === undefined) return false;
    this.applyLabel(tx, isFraud, labelTime, confirmed);
    return true;
  }

  /**
   * Writes a label onto the card and terminal of `tx` (keys as `entityKeys` gives them).
   * Recording the same transaction again replaces its label (a "yes" later charged back).
   */
  applyLabel(tx: Omit<RecentTx, 'key'>, isFraud: boolean, labelTime: number, confirmed = false): void {
    const visibleAt = confirmed ? Math.max(labelTime, tx.t) : Math.max(labelTime, tx.t + this.labelDelayMs);
    const card = this.store.card(tx.card);
    for (let i = card.t.length - 1; i >= 0 && card.t[i]! >= tx.t; i--) {
      if (card.t[i] === tx.t && card.id[i] === tx.id) {
        card.label[i] = isFraud ? LABEL_FRAUD : LABEL_GENUINE;
        card.labelAt[i] = visibleAt;
        break;
      }
    }
    const terminal = this.store.terminal(tx.terminal);
    // Labels are in transaction order: look among those of the same instant only.
    for (let i = upperBound(terminal.labelT, tx.t) - 1; i >= 0 && terminal.labelT[i] === tx.t; i--) {
      if (terminal.labelId[i] !== tx.id) continue;
      terminal.labelFraud[i] = isFraud ? 1 : 0;
      terminal.labelAt[i] = visibleAt;
      return;
    }
    let at = terminal.labelT.length;
    while (at > 0 && terminal.labelT[at - 1]! > tx.t) at--;
    insertAt(terminal.labelT, at, tx.t);
    insertAt(terminal.labelFraud, at, isFraud ? 1 : 0);
    insertAt(terminal.labelAt, at, visibleAt);
    insertAt(terminal.labelId, at, tx.id);
  }

  private compute(
    observation: Observation,
    out: Float64Array,
    card: CardState,
    terminal: TerminalState,
    customer: CustomerState,
  ): void {
    const t = observation.t;
    const times = card.t;
    const amountsOf = card.amount;
    const hours = card.hour;
    const labelsOf = card.label;
    const labelAt = card.labelAt;
    const terminalsOf = card.terminal;
    const countriesOf = card.country;
    const channelsOf = card.channel;
    const { terminalHash, countryHash, channelHash } = observation;
    // A late event sees only the history at or before its own time.
    const n30 = upperBound(times, t);

    // Card windows. Known frauds are left out of the "usual amount" so a card's own
    // confirmed fraud does not become its normal.
    let n1 = 0;
    let n7 = 0;
    let s1 = 0;
    let s7 = 0;
    let s30 = 0;
    let sq30 = 0;
    let max30 = 0;
    let hourSum = 0;
    let hourSq = 0;
    let knownFraud = 0;
    let terminalUses = 0;
    let sameCountry = 0;
    let sameChannel = 0;
    let clean = 0;
    if (this.scratch.length < n30) this.scratch = new Float64Array(n30 * 2);
    const amounts = this.scratch;
    for (let i = 0; i < n30; i++) {
      const age = t - times[i]!;
      const amount = amountsOf[i]!;
      const hour = hours[i]!;
      s30 += amount;
      sq30 += amount * amount;
      if (amount > max30) max30 = amount;
      hourSum += hour;
      hourSq += hour * hour;
      if (age <= 7 * DAY_MS) {
        n7++;
        s7 += amount;
        if (age <= DAY_MS) {
          n1++;
          s1 += amount;
        }
      }
      if (labelsOf[i] === LABEL_FRAUD && labelAt[i]! <= t) knownFraud++;
      else amounts[clean++] = amount;
      if (terminalsOf[i] === terminalHash) terminalUses++;
      if (countriesOf[i] === countryHash) sameCountry++;
      if (channelsOf[i] === channelHash) sameChannel++;
    }
    const mean30 = n30 > 0 ? s30 / n30 : 0;
    const median = clean > 0 ? medianOf(amounts, clean) : 0;
    let maxRatio7 = 0;
    let high14 = 0;
    if (median > 0) {
      for (let i = n30 - 1; i >= 0; i--) {
        const age = t - times[i]!;
        if (age > 14 * DAY_MS) break;
        const ratio = amountsOf[i]! / median;
        if (ratio >= HIGH_AMOUNT_RATIO) high14++;
        if (age <= 7 * DAY_MS && ratio > maxRatio7) maxRatio7 = ratio;
      }
    }
    const variance = n30 > 1 ? Math.max(0, sq30 / n30 - mean30 * mean30) : 0;
    const std = Math.max(Math.sqrt(variance), 0.1 * mean30, 1e-6);
    const hourMean = n30 > 0 ? hourSum / n30 : 12;
    const hourStd = n30 > 1 ? Math.sqrt(Math.max(0, hourSq / n30 - hourMean * hourMean)) : 1;

    // Terminal windows: volume from every transaction, risk only from visible labels,
    // which are all at least `labelDelay` old by construction.
    // Only the labels visible at t count (labelAt <= t); they are kept in transaction order.
    const labelT = terminal.labelT;
    const labelFraud = terminal.labelFraud;
    const labelVisible = terminal.labelAt;
    const terminalEnd = upperBound(terminal.times, t);
    let tn1 = 0;
    let tn7 = 0;
    for (let i = terminalEnd - 1; i >= 0; i--) {
      const age = t - terminal.times[i]!;
      if (age > 7 * DAY_MS) break;
      tn7++;
      if (age <= DAY_MS) tn1++;
    }
    const labelEdge = t - this.labelDelayMs;
    let f1 = 0;
    let f7 = 0;
    let f28 = 0;
    let l28 = 0;
    // Labels older than the 28-day window are skipped by a binary search, not a scan.
    for (let i = lowerBound(labelT, labelEdge - TERMINAL_LABEL_WINDOW_MS); i < labelT.length; i++) {
      if (labelVisible[i]! > t) continue;
      l28++;
      if (labelFraud[i] !== 1) continue;
      const since = labelEdge - labelT[i]!;
      f28++;
      if (since <= 7 * DAY_MS) f7++;
      if (since <= DAY_MS) f1++;
    }
    // The newest visible fraud (labels are in transaction order: the first one from the end).
    let lastFraud = Number.NEGATIVE_INFINITY;
    for (let i = labelT.length - 1; i >= 0; i--) {
      if (labelFraud[i] === 1 && labelVisible[i]! <= t) {
        lastFraud = labelT[i]!;
        break;
      }
    }
    // A compromised terminal turns every later transaction into fraud until it is fixed:
    // the trailing run of confirmed frauds, and how long ago it began, capture exactly that.
    let streak = 0;
    let streakStart = Number.NaN;
    let i = labelT.length - 1;
    for (; i >= 0; i--) {
      if (labelVisible[i]! > t) continue;
      if (labelFraud[i] !== 1) break;
      streak++;
      streakStart = labelT[i]!;
    }
    // The run began after the last genuine label before it and no later than its first
    // fraud: in calendar days, how long the terminal has been compromised at least / at most.
    // A compromise is fixed after a while, so a long-running one is likely over.
    const today = Math.floor(t / DAY_MS);
    const runMin = streak > 0 ? today - Math.floor(streakStart / DAY_MS) : NEVER_DAYS;
    const runMax = streak > 0 && i >= 0 ? today - Math.floor(labelT[i]! / DAY_MS) - 1 : NEVER_DAYS;

    let cn1 = 0;
    for (let i = upperBound(customer.times, t) - 1; i >= 0 && t - customer.times[i]! <= DAY_MS; i--) cn1++;
    let cards = 1;
    for (const cardId in customer.cards) if (cardId !== observation.card) cards++;

    out[0] = observation.amount;
    out[1] = observation.hour;
    out[2] = observation.weekend ? 1 : 0;
    out[3] = observation.hour < 6 ? 1 : 0;
    out[4] = n1;
    out[5] = n7;
    out[6] = n30;
    out[7] = n1 > 0 ? s1 / n1 : 0;
    out[8] = n7 > 0 ? s7 / n7 : 0;
    out[9] = mean30;
    // Ratios are 1 ("as usual") for a card without history; the counts say it is new.
    out[10] = mean30 > 0 ? observation.amount / mean30 : 1;
    out[11] = median > 0 ? observation.amount / median : 1;
    out[12] = n30 > 1 ? (observation.amount - mean30) / std : 0;
    out[13] = max30 > 0 ? observation.amount / max30 : 1;
    out[14] = maxRatio7;
    out[15] = high14;
    out[16] = n30 > 1 ? Math.abs(observation.hour - hourMean) / Math.max(hourStd, 1) : 0;
    out[17] = knownFraud;
    out[18] = terminalUses === 0 ? 1 : 0;
    out[19] = terminalUses;
    out[20] = sameCountry === 0 ? 1 : 0;
    out[21] = sameChannel === 0 ? 1 : 0;
    out[22] = tn1;
    out[23] = tn7;
    out[24] = terminalEnd;
    out[25] = f1;
    out[26] = f7;
    out[27] = f28;
    out[28] = l28;
    out[29] = l28 > 0 ? f28 / l28 : 0;
    out[30] = streak;
    out[31] = streak > 0 ? Math.min(NEVER_DAYS, (t - streakStart) / DAY_MS) : NEVER_DAYS;
    out[32] =
      lastFraud > Number.NEGATIVE_INFINITY ? Math.min(NEVER_DAYS, (t - lastFraud) / DAY_MS) : NEVER_DAYS;
    out[33] = cn1;
    out[34] = cards;
    out[35] = Math.min(runMin, NEVER_DAYS);
    out[36] = Math.min(runMax, NEVER_DAYS);
  }

  private add(
    observation: Observation,
    card: CardState,
    terminal: TerminalState,
    customer: CustomerState,
  ): void {
    addToCard(card, cardStep(observation));
    addToTerminal(terminal, observation.t);
    addToCustomer(customer, observation.t, observation.card);
    this.store.rememberRecent({
      key: observation.key,
      id: observation.id,
      card: observation.card,
      terminal: observation.terminal,
      t: observation.t,
    });
  }
}
