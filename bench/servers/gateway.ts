// A real gateway for the HTTP benchmarks: the embedded database (or DATABASE_URL) and a
// seeded demo bank. It prints the public read-only URLs (discovery, JWKS, the log's
// checkpoint); authorised data reads need DPoP proofs and are measured by bench/consent.ts.
// Logs at 'warn' so the benchmark measures the request path, not the terminal.
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
const bank = `${gw.url}/banks/northwind`;
process.stdout.write(
  `${JSON.stringify({ discovery: `${gw.url}/.well-known/proviso`, jwks: `${bank}/jwks.json`, checkpoint: `${bank}/log/checkpoint`, storage: gw.database.kind })}\n`,
);
process.on(
  'SIGTERM',
  () =>
    void gw.close().then(() => {
      rmSync(dataDir, { recursive: true, force: true });
      process.exit(0);
    }),
);
