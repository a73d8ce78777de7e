// What Proviso needs from a bank's own systems. A bank plugs in its core banking system
// behind this interface; the simulator is the implementation the demo banks use.

export type AccountKind = 'current' | 'savings' | 'credit_card';
export type Channel =
  | 'card_present'
  | 'card_online'
  | 'contactless'
  | 'transfer'
  | 'direct_debit'
  | 'standing_order'
  | 'atm'
  | 'interest';

export interface Customer {
  id: string;
  displayName: string;
  username: string;
}

export interface Account {
  id: string;
  customerId: string;
  kind: AccountKind;
  currency: string;
  nickname: string;
  /** e.g. UK.OBIE.SortCodeAccountNumber or UK.OBIE.IBAN */
  schemeName: string;
  /** The account number itself: sensitive, never logged. */
  identification: string;
  openedAt: Date;
  creditLimit: string | null;
}

export interface Balance {
  accountId: string;
  type: 'InterimBooked' | 'InterimAvailable';
  /** Decimal string, never negative; the sign is in creditDebit. */
  amount: string;
  creditDebit: 'Credit' | 'Debit';
  currency: string;
  at: Date;
}

export interface Transaction {
  id: string;
  accountId: string;
  bookedAt: Date;
  status: 'booked' | 'pending';
  amount: string;
  creditDebit: 'Credit' | 'Debit';
  currency: string;
  description: string;
  merchantName: string | null;
  mcc: string | null;
  country: string | null;
  channel: Channel;
  category: string;
  cardId: string | null;
}

export interface Card {
  id: string;
  accountId: string;
  customerId: string;
  last4: string;
  status: 'active' | 'frozen';
  updatedAt: Date;
}

export interface TransactionQuery {
  from?: Date | undefined;
  to?: Date | undefined;
  limit: number;
  /** Opaque cursor from a previous page. */
  after?: string | undefined;
}

export interface TransactionPage {
  items: Transaction[];
  /** Cursor for the next (older) page, if any. */
  next: string | null;
}

/** One bank's core system, as Proviso sees it. */
export interface BankCore {
  readonly bankId: string;
  customer(customerId: string): Promise<Customer | null>;
  customerByUsername(username: string): Promise<Customer | null>;
  accounts(customerId: string): Promise<Account[]>;
  account(accountId: string): Promise<Account | null>;
  balances(accountId: string): Promise<Balance[]>;
  transactions(accountId: string, query: TransactionQuery): Promise<TransactionPage>;
  transaction(transactionId: string): Promise<Transaction | null>;
  cards(customerId: string): Promise<Card[]>;
  /** The cards of these ids that the bank has, in one lookup (any order; unknown ids left out). */
  cardsById(cardIds: readonly string[]): Promise<Card[]>;
  card(cardId: string): Promise<Card | null>;
  setCardStatus(cardId: string, status: Card['status']): Promise<Card | null>;
  /**
   * Books a transfer between two accounts of this bank (a checkout payment or a refund): the
   * debtor is debited, the creditor credited, both as booked transactions, atomically. Refused
   * without booking anything when the debtor cannot pay or is blocked.
   */
  bookTransfer?(order: TransferOrder): Promise<TransferOutcome>;
}

/** A transfer inside one bank: a merchant payment (customer → merchant) or a refund (back). */
export interface TransferOrder {
  debtorAccountId: string;
  creditorAccountId: string;
  /** Positive decimal string, at most 2 places. */
  amount: string;
  currency: string;
  /** Shown on the debtor's statement (e.g. the merchant's name and the order reference). */
  debtorDescription: string;
  /** Shown on the creditor's statement. */
  creditorDescription: string;
  /** Counterparty name on the debtor's line (the merchant). */
  merchantName: string;
  category: string;
}

export type TransferOutcome =
  | { status: 'booked'; debitTransactionId: string; creditTransactionId: string; bookedAt: Date }
  | { status: 'insufficient-funds' }
  | { status: 'account-blocked' }
  | { status: 'account-not-found' }
  | { status: 'currency-mismatch' };

export class InvalidCursorError extends Error {
  override name = 'InvalidCursorError';
}
