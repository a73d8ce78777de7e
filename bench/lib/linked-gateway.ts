// The gateway side of the balance-read benchmarks (bench/consent.ts, bench/servers/release.ts):
// a throwaway gateway on a fresh data folder, one seeded bank, one customer linked through the
// real FAPI 2.0 flow over HTTP (PAR, login with password + TOTP, consent, token), and the
// clean-up on SIGTERM. With `instances` above 1 (PostgreSQL only) it also forks the other
// gateway processes on the same port, as `PROVISO_INSTANCES` does for `proviso start`.
// Imports are dynamic so the parent process never loads the gateway.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export async function startLinkedGateway(name: string, o: { instances?: number } = {}) {
  const { regionFor, seedBank } = await import('../../src/bank/index.ts');
  const { sql } = await import('kysely');
  const { readConfig } = await import('../../src/gateway/config.ts');
  const { startGateway } = await import('../../src/gateway/runtime.ts');
  const { KeyEncryptionKey } = await import('../../src/keys/index.ts');
  const { linkCustomer } = await import('../../test/support/consent.ts');
  type TestGateway = import('../../test/support/gateway.ts').TestGateway;

  const dataDir = mkdtempSync(join(tmpdir(), `proviso-bench-${name}-`));
  const instances = o.instances ?? 1;
  const config = {
    ...readConfig({ ...process.env, PROVISO_DATA: dataDir }),
    port: 0,
    logLevel: 'warn',
    instances,
  };
  const kek = randomBytes(32);
  // Logs to stderr: this process's stdout carries the JSON line its parent waits for.
  const gw = await startGateway(config, { kek: KeyEncryptionKey.fromBytes(kek), logStream: process.stderr });
  await seedBank(gw.database, {
    bankId: 'northwind',
    region: regionFor('northwind'),
    customers: Number(process.env['BENCH_CUSTOMERS'] ?? 200),
    days: 30,
    seed: 1,
    end: new Date('2026-11-01T00:00:00Z'),
  });
  // Statistics, as a bank's database has them: fresh from seeding, before autovacuum gets to
  // it, the balance read's plan finds the account through the customer index instead of the key.
  await sql`analyze`.execute(gw.database.tables());
  const linked = await linkCustomer(
    { gw, db: { database: gw.database }, dataDir } as unknown as TestGateway,
    { pick: (a) => a.slice(0, 1) },
  );
  // The other instances: the same database, key-encryption key, port and demo witness.
  let extra: { pids: number[]; close(): Promise<void> } | undefined;
  if (instances > 1) {
    const { sharedFrom, startExtraInstances } = await import('../../src/cli/instances.ts');
    extra = await startExtraInstances(
      instances - 1,
      {
        ...sharedFrom(gw),
        env: {
          PROVISO_DATA: dataDir,
          DATABASE_URL: config.databaseUrl ?? '',
          PROVISO_KEK: kek.toString('base64url'),
          PROVISO_INSTANCES: String(instances),
          LOG_LEVEL: 'warn',
        },
      },
      // This process's stdout carries the JSON line its parent waits for.
      'stderr',
    );
  }
  const closeOnSigterm = () =>
    process.on('SIGTERM', async () => {
      await extra?.close();
      await gw.close();
      rmSync(dataDir, { recursive: true, force: true });
      process.exit(0);
    });
  return { gw, linked, dataDir, closeOnSigterm, instancePids: extra?.pids ?? [] };
}
