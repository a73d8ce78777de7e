// What the device renders: each bot card as an envelope `type` and the payload sealed under
// it (web/src/cards.ts reads these shapes). Amounts travel as {amount, currency} with the sign
// in the amount, so the device formats money in its own locale. Notices carry nothing about
// the customer's money and go as plain text.
import type { BotCard } from './cards.ts';

export type DeviceMessage = { type: string; payload: Record<string, unknown> } | { text: string };

const money = (amount: string, currency: string, direction: 'Credit' | 'Debit') => ({
  amount: direction === 'Debit' && amount !== '0.00' ? `-${amount}` : amount,
  currency,
});

export function deviceMessage(card: BotCard): DeviceMessage {
  switch (card.kind) {
    case 'balance':
      return {
        type: 'balance',
        payload: {
          as_of: card.asOf,
          accounts: card.accounts.map((a) => ({
            name: a.name,
            type: a.type,
            // For a credit card this is the credit still available to spend, not money held.
            balance: money(a.available, a.currency, a.direction),
            ...(a.owed !== undefined ? { owed: { amount: a.owed, currency: a.currency } } : {}),
          })),
        },
      };
    case 'transactions':
      return {
        type: 'transactions',
        payload: {
          account: card.account,
          transactions: card.items.map((t) => ({
            id: t.id,
            booked_at: t.at,
            description: t.merchant ?? t.description,
            amount: { amount: t.amount, currency: t.currency },
            direction: t.direction,
            ...(t.pending ? { pending: true } : {}),
          })),
        },
      };
    case 'spending_data':
      return {
        type: 'spending_data',
        payload: {
          since: card.since,
          complete: card.complete,
          transactions: card.items.map((t) => ({
            id: t.id,
            booked_at: t.at,
            description: t.merchant ?? t.description,
            amount: { amount: t.amount, currency: t.currency },
            category: t.category,
            account: t.account,
          })),
        },
      };
    case 'transaction':
      return {
        type: 'transaction',
        payload: {
          transaction: {
            merchant: card.item.merchant ?? card.item.description,
            amount: money(card.item.amount, card.item.currency, card.item.direction),
            date: card.item.at,
            status: card.item.pending ? 'pending' : 'booked',
            category: card.item.category,
            ...(card.item.channel ? { channel: card.item.channel.replaceAll('_', ' ') } : {}),
            ...(card.item.country ? { country: card.item.country } : {}),
          },
        },
      };
    case 'card_status':
      return {
        type: 'cards',
        payload: {
          text: card.text,
          cards: card.cards.map((c) => ({
            id: c.id,
            type: c.type,
            last4: c.last4,
            frozen: c.status === 'frozen',
          })),
        },
      };
    case 'notice':
      return { text: card.text };
  }
}
