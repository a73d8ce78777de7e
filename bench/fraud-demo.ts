// The demo banks' own alerts: each bank's model is trained on 90 days of its simulated
// history (as `proviso start` does at first start), then the NEXT month of its traffic is
// replayed in time order and the customer-facing figures are printed: false alarms per 1,000
// genuine payments and per customer per month, and the share of injected frauds caught per
// kind — with labels after the 7-day delay only, and with 80 % of alerted customers answering
// within the hour. Run on its own: node bench/fraud-demo.ts [customers]
import { DEMO_BANKS, demoAuthorisations, generateCustomer } from '../src/bank/index.ts';
import { DEMO_SCREENING_RULES } from '../src/gateway/screening-rules.ts';
import {
  type AlertFigures,
  type BankAuthorisation,
  FRAUD_KINDS,
  replayAlerts,
  ScreeningModel,
  trainBankModel,
} from '../src/screening/index.ts';

const DAY = 86_400_000;
const SEED = 1;

export interface DemoBankResult {
  bank: string;
  customers: number;
  trainingSeconds: number;
  threshold: number;
  validation: AlertFigures;
  month: { delayOnly: AlertFigures; replies80: AlertFigures };
}

/** A bank's simulated authorisations over `days` ending at `end`, with the injected frauds. */
export function simulatedHistory(
  bankId: string,
  customers: number,
  days: number,
  end: Date,
): BankAuthorisation[] {
  const bank = DEMO_BANKS.find((b) => b.id === bankId)!;
  const people = Array.from({ length: customers }, (_, i) =>
    generateCustomer(i, { seed: SEED, bankId, region: bank.region, days, end }),
  );
  return demoAuthorisations(people, { seed: SEED, bankId, currency: bank.region.currency }).map(
    ({ fraud, ...event }) => ({ event, fraud }),
  );
}

export function demoBankBench(customers: number): DemoBankResult[] {
  const end = new Date('2026-11-01T00:00:00Z');
  const results: DemoBankResult[] = [];
  for (const bank of DEMO_BANKS) {
    // 120 days: the first 90 are what the bank holds at first start, the last 30 the month after.
    const all = simulatedHistory(bank.id, customers, 120, end);
    const monthStart = end.getTime() - 30 * DAY;
    const known = all.filter((row) => Date.parse(row.event.time) < monthStart);
    const started = performance.now();
    const trained = trainBankModel(known, { rules: DEMO_SCREENING_RULES });
    const trainingSeconds = (performance.now() - started) / 1000;
    const model = new ScreeningModel(trained.model);
    const replay = (replyRate: number) =>
      replayAlerts(all, {
        model,
        threshold: trained.threshold,
        rules: DEMO_SCREENING_RULES,
        replyRate,
        measureFrom: monthStart,
      });
    results.push({
      bank: bank.id,
      customers,
      trainingSeconds,
      threshold: trained.threshold,
      validation: trained.validation,
      month: { delayOnly: replay(0), replies80: replay(0.8) },
    });
  }
  return results;
}

const pct = (v: number) => (Number.isNaN(v) ? '—' : `${(100 * v).toFixed(1)} %`);

export function printDemoBanks(results: readonly DemoBankResult[]): void {
  console.log(
    "\nDemo banks: model trained on 90 days of the bank's own history, then the next month replayed in time order",
  );
  console.log(
    'goals: ≤ 1 false alarm per 1,000 genuine, ≤ 1 per customer per month; caught ≥ 90 % big-ticket and',
  );
  console.log('leaked-card, ≥ 80 % compromised-terminal once the terminal has a confirmed fraud\n');
  console.log(
    '| bank | labels | genuine | false alarms | per 1,000 genuine | per customer-month | big-ticket | leaked-card | compromised terminal (eligible) |',
  );
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const r of results) {
    for (const [name, f] of [
      ['validation (14 days)', r.validation],
      ['month, delay only', r.month.delayOnly],
      ['month, 80 % reply', r.month.replies80],
    ] as const) {
      const c = f.caught;
      console.log(
        `| ${r.bank} | ${name} | ${f.genuine} | ${f.falseAlarms} | ${f.falseAlarmsPer1000.toFixed(2)} | ${f.falseAlarmsPerCustomerMonth.toFixed(3)} | ${pct(c['big-ticket'].share)} of ${c['big-ticket'].eligible} | ${pct(c['leaked-card'].share)} of ${c['leaked-card'].eligible} | ${pct(c['compromised-terminal'].share)} of ${c['compromised-terminal'].eligible} (${c['compromised-terminal'].frauds} in all) |`,
      );
    }
    console.log(
      `|   | ${r.bank}: ${r.customers} customers, threshold ${r.threshold.toFixed(3)}, trained in ${r.trainingSeconds.toFixed(1)} s | | | | | | | |`,
    );
  }
  void FRAUD_KINDS;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const customers = Number(process.argv[2] ?? 1000);
  printDemoBanks(demoBankBench(customers));
}
