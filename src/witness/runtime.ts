// A witness as its own app (C2SP tlog-witness): banks run one for each other's logs. It has
// its own database and its own Ed25519 cosigning key, kept in its data folder.
import { createPrivateKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { createHttpApp } from '../http/index.ts';
import { type Database, EMBEDDED_VACUUM_MS, migrate, openDatabase } from '../storage/index.ts';
import {
  createWitness,
  ed25519Signer,
  parseVerifierKey,
  SIG_COSIGNATURE_V1,
  type Witness,
  type WitnessedLog,
  witnessRoutes,
} from '../translog/index.ts';

export interface WitnessConfig {
  /** Witness name (its key's name), e.g. `witness.bank-b.example`. */
  name: string;
  dataDir: string;
  databaseUrl?: string | undefined;
  host: string;
  port: number;
  /** Log verifier keys (type 0x01) to witness; the key name is the log origin. */
  logKeys: string[];
  logLevel?: string | false;
}

export interface RunningWitness {
  app: FastifyInstance;
  witness: Witness;
  url: string;
  /** `${url}/witness`: what a log is configured with. */
  submissionUrl: string;
  verifierKey: string;
  close(): Promise<void>;
}

export const WITNESS_PREFIX = '/witness';

/** The witness's cosigning key, generated once (owner-only file). */
export function loadWitnessKey(dataDir: string): KeyObject {
  const file = join(dataDir, 'witness-key.pem');
  if (!existsSync(file)) {
    mkdirSync(dataDir, { recursive: true });
    const { privateKey } = generateKeyPairSync('ed25519');
    writeFileSync(file, privateKey.export({ format: 'pem', type: 'pkcs8' }), { mode: 0o600, flag: 'wx' });
  }
  return createPrivateKey(readFileSync(file));
}

export function witnessedLogs(logKeys: string[]): WitnessedLog[] {
  const byOrigin = new Map<string, string[]>();
  for (const key of logKeys) {
    const { name } = parseVerifierKey(key);
    byOrigin.set(name, [...(byOrigin.get(name) ?? []), key]);
  }
  return [...byOrigin].map(([origin, verifierKeys]) => ({ origin, verifierKeys }));
}

export async function startWitness(config: WitnessConfig, database?: Database): Promise<RunningWitness> {
  const db =
    database ??
    (await openDatabase({
      url: config.databaseUrl,
      dataDir: join(config.dataDir, 'pgdata'),
      vacuumEveryMs: EMBEDDED_VACUUM_MS,
    }));
  await migrate(db);
  const cosigner = ed25519Signer(config.name, SIG_COSIGNATURE_V1, loadWitnessKey(config.dataDir));
  const witness = createWitness(db, { cosigner, logs: witnessedLogs(config.logKeys) });
  const app = await createHttpApp({
    title: 'Proviso witness',
    version: '0.1.0',
    description: 'C2SP tlog-witness: cosigns checkpoints of the logs it follows and refuses split views.',
    logLevel: config.logLevel ?? 'info',
    bodyLimit: 1024 * 1024,
  });
  await app.register(witnessRoutes, { witness, prefix: WITNESS_PREFIX });
  const url = (await app.listen({ host: config.host, port: config.port })).replace('[::1]', 'localhost');
  return {
    app,
    witness,
    url,
    submissionUrl: `${url}${WITNESS_PREFIX}`,
    verifierKey: cosigner.verifierKey,
    async close() {
      await app.close();
      if (!database) await db.close();
    },
  };
}
