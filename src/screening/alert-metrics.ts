// /metrics for the alert loop and the banks' models, read from the database on each scrape
// (so every gateway instance reports the same figures, and they survive restarts):
//   proviso_screening_alerts_total{bank,kind,outcome}  kind: model | rule (a bank rule raised it);
//     outcome: raised, device (asked in chat), answered, fraud_confirmed ("No"),
//     false_alarm_confirmed ("Yes, it was me"), escalated (no reply in time)
//   proviso_screening_model_info{bank,version,trained_from,trained_to,source} 1
//   proviso_screening_model_threshold{bank}
//   proviso_screening_model_validation{bank,figure}  AUC, AP, false alarms, share caught per kind
import { sql } from 'kysely';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Database } from '../storage/index.ts';
import { FRAUD_KINDS } from './bank-training.ts';
import type { ModelRegistry } from './model-registry.ts';

const OUTCOMES = [
  'raised',
  'device',
  'answered',
  'fraud_confirmed',
  'false_alarm_confirmed',
  'escalated',
] as const;

export function screeningMetrics(
  registry: Registry,
  database: Database,
  models: ModelRegistry | undefined,
): void {
  const db = database.tables<unknown>();
  new Counter({
    name: 'proviso_screening_alerts_total',
    help: 'Fraud alerts per bank, kind (model or rule) and outcome',
    labelNames: ['bank', 'kind', 'outcome'],
    registers: [registry],
    async collect() {
      const { rows } = await sql<
        Record<(typeof OUTCOMES)[number], number> & { bank_id: string; kind: string }
      >`
        select bank_id,
               case when reasons::text like '%"rule:%' then 'rule' else 'model' end as kind,
               count(*)::int as raised,
               count(*) filter (where delivery = 'device')::int as device,
               count(*) filter (where reply is not null)::int as answered,
               count(*) filter (where status = 'confirmed_fraud')::int as fraud_confirmed,
               count(*) filter (where reply = 'yes')::int as false_alarm_confirmed,
               count(*) filter (where status = 'escalated')::int as escalated
          from screening_alert group by 1, 2`.execute(db);
      this.reset();
      for (const row of rows)
        for (const outcome of OUTCOMES)
          this.inc({ bank: row.bank_id, kind: row.kind, outcome }, Number(row[outcome]));
    },
  });
  if (models === undefined) return;
  new Gauge({
    name: 'proviso_screening_model_info',
    help: "The bank's active screening model (1), with its version and training window",
    labelNames: ['bank', 'version', 'trained_from', 'trained_to', 'source'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const m of await models.active())
        this.set(
          {
            bank: m.bankId,
            version: String(m.version),
            trained_from: m.trainedFrom.toISOString(),
            trained_to: m.trainedTo.toISOString(),
            source: m.source,
          },
          1,
        );
    },
  });
  new Gauge({
    name: 'proviso_screening_model_threshold',
    help: "Alert threshold chosen with the bank's active model",
    labelNames: ['bank'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const m of await models.active()) this.set({ bank: m.bankId }, m.threshold);
    },
  });
  new Gauge({
    name: 'proviso_screening_model_validation',
    help: "Validation figures of the bank's active model (held-out latest labelled days)",
    labelNames: ['bank', 'figure'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const m of await models.active()) {
        const v = m.validation;
        const set = (figure: string, value: number) => {
          if (Number.isFinite(value)) this.set({ bank: m.bankId, figure }, value);
        };
        set('auc_roc', v.aucRoc);
        set('average_precision', v.averagePrecision);
        set('false_alarms_per_1000_genuine', v.falseAlarmsPer1000);
        set('false_alarms_per_customer_month', v.falseAlarmsPerCustomerMonth);
        for (const kind of FRAUD_KINDS) set(`caught_${kind.replaceAll('-', '_')}`, v.caught[kind].share);
      }
    },
  });
}
