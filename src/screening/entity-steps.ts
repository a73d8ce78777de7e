// How one event changes each entity's state, and nothing else: the card, customer and terminal
// each forget what fell out of their windows at the event's time, then take the event in. The
// feature engine (features.ts) runs exactly these functions around its feature computation, and
// the screening rows (state-rows.ts) store a group's events as compact *steps* per entity and
// replay them with the same functions — so a state rebuilt from its stored base and steps is
// the state the engine had, bit for bit, without writing every state in full after every group.
//
// An entity's change depends only on its own state and the event (its time, and for a card
// the event's own fields): that is what makes a per-entity replay exact (see features.ts).
import { DAY_MS } from './feature-names.ts';
import { dropFront, insertAt, insertTime, pruneCard, pruneTimes } from './history.ts';
import type { Observation } from './observation.ts';
import { type CardState, type CustomerState, LABEL_UNKNOWN, type TerminalState } from './state.ts';

/** A card's, customer's and terminal's history window. */
export const CARD_WINDOW_MS = 30 * DAY_MS;
/** How far back a terminal's labels count (features.ts). */
export const TERMINAL_LABEL_WINDOW_MS = 28 * DAY_MS;

/** An event as its card takes it: id, time, amount, local hour, terminal/country/channel hashes. */
export type CardStep = [
  id: string,
  t: number,
  amount: number,
  hour: number,
  terminalHash: number,
  countryHash: number,
  channelHash: number,
];
/** An event as its customer takes it: time and the (bank-qualified) card key. */
export type CustomerStep = [t: number, card: string];
/** An event as its terminal takes it: its time. */
export type TerminalStep = number;

export function cardStep(observation: Observation): CardStep {
  return [
    observation.id,
    observation.t,
    observation.amount,
    observation.hour,
    observation.terminalHash,
    observation.countryHash,
    observation.channelHash,
  ];
}

/** Forgets the card's history older than the window before t. */
export function pruneCardAt(card: CardState, t: number): void {
  pruneCard(card, t - CARD_WINDOW_MS);
}

/** Forgets the terminal's volume older than the window, and labels no feature can reach again. */
export function pruneTerminalAt(terminal: TerminalState, t: number, labelDelayMs: number): void {
  pruneTimes(terminal.times, t - CARD_WINDOW_MS);
  const labelCutoff = t - labelDelayMs - TERMINAL_LABEL_WINDOW_MS - 14 * DAY_MS;
  let drop = 0;
  while (drop < terminal.labelT.length && terminal.labelT[drop]! < labelCutoff) drop++;
  if (drop > 0) {
    dropFront(terminal.labelT, drop);
    dropFront(terminal.labelFraud, drop);
    dropFront(terminal.labelAt, drop);
    dropFront(terminal.labelId, drop);
  }
}

/** Forgets the customer's times older than the window, and cards unused for as long. */
export function pruneCustomerAt(customer: CustomerState, t: number): void {
  pruneTimes(customer.times, t - CARD_WINDOW_MS);
  const cards = customer.cards;
  for (const cardId in cards) if (t - cards[cardId]! > CARD_WINDOW_MS) delete cards[cardId];
}

/** Adds the event to the card's history, kept in time order (a late event is inserted). */
export function addToCard(card: CardState, step: CardStep): void {
  const [id, t, amount, hour, terminalHash, countryHash, channelHash] = step;
  let at = card.t.length;
  while (at > 0 && card.t[at - 1]! > t) at--;
  insertAt(card.id, at, id);
  insertAt(card.t, at, t);
  insertAt(card.amount, at, amount);
  insertAt(card.hour, at, hour);
  insertAt(card.label, at, LABEL_UNKNOWN);
  insertAt(card.labelAt, at, 0);
  insertAt(card.terminal, at, terminalHash);
  insertAt(card.country, at, countryHash);
  insertAt(card.channel, at, channelHash);
}

export function addToTerminal(terminal: TerminalState, t: number): void {
  insertTime(terminal.times, t);
}

export function addToCustomer(customer: CustomerState, t: number, card: string): void {
  insertTime(customer.times, t);
  // One keyed read and one write (a built key costs a string-table lookup per access).
  const cards = customer.cards;
  const lastUse = cards[card];
  cards[card] = lastUse !== undefined && lastUse > t ? lastUse : t;
}

/** Replays stored steps onto a card's state, as the engine changed it event after event. */
export function replayCard(card: CardState, steps: readonly CardStep[]): void {
  for (const step of steps) {
    pruneCardAt(card, step[1]);
    addToCard(card, step);
  }
}

export function replayCustomer(customer: CustomerState, steps: readonly CustomerStep[]): void {
  for (const [t, card] of steps) {
    pruneCustomerAt(customer, t);
    addToCustomer(customer, t, card);
  }
}

export function replayTerminal(
  terminal: TerminalState,
  steps: readonly TerminalStep[],
  labelDelayMs: number,
): void {
  for (const t of steps) {
    pruneTerminalAt(terminal, t, labelDelayMs);
    addToTerminal(terminal, t);
  }
}
