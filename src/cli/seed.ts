// `proviso seed`: fills a bank's simulated core with customers.
import { DEMO_BANKS, regionFor, seedBank } from '../bank/index.ts';
import type { Database } from '../storage/index.ts';
import { progressBar } from './progress.ts';

export interface SeedCommand {
  bankIds: string[];
  customers: number;
  days: number;
  seed: number;
  end: Date;
}

export async function runSeed(database: Database, cmd: SeedCommand): Promise<void> {
  for (const bankId of cmd.bankIds) {
    const started = performance.now();
    const bar = progressBar(`seeding ${bankId}`, cmd.customers, 'customers');
    const result = await seedBank(database, {
      bankId,
      region: regionFor(bankId),
      customers: cmd.customers,
      days: cmd.days,
      seed: cmd.seed,
      end: cmd.end,
      onProgress: (done) => bar.update(done),
    });
    bar.stop();
    const seconds = (performance.now() - started) / 1000;
    if (result.customers === 0) {
      process.stderr.write(`${bankId}: already holds ${result.skipped} customers; nothing to add\n`);
    } else {
      process.stderr.write(
        `${bankId}: ${result.customers} customers, ${result.accounts} accounts, ${result.transactions} transactions ` +
          `in ${seconds.toFixed(1)} s (${Math.round(result.customers / seconds)} customers/s)\n`,
      );
    }
  }
}

export const DEMO_BANK_IDS = DEMO_BANKS.map((b) => b.id);

/** Midnight UTC today: the default end of simulated history. */
export function todayUtc(): Date {
  const now = new Date();
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
}
