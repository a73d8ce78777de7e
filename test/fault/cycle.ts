// One crash cycle: start the gateway in a child process with a fault point armed, let it
// release until it kills itself there (SIGKILL, no cleanup), restart the gateway on the same
// storage, and check what survived:
//   - no acknowledged release lost: its entry is at the index the child was told, with its tag;
//   - none duplicated: every tag appears once in the log;
//   - entry and audit row together: exactly one audit row per log entry, none without an entry;
//   - every checkpoint consistent: each stored checkpoint (those signed before the crash too)
//     has a consistency proof to the newest, the witness cosigns the restarted log, and
//     `proviso verify` (full check: every bundle, tile and the root) passes, consistent with
//     what the same verifier saw in earlier cycles.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseEntry } from '../../src/audit/index.ts';
import { runVerify } from '../../src/cli/transparency.ts';
import { readConfig } from '../../src/gateway/config.ts';
import { type RunningGateway, startGateway } from '../../src/gateway/runtime.ts';
import { type FaultPoint, fsckLog, verifyConsistency } from '../../src/translog/index.ts';

const HARNESS = fileURLToPath(new URL('./harness.ts', import.meta.url));
export const FAULT_BANK = 'northwind';

export interface Storage {
  /** Gateway data folder (KEK, demo witness, and the PGlite database when no url). */
  readonly dataDir: string;
  /** postgres:// URL; PGlite in the data folder when absent. */
  readonly databaseUrl?: string;
  /** The verifier's state folder, kept across cycles. */
  readonly verifierDir: string;
}

export interface CycleResult {
  readonly point: FaultPoint;
  /** Releases the child acknowledged before it died. */
  readonly acked: number;
  /** Log size after the restart. */
  readonly logged: number;
  readonly lost: number;
  readonly duplicated: number;
  readonly checkpointsChecked: number;
  readonly verified: boolean;
}

function environment(storage: Storage, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, PROVISO_DATA: storage.dataDir, ...extra };
  delete env['PROVISO_FAULT'];
  delete env['PROVISO_FAULT_AT'];
  if (storage.databaseUrl) env['DATABASE_URL'] = storage.databaseUrl;
  else delete env['DATABASE_URL'];
  return { ...env, ...extra };
}

/** Runs the child until the fault kills it; returns index → tag of every acknowledged release. */
async function crashChild(storage: Storage, point: FaultPoint, at: number, tag: string) {
  const child = spawn(process.execPath, [HARNESS, tag], {
    env: environment(storage, { PROVISO_FAULT: point, PROVISO_FAULT_AT: String(at) }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const acks = new Map<number, string>();
  let stderr = '';
  let buffer = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    buffer += chunk;
    const lines = buffer.split('\n');
    buffer = lines.pop()!;
    for (const line of lines) {
      const m = /^ack (\d+) (\S+)$/.exec(line);
      if (m) acks.set(Number(m[1]), m[2]!);
    }
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const timeout = setTimeout(() => child.kill('SIGKILL'), 180_000);
  const signal = await new Promise<NodeJS.Signals | null>((resolve) =>
    child.on('exit', (_code, s) => resolve(s)),
  );
  clearTimeout(timeout);
  assert.equal(signal, 'SIGKILL', `the child should die by its fault point; stderr: ${stderr.slice(-2000)}`);
  assert.match(stderr, new RegExp(`PROVISO_FAULT: killing the process at ${point}`), stderr.slice(-2000));
  return acks;
}

interface Row {
  idx: number;
  data: Uint8Array;
}

/** Checks the restarted gateway's log and audit rows against what the child acknowledged. */
async function checkRestarted(gw: RunningGateway, storage: Storage, acks: Map<number, string>) {
  const log = gw.logs.get(FAULT_BANK)!;
  const size = await log.size();
  const db = gw.database.tables<{
    translog_entry: Row & { log_id: string };
    audit_entry: { bank_id: string; log_index: number; platform: string };
    consent_dpop_jti: { jkt: string; jti: string };
  }>();
  const entries = await db
    .selectFrom('translog_entry')
    .select(['idx', 'data'])
    .where('log_id', '=', FAULT_BANK)
    .orderBy('idx')
    .execute();
  assert.equal(entries.length, size, 'every index below the size holds an entry');
  entries.forEach((e, i) => {
    assert.equal(e.idx, i);
  });
  const rows = await db
    .selectFrom('audit_entry')
    .select(['log_index', 'platform'])
    .where('bank_id', '=', FAULT_BANK)
    .orderBy('log_index')
    .execute();
  assert.equal(rows.length, size, 'one audit row per log entry (they commit together)');
  const tags = entries.map((e) => parseEntry(new Uint8Array(e.data)).platform);
  rows.forEach((r, i) => {
    assert.equal(r.log_index, i);
    assert.equal(r.platform, tags[i], `audit row ${i} belongs to entry ${i}`);
  });
  // The DPoP replay record of each release commits with its entry too: one per entry, none without.
  const replays = await db
    .selectFrom('consent_dpop_jti')
    .select('jti')
    .where('jkt', '=', 'fault-harness')
    .execute();
  assert.deepEqual(
    replays.map((r) => r.jti).sort(),
    [...tags].sort(),
    'one replay record per log entry (they commit together)',
  );
  const duplicated = tags.length - new Set(tags).size;
  let lost = 0;
  for (const [index, tag] of acks) if (tags[index] !== tag) lost++;

  // The witness cosigns the restarted log: it extends what the witness saw before the crash.
  const newest = await log.waitForCheckpoint(size, { cosigned: true, timeoutMs: 60_000 });
  assert.equal(await fsckLog(log.tiles, newest.size, newest.root), newest.size);
  const history = await log.checkpoints(1);
  for (const old of history) {
    if (old.size > newest.size) continue;
    const proof = old.size === newest.size ? [] : await log.consistencyProof(old.size, newest.size);
    verifyConsistency(old.size, newest.size, proof, old.root, newest.root);
  }
  const verify = await runVerify({
    gateway: gw.url,
    bankId: FAULT_BANK,
    stateDir: storage.verifierDir,
    witnessKeys: [],
    quorum: undefined,
    entries: [],
    full: 'always',
  });
  return {
    lost,
    duplicated,
    checkpointsChecked: history.length,
    verified: verify.report.ok,
    text: verify.text,
    size,
  };
}

export async function crashCycle(
  storage: Storage,
  point: FaultPoint,
  at: number,
  tag: string,
): Promise<CycleResult> {
  const acks = await crashChild(storage, point, at, tag);
  const gw = await startGateway({
    ...readConfig(environment(storage)),
    port: 0,
    logLevel: 'silent',
  });
  try {
    const checked = await checkRestarted(gw, storage, acks);
    assert.ok(checked.verified, checked.text);
    return {
      point,
      acked: acks.size,
      logged: checked.size,
      lost: checked.lost,
      duplicated: checked.duplicated,
      checkpointsChecked: checked.checkpointsChecked,
      verified: checked.verified,
    };
  } finally {
    await gw.close();
  }
}
