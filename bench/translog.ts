// Transparency log throughput and latency: group-committed appends per second (PGlite and
// PostgreSQL, at more than one concurrency — a bank gateway has hundreds of releases in
// flight — against one-at-a-time appends in the same run as the baseline), append →
// witness-cosigned checkpoint latency (an in-process witness on the same database), and
// inclusion proofs served per second. ~40 s total.
import pg from 'pg';
import { type Database, migrate, openDatabase } from '../src/storage/index.ts';
import {
  createLog,
  createWitness,
  SIG_COSIGNATURE_V1,
  signerFromPrivateKey,
  type TransparencyLog,
  type WitnessTransport,
} from '../src/translog/index.ts';
import type { Measurement } from './lib/results.ts';

const SECONDS = Number(process.env['BENCH_TRANSLOG_SECONDS'] ?? 3);
const CONCURRENCY = (process.env['BENCH_TRANSLOG_CONCURRENCY'] ?? '64,512').split(',').map(Number);
// Batches in flight per log (1: no pipelining), to compare in the same tree; default the log's.
const PIPELINE = process.env['BENCH_TRANSLOG_PIPELINE'];
const PG_ADMIN = process.env['TEST_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
// Test-only key (test/fixtures/testvectors/generated/notes.json): benchmark logs are throwaway.
const SKEY = 'PRIVATE+KEY+example.com/proviso-test-log+83b7a520+AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEB';
const VKEY = 'example.com/proviso-test-log+83b7a520+AYqI4910CfGV/VLbLTy6XXLKZwm/HZQSG/N0iAG0D29c';
const W_SKEY = 'PRIVATE+KEY+witness.example/w1+9e225179+AQICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIC';
const W_VKEY = 'witness.example/w1+df1c0a35+BIE5dw6ofRdfVqNUZsNMfszLjYqRtO43ol32D1uPybOU';

const entry = (i: number) =>
  new TextEncoder().encode(`{"bank":"bench","kind":"data.access","n":${i},"pad":"${'x'.repeat(200)}"}`);

function percentile(sorted: number[], p: number): number {
  return sorted.length
    ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!
    : Number.NaN;
}

/** A witness in this process, on the same database, reached without HTTP. */
function inProcessWitness(database: Database): WitnessTransport {
  const witness = createWitness(database, {
    cosigner: signerFromPrivateKey(W_SKEY, SIG_COSIGNATURE_V1),
    logs: [{ origin: 'example.com/proviso-test-log', verifierKeys: [VKEY] }],
  });
  return async (_url, body) => {
    const result = await witness.addCheckpoint(body);
    if (result.status === 200) return { status: 200, body: result.signatures };
    if (result.status === 409) return { status: 409, body: `${result.size}\n` };
    return { status: result.status, body: result.reason };
  };
}

async function openLog(database: Database, logId: string, witnessed: boolean): Promise<TransparencyLog> {
  return createLog(database, {
    logId,
    // The witnessed log's origin is the key's name (the witness trusts the key for it).
    origin: witnessed ? 'example.com/proviso-test-log' : `bench.example/${logId}`,
    signer: signerFromPrivateKey(SKEY),
    checkpointIntervalMs: 250,
    ...(PIPELINE ? { batch: { pipeline: Number(PIPELINE) } } : {}),
    ...(witnessed
      ? {
          witnesses: {
            witnesses: [{ verifierKey: W_VKEY, url: 'in-process' }],
            transport: inProcessWitness(database),
          },
        }
      : {}),
  });
}

/** Appends for `seconds` with `concurrency` callers spread over the logs; samples append→cosigned latency. */
async function drive(logs: TransparencyLog[], concurrency: number, seconds: number, sampleLatency: boolean) {
  const end = Date.now() + seconds * 1000;
  let done = 0;
  const latencies: Promise<number>[] = [];
  await Promise.all(
    Array.from({ length: concurrency }, async (_, w) => {
      const log = logs[w % logs.length]!;
      while (Date.now() < end) {
        const started = performance.now();
        const { index } = await log.append(entry(done));
        done++;
        if (sampleLatency && done % Math.max(25, concurrency) === 0) {
          latencies.push(
            log
              .waitForCheckpoint(index + 1, { cosigned: true, timeoutMs: 10_000 })
              .then(() => performance.now() - started),
          );
        }
      }
    }),
  );
  const sorted = (await Promise.all(latencies)).sort((a, b) => a - b);
  return { perSecond: done / seconds, p50: percentile(sorted, 50), p99: percentile(sorted, 99) };
}

async function proofsPerSecond(log: TransparencyLog, seconds: number): Promise<number> {
  const size = (await log.checkpoint())!.size;
  const end = Date.now() + seconds * 1000;
  let n = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (Date.now() < end) {
        await log.inclusionProof(Math.floor(Math.random() * size), size);
        n++;
      }
    }),
  );
  return n / seconds;
}

async function measure(label: string, open: () => Promise<Database[]>): Promise<Measurement[]> {
  const databases = await open();
  await migrate(databases[0]!);
  const single = await openLog(databases[0]!, 'bench-single', false);
  const instances = databases.length > 1 ? `, ${databases.length} instances` : '';
  const results: Measurement[] = [];
  let logs: TransparencyLog[] = [];
  try {
    const baseline = await drive([single], 1, 1, false);
    logs = await Promise.all(databases.map((d) => openLog(d, 'bench', true)));
    for (const concurrency of CONCURRENCY) {
      const grouped = await drive(logs, concurrency, SECONDS, true);
      results.push(
        {
          benchmark: 'translog-append',
          metric: `appends/s, ${concurrency} concurrent (${label}${instances}; goal ≥ 20,000/s)`,
          value: Math.round(grouped.perSecond),
          unit: 'appends/s',
          baseline: { name: 'one append at a time', value: Math.round(baseline.perSecond) },
        },
        {
          benchmark: 'translog-latency',
          metric: `append → cosigned checkpoint p50, ${concurrency} concurrent (${label})`,
          value: Number(grouped.p50.toFixed(1)),
          unit: 'ms',
        },
        {
          benchmark: 'translog-latency',
          metric: `append → cosigned checkpoint p99, ${concurrency} concurrent (${label}; goal ≤ 1,500 ms)`,
          value: Number(grouped.p99.toFixed(1)),
          unit: 'ms',
        },
      );
    }
    results.push({
      benchmark: 'translog-proofs',
      metric: `inclusion proofs/s from stored tiles (${label})`,
      value: Math.round(await proofsPerSecond(logs[0]!, 2)),
      unit: 'proofs/s',
    });
    return results;
  } finally {
    for (const log of logs) await log.close();
    await single.close();
    for (const d of databases) await d.close();
  }
}

export async function run(): Promise<Measurement[]> {
  const results = await measure('PGlite', async () => [await openDatabase()]);
  const admin = new pg.Client({ connectionString: PG_ADMIN, connectionTimeoutMillis: 2000 });
  try {
    await admin.connect();
  } catch {
    process.stderr.write('translog bench: PostgreSQL unreachable, PGlite only\n');
    return results;
  }
  const name = `proviso_bench_${process.pid}`;
  await admin.query(`create database ${name}`);
  const url = new URL(PG_ADMIN);
  url.pathname = `/${name}`;
  try {
    // Two handles = two gateway instances contending for the same log row.
    results.push(
      ...(await measure('PostgreSQL', async () => [
        await openDatabase({ url: url.toString() }),
        await openDatabase({ url: url.toString() }),
      ])),
    );
  } finally {
    await admin.query(`drop database if exists ${name} with (force)`);
    await admin.end();
  }
  return results;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const r of await run()) console.log(JSON.stringify(r));
}
