// `npm run fault`: the crash test as a repeatable run. Kills the gateway with SIGKILL at
// every fault point of a release (src/translog/fault.ts), a bounded number of cycles per
// storage backend, restarting it each time on the same storage, and checks after each
// restart that no acknowledged release was lost or duplicated, each log entry has its
// audit row, every checkpoint is consistent and the full `proviso verify` passes.
//   npm run fault -- [--cycles N] [--backend pglite|postgres|both] [--seed S]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { progressBar } from '../src/cli/progress.ts';
import { FAULT_POINTS } from '../src/translog/index.ts';
import { type CycleResult, crashCycle, type Storage } from '../test/fault/cycle.ts';
import { createPostgresDatabase, postgresUnavailable } from '../test/support/backends.ts';

const { values } = parseArgs({
  options: {
    cycles: { type: 'string', default: '8' },
    backend: { type: 'string', default: 'both' },
    seed: { type: 'string', default: '1' },
  },
});
const cycles = Number(values.cycles);
if (!Number.isInteger(cycles) || cycles < 1 || cycles > 200) throw new Error('--cycles must be 1..200');
if (!['pglite', 'postgres', 'both'].includes(values.backend))
  throw new Error('--backend: pglite, postgres or both');

// A small deterministic generator, so a failing run can be repeated with the same --seed.
let state = Number(values.seed) >>> 0 || 1;
const random = (below: number) => {
  state = (state * 1_103_515_245 + 12_345) >>> 0;
  return state % below;
};

const backends: ('pglite' | 'postgres')[] = [];
if (values.backend !== 'postgres') backends.push('pglite');
if (values.backend !== 'pglite') {
  const why = await postgresUnavailable();
  if (why === null) backends.push('postgres');
  else process.stderr.write(`PostgreSQL skipped: ${why}\n`);
}

const results: (CycleResult & { backend: string; at: number; seconds: number })[] = [];
let failures = 0;
for (const backend of backends) {
  const root = mkdtempSync(join(tmpdir(), 'proviso-fault-'));
  const created = backend === 'postgres' ? await createPostgresDatabase() : undefined;
  const storage: Storage = {
    dataDir: join(root, 'data'),
    verifierDir: join(root, 'verifier'),
    ...(created ? { databaseUrl: created.url } : {}),
  };
  const bar = progressBar(`fault ${backend}`, cycles, 'cycles');
  try {
    for (let cycle = 0; cycle < cycles; cycle++) {
      const point = FAULT_POINTS[cycle % FAULT_POINTS.length]!;
      const at = point === 'after-checkpoint-signed' ? 2 + random(6) : 2 + random(30);
      const started = performance.now();
      try {
        const result = await crashCycle(storage, point, at, `c${cycle}`);
        results.push({ ...result, backend, at, seconds: (performance.now() - started) / 1000 });
      } catch (error) {
        failures++;
        process.stderr.write(
          `\ncycle ${cycle} (${backend}, ${point} #${at}) FAILED: ${(error as Error).message}\n`,
        );
      }
      bar.update(cycle + 1);
    }
  } finally {
    bar.stop();
    await created?.drop();
    rmSync(root, { recursive: true, force: true });
  }
}

const lines = [
  '',
  'backend   fault point               kill at  acked  logged  lost  dup  checkpoints  verify  seconds',
  ...results.map(
    (r) =>
      `${r.backend.padEnd(9)} ${r.point.padEnd(25)} ${String(r.at).padStart(7)} ${String(r.acked).padStart(6)} ` +
      `${String(r.logged).padStart(7)} ${String(r.lost).padStart(5)} ${String(r.duplicated).padStart(4)} ` +
      `${String(r.checkpointsChecked).padStart(12)}  ${r.verified ? 'ok    ' : 'FAILED'} ${r.seconds.toFixed(1).padStart(8)}`,
  ),
  '',
  `${results.length + failures} cycles, ${failures} failed; acknowledged ${results.reduce((n, r) => n + r.acked, 0)} releases, ` +
    `lost ${results.reduce((n, r) => n + r.lost, 0)}, duplicated ${results.reduce((n, r) => n + r.duplicated, 0)}`,
];
process.stdout.write(`${lines.join('\n')}\n`);
process.exitCode = failures > 0 || results.some((r) => r.lost > 0 || r.duplicated > 0 || !r.verified) ? 1 : 0;
