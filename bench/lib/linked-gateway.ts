// The gateway side of the balance-read benchmarks (bench/consent.ts, bench/servers/release.ts):
// a throwaway gateway on a fresh data folder, one seeded bank, one customer linked through the
// real FAPI 2.0 flow over HTTP (PAR, login with password + TOTP, consent, token), and the
// clean-up on SIGTERM. Imports are dynamic so the parent process never loads the gateway.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export async function startLinkedGateway(name: string) {
  const { regionFor, seedBank } = await import('../../src/bank/index.ts');
  const { readConfig } = await import('../../src/gateway/config.ts');
  const { startGateway } = await import('../../src/gateway/runtime.ts');
  const { KeyEncryptionKey } = await import('../../src/keys/index.ts');
  const { linkCustomer } = await import('../../test/support/consent.ts');
  type TestGateway = import('../../test/support/gateway.ts').TestGateway;

  const dataDir = mkdtempSync(join(tmpdir(), `proviso-bench-${name}-`));
  const config = { ...readConfig({ ...process.env, PROVISO_DATA: dataDir }), port: 0, logLevel: 'warn' };
  const gw = await startGateway(config, { kek: KeyEncryptionKey.generate() });
  await seedBank(gw.database, {
    bankId: 'northwind',
    region: regionFor('northwind'),
    customers: Number(process.env['BENCH_CUSTOMERS'] ?? 200),
    days: 30,
    seed: 1,
    end: new Date('2026-11-01T00:00:00Z'),
  });
  const linked = await linkCustomer(
    { gw, db: { database: gw.database }, dataDir } as unknown as TestGateway,
    { pick: (a) => a.slice(0, 1) },
  );
  const closeOnSigterm = () =>
    process.on(
      'SIGTERM',
      () =>
        void gw.close().then(() => {
          rmSync(dataDir, { recursive: true, force: true });
          process.exit(0);
        }),
    );
  return { gw, linked, dataDir, closeOnSigterm };
}
