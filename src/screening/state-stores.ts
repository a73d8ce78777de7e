// The engine's stores over a screening group's locked entity states: handed to the feature
// engine as its whole world (state-rows.ts locks and writes the rows behind them).
import { transactionKey } from './features.ts';
import type { CardState, CustomerState, FeatureStateStore, TerminalState } from './state.ts';

/** The three entity states of one event, handed to the engine as its whole world. */
export class LockedStore implements FeatureStateStore {
  private readonly cardState: CardState;
  private readonly customerState: CustomerState;
  private readonly terminalState: TerminalState;
  constructor(card: CardState, customer: CustomerState, terminal: TerminalState) {
    this.cardState = card;
    this.customerState = customer;
    this.terminalState = terminal;
  }
  card(): CardState {
    return this.cardState;
  }
  customer(): CustomerState {
    return this.customerState;
  }
  terminal(): TerminalState {
    return this.terminalState;
  }
  rememberRecent(): void {}
  findRecent(): undefined {
    return undefined;
  }
  forgetRecentBefore(): void {}
}

/** The entity states of a batch, by the engine's (bank-qualified) keys. */
export class BatchStore implements FeatureStateStore {
  private readonly states: Map<string, object>;
  constructor(states: Map<string, object>) {
    this.states = states;
  }
  private get<T>(kind: Kind, key: string): T {
    const state = this.states.get(slotOf(kind, key));
    if (state === undefined) throw new Error(`screening: ${kind} state not locked by this batch`);
    return state as T;
  }
  card(key: string): CardState {
    return this.get('card', key);
  }
  customer(key: string): CustomerState {
    return this.get('customer', key);
  }
  terminal(key: string): TerminalState {
    return this.get('terminal', key);
  }
  rememberRecent(): void {}
  findRecent(): undefined {
    return undefined;
  }
  forgetRecentBefore(): void {}
}

/** The engine's key of a card, customer or terminal of a bank (see features.ts). */
export function entityKey(bankId: string, id: string): string {
  return transactionKey(bankId, id);
}

export type Kind = 'card' | 'customer' | 'terminal';

/** Where a group keeps a state: kind and the engine's (bank-qualified) key. */
export function slotOf(kind: Kind, engineKey: string): string {
  return `${kind}\u001f${engineKey}`;
}

/** The slot of a bank's card, customer or terminal id. */
export function stateSlot(kind: Kind, bankId: string, key: string): string {
  return slotOf(kind, entityKey(bankId, key));
}
