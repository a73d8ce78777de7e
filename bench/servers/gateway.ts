// A real gateway for the HTTP benchmarks: the embedded database (or DATABASE_URL),
// seeded demo banks, and a demo customer's token. Logs at 'warn' so the benchmark measures
// the request path, not the terminal.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { regionFor, seedBank } from '../../src/bank/index.ts';
import { readConfig } from '../../src/gateway/config.ts';
import { startGateway } from '../../src/gateway/runtime.ts';
import { KeyEncryptionKey } from '../../src/keys/index.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'proviso-bench-'));
const config = { ...readConfig({ ...process.env, PROVISO_DATA: dataDir }), port: 0, logLevel: 'warn' };
const gw = await startGateway(config, { kek: KeyEncryptionKey.generate() });
await seedBank(gw.database, {
  bankId: 'northwind',
  region: regionFor('northwind'),
  customers: Number(process.env['BENCH_CUSTOMERS'] ?? 500),
  days: 90,
  seed: 1,
  end: new Date('2026-11-01T00:00:00Z'),
});
const demo = (await gw.core('northwind').customerByUsername('demo'))!;
const { token } = await gw.tokens.issue('northwind', demo.id);
const current = (await gw.core('northwind').accounts(demo.id)).find((a) => a.kind === 'current')!;
const base = `${gw.url}/banks/northwind/open-banking/v3.1/aisp`;
process.stdout.write(
  `${JSON.stringify({ token, accounts: `${base}/accounts`, transactions: `${base}/accounts/${current.id}/transactions?page-size=50`, storage: gw.database.kind })}\n`,
);
process.on(
  'SIGTERM',
  () =>
    void gw.close().then(() => {
      rmSync(dataDir, { recursive: true, force: true });
      process.exit(0);
    }),
);
