// The plaintext payloads the bot seals to the device. They are rendered by the device
// after decryption; the relay only ever sees them sealed. Amounts stay decimal strings.
// Account, balance and transaction cards are built from what the release path released:
// Open Banking records projected to the purpose, so a field the purpose may not see is
// never in a card.
import type { Account, Card } from '../bank/index.ts';

export interface QuickReply {
  title: string;
  payload: string;
}

export type BotCard =
  | {
      kind: 'balance';
      asOf: string;
      accounts: {
        name: string;
        type: Account['kind'];
        available: string;
        currency: string;
        direction: 'Credit' | 'Debit';
        /** Credit cards: what is owed (the booked balance, a debit), as a positive decimal. */
        owed?: string;
      }[];
      quickReplies: QuickReply[];
    }
  | { kind: 'transactions'; account: string; items: TransactionLine[]; quickReplies: QuickReply[] }
  | {
      kind: 'spending_data';
      since: string;
      items: (TransactionLine & { account: string })[];
      complete: boolean;
    }
  | {
      kind: 'transaction';
      item: TransactionLine & { country: string | null; channel: string | null; mcc: string | null };
    }
  | {
      kind: 'card_status';
      text: string;
      cards: { id: string; last4: string; status: Card['status']; type: CardType }[];
      quickReplies: QuickReply[];
    }
  | { kind: 'notice'; text: string; quickReplies: QuickReply[] };

/** What a customer calls a card: from the kind of account it draws on. */
export type CardType = 'Debit card' | 'Credit card';

export function cardType(card: Card, accounts: Account[]): CardType {
  return accounts.find((a) => a.id === card.accountId)?.kind === 'credit_card' ? 'Credit card' : 'Debit card';
}

export interface TransactionLine {
  id: string;
  at: string;
  description: string;
  merchant: string | null;
  amount: string;
  currency: string;
  direction: 'Credit' | 'Debit';
  category: string;
  pending: boolean;
}

export const MAIN_MENU: QuickReply[] = [
  { title: 'Balance', payload: 'BALANCE' },
  { title: 'Recent transactions', payload: 'TRANSACTIONS' },
  { title: 'My cards', payload: 'CARDS' },
  { title: 'Freeze card', payload: 'FREEZE_CARD' },
  { title: 'Unfreeze card', payload: 'UNFREEZE_CARD' },
];

const KIND_NAME: Record<Account['kind'], string> = {
  current: 'Current account',
  savings: 'Savings',
  credit_card: 'Credit card',
};

/**
 * A record as the release path hands it over: an Open Banking resource already projected to
 * the purpose of the release, so any field may be missing (the purpose did not need it).
 */
export type Released = Readonly<Record<string, unknown>>;

const SUBTYPE_KIND: Record<string, Account['kind']> = {
  CurrentAccount: 'current',
  Savings: 'savings',
  CreditCard: 'credit_card',
};

const text = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
const within = (value: unknown): Released =>
  typeof value === 'object' && value !== null ? (value as Released) : {};

/** An account as a customer names it ("Everyday", or "Current account" without a nickname). */
export function accountName(account: Released | undefined): string {
  const kind = SUBTYPE_KIND[text(account?.['AccountSubType']) ?? ''] ?? 'current';
  return text(account?.['Nickname']) || KIND_NAME[kind];
}

export function balanceCard(accounts: readonly Released[], balances: readonly Released[]): BotCard {
  const balanceOf = (id: unknown, type: string) =>
    balances.find((b) => b['AccountId'] === id && b['Type'] === type);
  return {
    kind: 'balance',
    asOf: new Date().toISOString(),
    accounts: accounts.flatMap((a) => {
      const kind = SUBTYPE_KIND[text(a['AccountSubType']) ?? ''] ?? 'current';
      const available = balanceOf(a['AccountId'], 'InterimAvailable');
      // What a credit card owes is its booked balance: shown only when the purpose releases it.
      const booked = balanceOf(a['AccountId'], 'InterimBooked');
      const owed =
        kind === 'credit_card' && booked
          ? {
              owed:
                booked['CreditDebitIndicator'] === 'Debit'
                  ? String(within(booked['Amount'])['Amount'])
                  : '0.00',
            }
          : {};
      if (!available) return [];
      const amount = within(available['Amount']);
      return [
        {
          name: accountName(a),
          type: kind,
          available: String(amount['Amount']),
          currency: String(amount['Currency']),
          direction: available['CreditDebitIndicator'] === 'Debit' ? ('Debit' as const) : ('Credit' as const),
          ...owed,
        },
      ];
    }),
    quickReplies: MAIN_MENU,
  };
}

/** "income" → "Income", "eating_out" → "Eating out"; "Payment" without one. */
function categoryWords(category: unknown): string {
  const words = (text(category) ?? '').replaceAll('_', ' ').trim();
  return words ? words[0]!.toUpperCase() + words.slice(1) : 'Payment';
}

export function transactionLine(t: Released): TransactionLine {
  const amount = within(t['Amount']);
  return {
    id: String(t['TransactionId']),
    at: String(t['BookingDateTime']),
    // Bank free text is released only where the purpose allows it (customer service); else
    // the payment is named by its category ("Income", "Transfer").
    description:
      text(t['TransactionInformation']) ?? categoryWords(within(t['SupplementaryData'])['Category']),
    merchant: text(within(t['MerchantDetails'])['MerchantName']) ?? null,
    amount: String(amount['Amount']),
    currency: String(amount['Currency']),
    direction: t['CreditDebitIndicator'] === 'Debit' ? 'Debit' : 'Credit',
    category: text(within(t['SupplementaryData'])['Category']) ?? '',
    pending: t['Status'] === 'Pending',
  };
}

export function transactionsCard(account: Released | undefined, items: readonly Released[]): BotCard {
  const lines = items.map(transactionLine);
  return {
    kind: 'transactions',
    account: accountName(account),
    items: lines,
    quickReplies: [
      { title: 'Balance', payload: 'BALANCE' },
      ...lines.slice(0, 3).map((t) => ({
        title: `Details: ${t.merchant ?? (t.description || t.category || 'transaction')}`.slice(0, 40),
        payload: `TX_DETAIL:${t.id}`,
      })),
    ],
  };
}

/** Every debit since a day across the shared accounts: raw material for sums on the device. */
export function spendingDataCard(
  since: string,
  accounts: readonly Released[],
  items: readonly Released[],
  complete: boolean,
): BotCard {
  const names = new Map(accounts.map((a) => [a['AccountId'], accountName(a)]));
  return {
    kind: 'spending_data',
    since,
    complete,
    items: items
      .filter((t) => t['CreditDebitIndicator'] === 'Debit')
      .map((t) => ({ ...transactionLine(t), account: names.get(t['AccountId']) ?? accountName(undefined) })),
  };
}

export function transactionCard(t: Released): BotCard {
  const supplementary = within(t['SupplementaryData']);
  return {
    kind: 'transaction',
    item: {
      ...transactionLine(t),
      country: text(supplementary['Country']) ?? null,
      channel: text(supplementary['Channel']) ?? null,
      mcc: text(within(t['MerchantDetails'])['MerchantCategoryCode']) ?? null,
    },
  };
}

export function cardStatusCard(text: string, cards: Card[], accounts: Account[]): BotCard {
  return {
    kind: 'card_status',
    text,
    cards: cards.map((c) => ({ id: c.id, last4: c.last4, status: c.status, type: cardType(c, accounts) })),
    quickReplies: cards.some((c) => c.status === 'frozen')
      ? [{ title: 'Unfreeze card', payload: 'UNFREEZE_CARD' }, ...MAIN_MENU.slice(0, 2)]
      : [{ title: 'Freeze card', payload: 'FREEZE_CARD' }, ...MAIN_MENU.slice(0, 2)],
  };
}

export function noticeCard(text: string): BotCard {
  return { kind: 'notice', text, quickReplies: MAIN_MENU };
}

export const HELP_TEXT =
  'I can show your balance, your recent transactions and a transaction’s details, list your cards, and freeze or unfreeze a card. ' +
  'Tap a button or ask, for example, “what’s my balance?” or “show my cards”.';
