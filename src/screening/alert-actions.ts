// The fraud team's actions on alerts, as the bank keeps them: which action, by which staff
// user, when, the contact attempt's channel and outcome, and the transparency-log entry that
// records it publicly (the log carries only the kind; the note stays here).
import { randomUUID } from 'node:crypto';
import type { Database } from '../storage/index.ts';

export const INVESTIGATOR_ACTIONS = ['confirm_fraud', 'clear', 'unfreeze_card', 'contact'] as const;
export type InvestigatorAction = (typeof INVESTIGATOR_ACTIONS)[number];
export const CONTACT_CHANNELS = ['phone', 'sms', 'email', 'letter'] as const;
export type ContactChannel = (typeof CONTACT_CHANNELS)[number];
export const CONTACT_OUTCOMES = ['reached', 'no_answer', 'left_message'] as const;
export type ContactOutcome = (typeof CONTACT_OUTCOMES)[number];

export interface AlertAction {
  readonly id: string;
  readonly bankId: string;
  readonly alertId: string;
  readonly action: InvestigatorAction;
  readonly staff: string;
  readonly channel: ContactChannel | null;
  readonly outcome: ContactOutcome | null;
  readonly note: string | null;
  readonly logIndex: number;
  readonly at: Date;
}

interface Tables {
  screening_alert_action: {
    id: string;
    bank_id: string;
    alert_id: string;
    action: InvestigatorAction;
    staff: string;
    channel: ContactChannel | null;
    outcome: ContactOutcome | null;
    note: string | null;
    log_index: number;
    at: Date;
  };
}

export class AlertActionStore {
  readonly #db;
  constructor(database: Database) {
    this.#db = database.tables<Tables>();
  }

  async add(input: Omit<AlertAction, 'id' | 'at'> & { at?: Date }): Promise<AlertAction> {
    const row = await this.#db
      .insertInto('screening_alert_action')
      .values({
        id: `act_${randomUUID()}`,
        bank_id: input.bankId,
        alert_id: input.alertId,
        action: input.action,
        staff: input.staff,
        channel: input.channel,
        outcome: input.outcome,
        note: input.note,
        log_index: input.logIndex,
        at: input.at ?? new Date(),
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toAction(row);
  }

  /** The actions on these alerts, oldest first, by alert id. */
  async forAlerts(bankId: string, alertIds: readonly string[]): Promise<Map<string, AlertAction[]>> {
    const byAlert = new Map<string, AlertAction[]>();
    if (alertIds.length === 0) return byAlert;
    const rows = await this.#db
      .selectFrom('screening_alert_action')
      .selectAll()
      .where('bank_id', '=', bankId)
      .where('alert_id', 'in', [...alertIds])
      .orderBy('at')
      .orderBy('log_index')
      .execute();
    for (const row of rows) {
      const list = byAlert.get(row.alert_id) ?? [];
      list.push(toAction(row));
      byAlert.set(row.alert_id, list);
    }
    return byAlert;
  }
}

function toAction(row: Tables['screening_alert_action']): AlertAction {
  return {
    id: row.id,
    bankId: row.bank_id,
    alertId: row.alert_id,
    action: row.action,
    staff: row.staff,
    channel: row.channel,
    outcome: row.outcome,
    note: row.note,
    logIndex: Number(row.log_index),
    at: new Date(row.at),
  };
}
