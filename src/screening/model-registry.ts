// The models of the banks, in the database (migration 0450): every trained version kept with
// its training window, validation figures and threshold; one active per bank. Installing a
// version retires the previous one and sets the bank's threshold in one transaction; the
// screening service reads the active version and the threshold in one statement at the start
// of every group transaction, so a retrain takes over between two groups — atomically, on
// every instance, with nothing lost or screened twice (screening state does not depend on
// the model). `rollback` reactivates the newest retired version.
import { type Kysely, type QueryExecutorProvider, sql } from 'kysely';
import type { Database } from '../storage/index.ts';
import type { TrainedBankModel, ValidationFigures } from './bank-training.ts';
import { ScreeningModel, type ScreeningModelJson } from './model.ts';

export type ModelStatus = 'active' | 'retired' | 'rolled_back';

/** What a bank's model version is, without its trees. */
export interface BankModelSummary {
  readonly bankId: string;
  readonly version: number;
  readonly status: ModelStatus;
  readonly threshold: number;
  readonly trainedFrom: Date;
  readonly trainedTo: Date;
  readonly validation: ValidationFigures;
  /** Where the training history came from ("core", a file name). */
  readonly source: string;
  readonly trainingSeconds: number;
  readonly createdAt: Date;
  readonly activatedAt: Date | null;
}

interface Tables {
  screening_model: {
    bank_id: string;
    version: number;
    status: ModelStatus;
    model: unknown;
    threshold: number;
    trained_from: Date;
    trained_to: Date;
    validation: unknown;
    source: string;
    training_seconds: number;
    created_at: Date;
    activated_at: Date | null;
  };
  screening_bank: {
    bank_id: string;
    threshold: number;
    alerts_per_day: number | null;
    chosen_from: Date | null;
    chosen_to: Date | null;
    updated_at: Date;
  };
}

const SUMMARY_COLUMNS = [
  'bank_id',
  'version',
  'status',
  'threshold',
  'trained_from',
  'trained_to',
  'validation',
  'source',
  'training_seconds',
  'created_at',
  'activated_at',
] as const;

type SummaryRow = Pick<Tables['screening_model'], (typeof SUMMARY_COLUMNS)[number]>;

function toSummary(row: SummaryRow): BankModelSummary {
  return {
    bankId: row.bank_id,
    version: row.version,
    status: row.status,
    threshold: row.threshold,
    trainedFrom: new Date(row.trained_from),
    trainedTo: new Date(row.trained_to),
    validation: (typeof row.validation === 'string'
      ? JSON.parse(row.validation)
      : row.validation) as ValidationFigures,
    source: row.source,
    trainingSeconds: row.training_seconds,
    createdAt: new Date(row.created_at),
    activatedAt: row.activated_at === null ? null : new Date(row.activated_at),
  };
}

class NothingToRollBack extends Error {}

export class ModelRegistry {
  private readonly db: Kysely<Tables>;
  /** Parsed trees by bank and version (versions never change once written). */
  private readonly loaded = new Map<string, { version: number; model: ScreeningModel }>();

  constructor(database: Database) {
    this.db = database.tables<Tables>();
  }

  /**
   * The bank's active model (null: none trained, use the shipped one) and its threshold (null:
   * none set), read in one statement so both come from the same snapshot. Called inside the
   * screening transaction.
   */
  async current(
    executor: QueryExecutorProvider,
    bankId: string,
  ): Promise<{ model: ScreeningModel | null; version: number | null; threshold: number | null }> {
    const { rows } = await sql<{ threshold: number | null; version: number | null }>`
      select (select threshold from screening_bank where bank_id = ${bankId}) as threshold,
             (select version from screening_model where bank_id = ${bankId} and status = 'active') as version`.execute(
      executor,
    );
    const { threshold, version } = rows[0] ?? { threshold: null, version: null };
    if (version === null) return { model: null, version: null, threshold };
    const cached = this.loaded.get(bankId);
    if (cached?.version === version) return { model: cached.model, version, threshold };
    const { rows: found } = await sql<{ model: unknown }>`
      select model from screening_model where bank_id = ${bankId} and version = ${version}`.execute(executor);
    const json = found[0]?.model;
    const model = new ScreeningModel(
      (typeof json === 'string' ? JSON.parse(json) : json) as ScreeningModelJson,
    );
    this.loaded.set(bankId, { version, model });
    return { model, version, threshold };
  }

  /** Stores a trained model as the bank's new active version; the previous one is kept, retired. */
  async install(
    bankId: string,
    trained: TrainedBankModel,
    options: { source: string; trainingSeconds: number },
  ): Promise<BankModelSummary> {
    const now = new Date();
    return this.db.transaction().execute(async (trx) => {
      await this.lockBank(trx, bankId, now);
      const { rows } = await sql<{ next: number }>`
        select coalesce(max(version), 0) + 1 as next from screening_model where bank_id = ${bankId}`.execute(
        trx,
      );
      const version = Number(rows[0]!.next);
      await trx
        .updateTable('screening_model')
        .set({ status: 'retired' })
        .where('bank_id', '=', bankId)
        .where('status', '=', 'active')
        .execute();
      const row = await trx
        .insertInto('screening_model')
        .values({
          bank_id: bankId,
          version,
          status: 'active',
          model: JSON.stringify(trained.model),
          threshold: trained.threshold,
          trained_from: new Date(trained.model.training.from),
          trained_to: new Date(trained.model.training.to),
          validation: JSON.stringify(trained.validation),
          source: options.source,
          training_seconds: options.trainingSeconds,
          created_at: now,
          activated_at: now,
        })
        .returning(SUMMARY_COLUMNS)
        .executeTakeFirstOrThrow();
      await this.setThreshold(trx, bankId, trained.threshold, now);
      return toSummary(row);
    });
  }

  /**
   * Puts the newest retired version back in service (and its threshold); the version it
   * replaces is marked rolled_back. Undefined when there is nothing to roll back to.
   */
  async rollback(bankId: string): Promise<BankModelSummary | undefined> {
    const now = new Date();
    return this.db
      .transaction()
      .execute(async (trx) => {
        await this.lockBank(trx, bankId, now);
        const active = await trx
          .selectFrom('screening_model')
          .select('version')
          .where('bank_id', '=', bankId)
          .where('status', '=', 'active')
          .executeTakeFirst();
        let previous = trx
          .selectFrom('screening_model')
          .select('version')
          .where('bank_id', '=', bankId)
          .where('status', '=', 'retired');
        if (active !== undefined) previous = previous.where('version', '<', active.version);
        const back = await previous.orderBy('version', 'desc').limit(1).executeTakeFirst();
        // Nothing to go back to: roll the transaction back (the lock row included).
        if (back === undefined) throw new NothingToRollBack();
        if (active !== undefined)
          await trx
            .updateTable('screening_model')
            .set({ status: 'rolled_back' })
            .where('bank_id', '=', bankId)
            .where('version', '=', active.version)
            .execute();
        const row = await trx
          .updateTable('screening_model')
          .set({ status: 'active', activated_at: now })
          .where('bank_id', '=', bankId)
          .where('version', '=', back.version)
          .returning(SUMMARY_COLUMNS)
          .executeTakeFirstOrThrow();
        await this.setThreshold(trx, bankId, row.threshold, now);
        return toSummary(row);
      })
      .catch((error: unknown) => {
        if (error instanceof NothingToRollBack) return undefined;
        throw error;
      });
  }

  /** The bank's versions, newest first. */
  async versions(bankId: string): Promise<BankModelSummary[]> {
    const rows = await this.db
      .selectFrom('screening_model')
      .select(SUMMARY_COLUMNS)
      .where('bank_id', '=', bankId)
      .orderBy('version', 'desc')
      .execute();
    return rows.map(toSummary);
  }

  /** The active version of every bank that has one. */
  async active(): Promise<BankModelSummary[]> {
    const rows = await this.db
      .selectFrom('screening_model')
      .select(SUMMARY_COLUMNS)
      .where('status', '=', 'active')
      .orderBy('bank_id')
      .execute();
    return rows.map(toSummary);
  }

  /** Serialises installs and rollbacks of one bank (its threshold row, locked). */
  private async lockBank(trx: Kysely<Tables>, bankId: string, now: Date): Promise<void> {
    await trx
      .insertInto('screening_bank')
      .values({
        bank_id: bankId,
        threshold: 0.5,
        alerts_per_day: null,
        chosen_from: null,
        chosen_to: null,
        updated_at: now,
      })
      .onConflict((oc) => oc.column('bank_id').doUpdateSet({ updated_at: sql`screening_bank.updated_at` }))
      .execute();
  }

  /** The model's threshold becomes the bank's, fixed (a daily budget would move it). */
  private async setThreshold(
    trx: Kysely<Tables>,
    bankId: string,
    threshold: number,
    now: Date,
  ): Promise<void> {
    await trx
      .updateTable('screening_bank')
      .set({ threshold, alerts_per_day: null, chosen_from: null, chosen_to: null, updated_at: now })
      .where('bank_id', '=', bankId)
      .execute();
  }
}
