// Labels: what the bank learnt about a screened transaction (the customer's answer, staff's
// decision, a chargeback) fed back into the card's and terminal's states.
import type { Kysely } from 'kysely';
import { DAY_MS, FeatureEngine } from './features.ts';
import { emptyCustomerState } from './state.ts';
import { lockStates, saveStates } from './state-rows.ts';
import { LockedStore } from './state-stores.ts';
import type { ScreeningTables } from './tables.ts';

export class Labels {
  private readonly db: Kysely<ScreeningTables>;
  private readonly labelDelayDays: number;
  private readonly now: () => Date;
  constructor(db: Kysely<ScreeningTables>, labelDelayDays: number, now: () => Date) {
    this.db = db;
    this.labelDelayDays = labelDelayDays;
    this.now = now;
  }

  /**
   * A label the bank learnt (chargeback, investigation) at `at`. It reaches the features
   * only from max(at, transaction time + label delay) — or at `at` itself when `confirmed`
   * (the customer's reply or staff's decision on the alert: the same day, not weeks later).
   * False if the transaction was never screened.
   */
  async recordLabel(
    bankId: string,
    transactionId: string,
    isFraud: boolean,
    at: Date = this.now(),
    confirmed = false,
  ): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      const tx = await trx
        .selectFrom('screening_event')
        .select(['card_id', 'terminal_id', 'at'])
        .where('bank_id', '=', bankId)
        .where('transaction_id', '=', transactionId)
        .executeTakeFirst();
      if (tx === undefined) return false;
      // Same lock order as screening (card before terminal).
      const [cardState, , terminalState] = await lockStates(
        trx,
        bankId,
        [
          ['card', tx.card_id],
          ['terminal', tx.terminal_id],
        ],
        this.labelDelayDays * DAY_MS,
      );
      const engine = new FeatureEngine({
        labelDelayDays: this.labelDelayDays,
        store: new LockedStore(cardState, emptyCustomerState(), terminalState),
      });
      engine.applyLabel(
        { id: transactionId, card: tx.card_id, terminal: tx.terminal_id, t: new Date(tx.at).getTime() },
        isFraud,
        at.getTime(),
        confirmed,
      );
      await saveStates(trx, bankId, [
        ['card', tx.card_id, cardState],
        ['terminal', tx.terminal_id, terminalState],
      ]);
      await trx
        .updateTable('screening_event')
        .set({ label: isFraud ? 1 : 0, label_at: at })
        .where('bank_id', '=', bankId)
        .where('transaction_id', '=', transactionId)
        .execute();
      return true;
    });
  }
}
