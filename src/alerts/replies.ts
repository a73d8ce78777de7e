// The reply side of the alert loop: the customer's "Yes, it was me" / "No" comes back sealed
// through the bank bot, which hands it here; screening records it (status, label).
import type { ScreeningService } from '../screening/index.ts';

/** The screening context's side of "Was this you?" answers (the bot calls it). */
export interface AlertReplies {
  /** Records the answer; returns the card to freeze on "no" (null when unknown or not this customer's). */
  answer(input: {
    bankId: string;
    customerId: string;
    alertId: string;
    answer: 'yes' | 'no';
  }): Promise<{ cardId: string | null; transactionId?: string } | null>;
}

/** The bot's side of answers: checks the alert is this customer's, records the answer. */
export function screeningReplies(screening: ScreeningService): AlertReplies {
  return {
    async answer({ bankId, customerId, alertId, answer }) {
      const alert = await screening.alert(alertId);
      if (!alert || alert.bankId !== bankId || alert.customerId !== customerId) return null;
      if (alert.reply !== null) return null;
      const updated = await screening.reply(alertId, answer);
      if (!updated || updated.reply !== answer) return null;
      return { cardId: updated.cardId, transactionId: updated.transactionId };
    },
  };
}
