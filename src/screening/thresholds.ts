// The bank's alert threshold: fixed by hand, or chosen from its screened history for a daily
// alert budget and re-chosen as its traffic drifts.
import { type Kysely, sql } from 'kysely';
import type { ScreeningTables } from './tables.ts';
import { type BudgetThreshold, thresholdForDailyBudget } from './threshold.ts';

export class Thresholds {
  private readonly db: Kysely<ScreeningTables>;
  private readonly defaultThreshold: number;
  private readonly now: () => Date;
  constructor(db: Kysely<ScreeningTables>, defaultThreshold: number, now: () => Date) {
    this.db = db;
    this.defaultThreshold = defaultThreshold;
    this.now = now;
  }

  /** The bank's threshold now (chosen, else the default). */
  async threshold(bankId: string): Promise<number> {
    const row = await this.db
      .selectFrom('screening_bank')
      .select('threshold')
      .where('bank_id', '=', bankId)
      .executeTakeFirst();
    return row?.threshold ?? this.defaultThreshold;
  }

  /**
   * Chooses and stores the bank's threshold so that its screened history of the last `days`
   * days would have raised `alertsPerDay` alerts a day on average (bank rules aside).
   */
  async chooseThreshold(
    bankId: string,
    alertsPerDay: number,
    options: { days?: number; until?: Date } = {},
  ): Promise<BudgetThreshold> {
    let q = this.db.selectFrom('screening_event').select(['at', 'score']).where('bank_id', '=', bankId);
    let until: Date | undefined = options.until;
    if (until === undefined) {
      const last = await this.db
        .selectFrom('screening_event')
        .select(sql<Date>`max(at)`.as('last'))
        .where('bank_id', '=', bankId)
        .executeTakeFirst();
      until = last?.last ? new Date(last.last) : this.now();
    }
    const from = new Date(until.getTime() - (options.days ?? 28) * 86_400_000);
    q = q.where('at', '>', from).where('at', '<=', until);
    const history = (await q.execute()).map((row) => ({
      time: new Date(row.at).getTime(),
      score: row.score,
    }));
    const chosen = thresholdForDailyBudget(history, alertsPerDay);
    await this.db
      .insertInto('screening_bank')
      .values({
        bank_id: bankId,
        threshold: chosen.threshold,
        alerts_per_day: alertsPerDay,
        chosen_from: from,
        chosen_to: until,
        updated_at: this.now(),
      })
      .onConflict((oc) =>
        oc.column('bank_id').doUpdateSet({
          threshold: chosen.threshold,
          alerts_per_day: alertsPerDay,
          chosen_from: from,
          chosen_to: until,
          updated_at: this.now(),
        }),
      )
      .execute();
    return chosen;
  }

  /** Sets a bank's threshold by hand. */
  /**
   * Re-chooses every budget threshold (set through chooseThreshold) chosen longer than
   * `olderThanMs` ago, over the same number of days as before: a bank's traffic drifts (new
   * cards and terminals fill their 30-day windows, seasons change), and a threshold chosen
   * once would drift away from the budget with it. Fixed thresholds (setThreshold) stay.
   * Returns the banks re-chosen.
   */
  async refreshBudgetThresholds(olderThanMs = 86_400_000): Promise<string[]> {
    const stale = await this.db
      .selectFrom('screening_bank')
      .select(['bank_id', 'alerts_per_day', 'chosen_from', 'chosen_to'])
      .where('alerts_per_day', 'is not', null)
      .where('updated_at', '<', new Date(this.now().getTime() - olderThanMs))
      .execute();
    const refreshed: string[] = [];
    for (const row of stale) {
      const days =
        row.chosen_from !== null && row.chosen_to !== null
          ? Math.max(
              1,
              Math.round(
                (new Date(row.chosen_to).getTime() - new Date(row.chosen_from).getTime()) / 86_400_000,
              ),
            )
          : 28;
      await this.chooseThreshold(row.bank_id, row.alerts_per_day!, { days });
      refreshed.push(row.bank_id);
    }
    return refreshed;
  }

  async setThreshold(bankId: string, threshold: number): Promise<void> {
    if (!(threshold >= 0 && threshold <= 1)) throw new Error('threshold must be within [0, 1]');
    await this.db
      .insertInto('screening_bank')
      .values({
        bank_id: bankId,
        threshold,
        alerts_per_day: null,
        chosen_from: null,
        chosen_to: null,
        updated_at: this.now(),
      })
      .onConflict((oc) =>
        oc.column('bank_id').doUpdateSet({ threshold, alerts_per_day: null, updated_at: this.now() }),
      )
      .execute();
  }
}
