// The tenants: banks with an id and a display name.
import type { Database } from '../storage/index.ts';
import type { CoreTables } from './tables.ts';

export interface Bank {
  id: string;
  name: string;
}

export class BankDirectory {
  readonly #db;
  constructor(database: Database) {
    this.#db = database.tables<CoreTables>();
  }
  async list(): Promise<Bank[]> {
    return this.#db.selectFrom('bank').select(['id', 'name']).orderBy('created_at').orderBy('id').execute();
  }
  async get(id: string): Promise<Bank | null> {
    return (
      (await this.#db.selectFrom('bank').select(['id', 'name']).where('id', '=', id).executeTakeFirst()) ??
      null
    );
  }
  /** Creates the bank if absent; keeps an existing bank's name. */
  async ensure(bank: Bank): Promise<void> {
    await this.#db
      .insertInto('bank')
      .values(bank)
      .onConflict((oc) => oc.column('id').doNothing())
      .execute();
  }
}
