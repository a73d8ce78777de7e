// The plaintext payloads the bot seals to the device. They are rendered by the device
// after decryption; the relay only ever sees them sealed. Amounts stay decimal strings.
import type { Account, Balance, Card, Transaction } from '../bank/index.ts';

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
      item: TransactionLine & { country: string | null; channel: string; mcc: string | null };
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

export function balanceCard(accounts: Account[], balances: Balance[]): BotCard {
  return {
    kind: 'balance',
    asOf: new Date().toISOString(),
    accounts: accounts.flatMap((a) => {
      const available = balances.find((b) => b.accountId === a.id && b.type === 'InterimAvailable');
      const booked = balances.find((b) => b.accountId === a.id && b.type === 'InterimBooked');
      const owed =
        a.kind === 'credit_card' && booked
          ? { owed: booked.creditDebit === 'Debit' ? booked.amount : '0.00' }
          : {};
      return available
        ? [
            {
              name: a.nickname || KIND_NAME[a.kind],
              type: a.kind,
              available: available.amount,
              currency: available.currency,
              direction: available.creditDebit,
              ...owed,
            },
          ]
        : [];
    }),
    quickReplies: MAIN_MENU,
  };
}

export function transactionLine(t: Transaction): TransactionLine {
  return {
    id: t.id,
    at: t.bookedAt.toISOString(),
    description: t.description,
    merchant: t.merchantName,
    amount: t.amount,
    currency: t.currency,
    direction: t.creditDebit,
    category: t.category,
    pending: t.status === 'pending',
  };
}

export function transactionsCard(account: Account, items: Transaction[]): BotCard {
  return {
    kind: 'transactions',
    account: account.nickname || KIND_NAME[account.kind],
    items: items.map(transactionLine),
    quickReplies: [
      { title: 'Balance', payload: 'BALANCE' },
      ...items.slice(0, 3).map((t) => ({
        title: `Details: ${t.merchantName ?? t.description}`.slice(0, 40),
        payload: `TX_DETAIL:${t.id}`,
      })),
    ],
  };
}

/** Every debit since a day across the shared accounts: raw material for sums on the device. */
export function spendingDataCard(
  since: string,
  rows: { account: Account; items: Transaction[] }[],
  complete: boolean,
): BotCard {
  return {
    kind: 'spending_data',
    since,
    complete,
    items: rows.flatMap(({ account, items }) =>
      items
        .filter((t) => t.creditDebit === 'Debit')
        .map((t) => ({ ...transactionLine(t), account: account.nickname || KIND_NAME[account.kind] })),
    ),
  };
}

export function transactionCard(t: Transaction): BotCard {
  return {
    kind: 'transaction',
    item: { ...transactionLine(t), country: t.country, channel: t.channel, mcc: t.mcc },
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
