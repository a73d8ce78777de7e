// Figures about a bank's screening for the investigator view, audits and tests.
import { type Kysely, sql } from 'kysely';
import type { CardState } from './state.ts';
import { readState } from './state-rows.ts';
import type { ScreeningTables } from './tables.ts';

export class ScreeningReports {
  private readonly db: Kysely<ScreeningTables>;
  constructor(db: Kysely<ScreeningTables>) {
    this.db = db;
  }

  /** How many authorisations of a bank were screened (and how many alerted). */
  async counts(bankId: string): Promise<{ events: number; alerts: number; late: number }> {
    const row = await this.db
      .selectFrom('screening_event')
      .select([
        sql<number>`count(*)::int`.as('events'),
        sql<number>`count(*) filter (where alert)::int`.as('alerts'),
        sql<number>`count(*) filter (where late)::int`.as('late'),
      ])
      .where('bank_id', '=', bankId)
      .executeTakeFirstOrThrow();
    return row;
  }

  /** Alerts per hour (created_at) between `from` and `to`, for the investigator chart. */
  async alertsPerHour(bankId: string, from: Date, to: Date): Promise<{ hour: Date; alerts: number }[]> {
    const rows = await this.db
      .selectFrom('screening_alert')
      .select([sql<Date>`date_trunc('hour', created_at)`.as('hour'), sql<number>`count(*)::int`.as('alerts')])
      .where('bank_id', '=', bankId)
      .where('created_at', '>=', from)
      .where('created_at', '<', to)
      .groupBy(sql`1`)
      .orderBy(sql`1`)
      .execute();
    return rows.map((row) => ({ hour: new Date(row.hour), alerts: row.alerts }));
  }

  /**
   * Precision of the alerts per day (created_at, UTC): confirmed fraud / alerts with an
   * outcome (cleared or confirmed). Days without a resolved alert have precision null.
   */
  async precisionByDay(
    bankId: string,
    from: Date,
    to: Date,
  ): Promise<{ day: string; alerts: number; resolved: number; fraud: number; precision: number | null }[]> {
    const rows = await this.db
      .selectFrom('screening_alert')
      .select([
        sql<string>`to_char(created_at at time zone 'UTC', 'YYYY-MM-DD')`.as('day'),
        sql<number>`count(*)::int`.as('alerts'),
        sql<number>`count(*) filter (where status in ('cleared', 'confirmed_fraud'))::int`.as('resolved'),
        sql<number>`count(*) filter (where status = 'confirmed_fraud')::int`.as('fraud'),
      ])
      .where('bank_id', '=', bankId)
      .where('created_at', '>=', from)
      .where('created_at', '<', to)
      .groupBy(sql`1`)
      .orderBy(sql`1`)
      .execute();
    return rows.map((row) => ({ ...row, precision: row.resolved > 0 ? row.fraud / row.resolved : null }));
  }

  /** Every card's history as the engine holds it (tests and audits: nothing lost, nothing twice). */
  async cardHistory(bankId: string, cardId: string): Promise<string[]> {
    const row = await this.db
      .selectFrom('screening_state')
      .select(['state', 'steps'])
      .where('bank_id', '=', bankId)
      .where('kind', '=', 'card')
      .where('key', '=', cardId)
      .executeTakeFirst();
    // A card's replay never reads the label delay (only a terminal's does).
    return row === undefined ? [] : [...(readState('card', row.state, row.steps, 0) as CardState).id];
  }
}
