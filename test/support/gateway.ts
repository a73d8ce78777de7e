// Starts the real gateway (real HTTP on 127.0.0.1, port 0) over a test database with a
// few seeded customers per demo bank.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { DEMO_BANKS, regionFor, seedBank } from '../../src/bank/index.ts';
import { type GatewayConfig, readConfig } from '../../src/gateway/config.ts';
import { type RunningGateway, type RuntimeOptions, startGateway } from '../../src/gateway/runtime.ts';
import { KeyEncryptionKey } from '../../src/keys/index.ts';
import { openDatabase } from '../../src/storage/index.ts';
import type { Backend, TestDatabase } from './backends.ts';

export interface TestGateway {
  gw: RunningGateway;
  db: TestDatabase;
  /** Every log line the gateway wrote. */
  logs: string[];
  /** Data folder of this gateway (holds the demo platform's client key). */
  dataDir: string;
  /** Key-encryption key, for a second instance on the same database. */
  kek: KeyEncryptionKey;
  close(): Promise<void>;
}

export const SEED_END = new Date('2026-11-01T00:00:00Z');

export async function startTestGateway(
  backend: Backend,
  customers = 5,
  options: {
    env?: Record<string, string>;
    alerts?: RuntimeOptions['alerts'];
    /** Set over the configuration read from `env` (e.g. `instances` for a shared port). */
    config?: Partial<GatewayConfig>;
    /** Default: a new one; pass one to share it with an instance in another process. */
    kek?: KeyEncryptionKey;
  } = {},
): Promise<TestGateway> {
  const db = await backend.open();
  const logs: string[] = [];
  const logStream = new Writable({
    write(chunk, _enc, done) {
      logs.push(String(chunk));
      done();
    },
  });
  const dataDir = mkdtempSync(join(tmpdir(), 'proviso-gw-'));
  const config = {
    ...readConfig({ PROVISO_DATA: dataDir, ...options.env }),
    port: 0,
    logLevel: 'info',
    ...options.config,
  };
  // The local demo witness gets its own in-memory database, as another bank's would be.
  const witnessDatabase = await openDatabase();
  const kek = options.kek ?? KeyEncryptionKey.generate();
  const gw = await startGateway(config, {
    database: db.database,
    kek,
    logStream,
    witnessDatabase,
    ...(options.alerts ? { alerts: options.alerts } : {}),
  });
  for (const bank of DEMO_BANKS) {
    await seedBank(db.database, {
      bankId: bank.id,
      region: regionFor(bank.id),
      customers,
      days: 30,
      seed: 7,
      end: SEED_END,
    });
  }
  return {
    gw,
    db,
    logs,
    dataDir,
    kek,
    async close() {
      await gw.close();
      await witnessDatabase.close();
      await db.dispose();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
