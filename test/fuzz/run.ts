// npm run fuzz: the long run of the fuzz suite (test/fuzz/fuzz.test.ts) against a freshly
// started gateway and relay on 127.0.0.1. Prints progress, then the figures: requests,
// status counts, 5xx count, violations, memory before and after.
//   FUZZ_REQUESTS (default 100000), FUZZ_CONCURRENCY (8), FUZZ_SEED, FUZZ_MAX_MINUTES (30)
import fc from 'fast-check';
import { anyRequest, closeAgent, type FuzzRequest, fuzzOne, newTally } from './requests.ts';
import { startFuzzSystem } from './system.ts';

const total = Number(process.env['FUZZ_REQUESTS'] ?? 100_000);
const concurrency = Number(process.env['FUZZ_CONCURRENCY'] ?? 8);
const seed = Number(process.env['FUZZ_SEED'] ?? Date.now() % 2 ** 31);
const deadline = Date.now() + Number(process.env['FUZZ_MAX_MINUTES'] ?? 30) * 60_000;

const mb = (n: number) => `${(n / 2 ** 20).toFixed(1)} MB`;
const system = await startFuzzSystem();
global.gc?.();
const before = process.memoryUsage();
process.stdout.write(
  `fuzzing ${system.operations.length} operations, ${total} requests, ${concurrency} at a time, seed ${seed}\n` +
    `memory before: rss ${mb(before.rss)}, heap used ${mb(before.heapUsed)}\n`,
);
const tally = newTally();
const started = Date.now();
// Requests are drawn in chunks (a reproducible seed per chunk) and the apps' captured log
// lines are scanned and dropped as the run goes, so memory after measures the system, not
// a harness holding 100,000 requests and their log lines.
const CHUNK = 1000;
const arbitrary = anyRequest(system.operations);
let chunk: FuzzRequest[] = [];
let chunkIndex = -1;
let next = 0;
let lastPrint = 0;
let serverFailures = 0;
const countFailures = () => {
  serverFailures += system.drainLogs().filter((line) => /"level":50/.test(line)).length;
};
const draw = () => {
  const at = next++;
  if (at >= total) return undefined;
  if (Math.floor(at / CHUNK) !== chunkIndex) {
    chunkIndex = Math.floor(at / CHUNK);
    chunk = fc.sample(arbitrary, { numRuns: CHUNK, seed: seed + chunkIndex });
  }
  return chunk[at % CHUNK];
};
await Promise.all(
  Array.from({ length: concurrency }, async () => {
    for (let request = draw(); request !== undefined && Date.now() < deadline; request = draw()) {
      await fuzzOne(request, tally);
      if (tally.requests - lastPrint >= 5000) {
        countFailures();
        lastPrint = tally.requests;
        const rate = tally.requests / ((Date.now() - started) / 1000);
        process.stdout.write(
          `  ${tally.requests}/${total} requests, ${tally.violations.length} violations, ${rate.toFixed(0)} req/s\n`,
        );
      }
    }
  }),
);
const seconds = (Date.now() - started) / 1000;
countFailures();
global.gc?.();
const afterRun = process.memoryUsage();
const statuses = [...tally.byStatus.entries()].sort(([a], [b]) => a - b);
const fiveHundreds = statuses.filter(([s]) => s >= 500).reduce((n, [, c]) => n + c, 0);
process.stdout.write(
  `requests: ${tally.requests} in ${seconds.toFixed(1)} s (${(tally.requests / seconds).toFixed(0)} req/s)\n` +
    `status counts: ${statuses.map(([s, c]) => `${s === 0 ? 'no answer' : s}: ${c}`).join(', ')}\n` +
    `5xx: ${fiveHundreds}\n` +
    `violations (5xx, or a 4xx that is not a problem document / OAuth error): ${tally.violations.length}\n` +
    `server error log lines: ${serverFailures}\n` +
    `memory before: rss ${mb(before.rss)}, heap used ${mb(before.heapUsed)}\n` +
    `memory after:  rss ${mb(afterRun.rss)}, heap used ${mb(afterRun.heapUsed)}\n`,
);
for (const violation of tally.violations.slice(0, 20))
  process.stdout.write(`  - ${violation.slice(0, 400)}\n`);
closeAgent();
await system.close();
process.exitCode = tally.violations.length === 0 && tally.requests >= Math.min(total, 1) ? 0 : 1;
