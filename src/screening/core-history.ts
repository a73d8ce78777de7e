// A bank's labelled card history from its core: the card payments the core booked, and which
// of them were fraud. The demo banks' cores are the simulator's; their fraud labels are the
// simulator's injected frauds (big-ticket, compromised terminal, leaked card), drawn from the
// core's own payments with the bank's seed exactly as `demoAuthorisations` draws them for the
// demo and the bench. A real bank would join its chargeback and case tables here instead.
import { sql } from 'kysely';
import { demoAuthorisations, type SimCustomer } from '../bank/index.ts';
import type { Database } from '../storage/index.ts';
import { type BankAuthorisation, trainBankModel } from './bank-training.ts';
import type { BankModelSummary, ModelRegistry } from './model-registry.ts';
import type { Rule } from './rules.ts';
import { warmScreeningState } from './state-warmup.ts';

interface CoreCardPayment {
  id: string;
  customer_id: string;
  booked_at: Date;
  status: string;
  amount: string;
  credit_debit: string;
  merchant_name: string | null;
  mcc: string | null;
  country: string | null;
  channel: string;
  card_id: string;
  account_id: string;
}

/** How many card payments the bank's core holds (0: nothing to train on). */
export async function coreCardPayments(database: Database, bankId: string): Promise<number> {
  const { rows } = await sql<{ n: number }>`
    select count(*)::int as n from core_transaction
     where bank_id = ${bankId} and card_id is not null and credit_debit = 'Debit'`.execute(
    database.tables<unknown>(),
  );
  return Number(rows[0]?.n ?? 0);
}

/** The bank's card authorisations with their fraud labels, from the core's booked payments. */
export async function coreHistory(
  database: Database,
  bankId: string,
  options: { seed: number; currency: string },
): Promise<BankAuthorisation[]> {
  const { rows } = await sql<CoreCardPayment>`
    select t.id, a.customer_id, t.booked_at, t.status, t.amount::text as amount, t.credit_debit,
           t.merchant_name, t.mcc, t.country, t.channel, t.card_id, t.account_id
      from core_transaction t
      join core_account a on a.bank_id = t.bank_id and a.id = t.account_id
     where t.bank_id = ${bankId} and t.card_id is not null and t.credit_debit = 'Debit'`.execute(
    database.tables<unknown>(),
  );
  const customers = new Map<string, SimCustomer>();
  for (const row of rows) {
    let customer = customers.get(row.customer_id);
    if (customer === undefined) {
      customer = {
        id: row.customer_id,
        displayName: '',
        username: '',
        createdAt: new Date(0),
        accounts: [],
        cards: [],
        transactions: [],
      };
      customers.set(row.customer_id, customer);
    }
    customer.transactions.push({
      id: row.id,
      accountId: row.account_id,
      bookedAt: new Date(row.booked_at),
      status: row.status === 'pending' ? 'pending' : 'booked',
      amountMinor: Math.round(Number(row.amount) * 100),
      creditDebit: 'Debit',
      description: '',
      merchantName: row.merchant_name,
      mcc: row.mcc,
      country: row.country,
      channel: row.channel as SimCustomer['transactions'][number]['channel'],
      category: '',
      cardId: row.card_id,
    });
  }
  return demoAuthorisations([...customers.values()], {
    seed: options.seed,
    bankId,
    currency: options.currency,
  }).map(({ fraud, ...event }) => ({ event, fraud }));
}

export interface CoreTrainingOptions {
  readonly seed: number;
  readonly currency: string;
  readonly rules?: readonly Rule[];
  readonly trees?: number;
}

/** Trains the bank's model on its core history and installs it as the active version. */
export async function trainFromCore(
  database: Database,
  registry: ModelRegistry,
  bankId: string,
  options: CoreTrainingOptions,
): Promise<BankModelSummary> {
  const started = performance.now();
  const history = await coreHistory(database, bankId, options);
  const trained = trainBankModel(history, {
    ...(options.rules ? { rules: options.rules } : {}),
    ...(options.trees ? { trees: options.trees } : {}),
  });
  const installed = await registry.install(bankId, trained, {
    source: 'core',
    trainingSeconds: (performance.now() - started) / 1000,
  });
  // A bank screening for the first time starts from its history, not from empty state.
  await warmScreeningState(database, bankId, trained.state);
  return installed;
}

/**
 * First start: every bank without a model of its own whose core holds card payments gets
 * one trained on that history. A bank with too little history keeps the shipped model (said
 * through `log`). Returns what was installed.
 */
export async function trainMissingBankModels(
  database: Database,
  registry: ModelRegistry,
  banks: readonly { id: string; currency: string }[],
  options: { seed: number; rules?: readonly Rule[]; log?: (message: string) => void },
): Promise<BankModelSummary[]> {
  const installed: BankModelSummary[] = [];
  const have = new Set((await registry.active()).map((model) => model.bankId));
  for (const bank of banks) {
    if (have.has(bank.id) || (await coreCardPayments(database, bank.id)) === 0) continue;
    try {
      const model = await trainFromCore(database, registry, bank.id, {
        seed: options.seed,
        currency: bank.currency,
        ...(options.rules ? { rules: options.rules } : {}),
      });
      installed.push(model);
      options.log?.(
        `${bank.id}: screening model v${model.version} trained on its own history in ${model.trainingSeconds.toFixed(1)} s ` +
          `(threshold ${model.threshold.toFixed(3)}, ${model.validation.falseAlarmsPer1000.toFixed(2)} false alarms per 1,000 genuine in validation)`,
      );
    } catch (error) {
      options.log?.(
        `${bank.id}: no model of its own yet (${error instanceof Error ? error.message : String(error)}); using the shipped model`,
      );
    }
  }
  return installed;
}
