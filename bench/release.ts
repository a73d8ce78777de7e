// Authorised balance asks through the whole release path, on PGlite and on PostgreSQL, beside
// a bare Fastify route measured in the same run, with a per-step cost breakdown of one
// release and (BENCH_PROFILE=1) a CPU profile of the gateway's main thread under the load.
//
// One measured request: GET /banks/northwind/open-banking/v3.1/aisp/accounts/{id}/balances
// with `Authorization: DPoP`, a proof never used before and `x-proviso-purpose:
// balance_inquiry` — DPoP, token and consent, Cedar, the core read, the purpose projection,
// the audit row and log entry (group commit), then the answer. The bot's balance ask
// (POST /banks/northwind/bot/events, postback BALANCE) is the same path plus sealing the
// answer to the customer's device; it is measured too.
//
// Proofs are signed in this process before each load (one per request, see bench/consent.ts),
// so the platform's signing cost is not in the gateway's figure. The gateway runs in a child
// process (bench/servers/release.ts); autocannon drives it from here.
//
// Beside each figure: the CPU per ask of the gateway (every instance), of the PostgreSQL
// backends serving the database and of the load generator, and the asks a second the machine's
// cores could carry at that sum. BENCH_INSTANCES=N adds a PostgreSQL run with N gateway
// processes sharing the port (PROVISO_INSTANCES, src/cli/instances.ts).
//
// `node bench/release.ts` prints a table; `npm run bench -- release` also saves
// bench/results/release.json. BENCH_PROFILE=1 also writes bench/results/release-profile.json
// (self time by layer and the top functions, main thread, load window only).
import { createHash, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { importJWK, SignJWT } from 'jose';
import pg from 'pg';
import { startChild } from './lib/child.ts';
import { formatSummary, type ProfileSummary, summariseProfile } from './lib/cpu-profile.ts';
import { load } from './lib/load.ts';
import { postgresDatabase } from './lib/postgres.ts';
import { cpuBetween, processCpuMicros } from './lib/proc-cpu.ts';
import { type Measurement, table, withRatio } from './lib/results.ts';
import type { StepCosts } from './release-steps.ts';
import type { ServerInfo } from './servers/release.ts';

const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 6);
const CONNECTIONS = Number(process.env['BENCH_CONNECTIONS'] ?? 16);
const MAX_POOL = 30_000;
const PROFILE = process.env['BENCH_PROFILE'] === '1';
const CORES = availableParallelism();
/** BENCH_INSTANCES=N: also PostgreSQL with N gateway processes on one port (PROVISO_INSTANCES). */
const INSTANCES = Number(process.env['BENCH_INSTANCES'] ?? 1);

// ---- the platform side (this process) ---------------------------------------------------------
async function signProofs(info: ServerInfo, method: string, url: string, n: number): Promise<string[]> {
  const key = await importJWK(info.privateJwk, 'ES256');
  const ath = createHash('sha256').update(info.accessToken).digest('base64url');
  const proofs: string[] = [];
  for (let i = 0; i < n; i++) {
    proofs.push(
      await new SignJWT({ htm: method, htu: url, ath, jti: randomUUID() })
        .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: info.publicJwk })
        .setIssuedAt()
        .sign(key),
    );
  }
  return proofs;
}

interface Run {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
}

interface Ask {
  method: 'GET' | 'POST';
  url: string;
  body?: string;
}

/** Exactly `proofs.length` requests, each with its own proof; fails on any non-2xx. */
async function asks(info: ServerInfo, ask: Ask, proofs: string[], label: string): Promise<Run> {
  process.stderr.write(`  load: ${label}, ${proofs.length} requests…\n`);
  let next = 0;
  const started = performance.now();
  const result = await autocannon({
    url: ask.url,
    connections: CONNECTIONS,
    amount: proofs.length,
    requests: [
      {
        method: ask.method,
        ...(ask.body ? { body: ask.body } : {}),
        setupRequest: (req) => ({
          ...req,
          headers: {
            authorization: `DPoP ${info.accessToken}`,
            dpop: proofs[next++ % proofs.length]!,
            'x-proviso-purpose': 'balance_inquiry',
            ...(ask.body ? { 'content-type': 'application/json' } : {}),
          },
        }),
      },
    ],
  });
  const elapsed = (performance.now() - started) / 1000;
  const bad = result.non2xx + result.errors + result.timeouts;
  if (bad > 0) throw new Error(`${label}: ${bad} of ${result.requests.total} requests failed`);
  return {
    requestsPerSecond: result.requests.total / elapsed,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
  };
}

async function waitForFile(path: string): Promise<void> {
  for (let i = 0; i < 100 && !existsSync(path); i++) await new Promise((r) => setTimeout(r, 100));
}

/** Transactions committed or rolled back in this database so far (PostgreSQL's own counter). */
async function transactions(databaseUrl: string | undefined): Promise<number | undefined> {
  if (!databaseUrl) return undefined;
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    // Statistics are flushed at most once a second; wait so the window's are in.
    await new Promise((r) => setTimeout(r, 1200));
    const r = await client.query<{ n: string }>(
      'select (xact_commit + xact_rollback)::text as n from pg_stat_database where datname = current_database()',
    );
    return Number(r.rows[0]?.n ?? Number.NaN);
  } finally {
    await client.end();
  }
}

/** The PostgreSQL backends serving this database now (the gateway's pooled connections). */
async function backendPids(databaseUrl: string | undefined): Promise<number[]> {
  if (!databaseUrl) return [];
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const r = await client.query<{ pid: number }>(
      'select pid from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()',
    );
    return r.rows.map((row) => row.pid);
  } finally {
    await client.end();
  }
}

interface Measured {
  run: Run;
  /** Gateway CPU (all threads, every instance) per request, µs. */
  cpuMicrosPerAsk: number;
  /** Share of the measured instance's CPU spent in the kernel (system time: sockets, mostly). */
  kernelShare: number;
  /** Of which the other instances (BENCH_INSTANCES), µs. */
  otherInstancesCpuMicrosPerAsk?: number;
  /** CPU of the PostgreSQL backends of the benchmark's database per request, µs (PostgreSQL only). */
  postgresCpuMicrosPerAsk?: number;
  /** CPU of this process (autocannon, the load generator) per request, µs. */
  loadGeneratorCpuMicrosPerAsk: number;
  /** PostgreSQL transactions per request (each autocommit statement is one), PostgreSQL only. */
  transactionsPerAsk?: number;
  profile?: ProfileSummary;
}

/** Warm-up sized run, then a main run of ~SECONDS inside a measuring window. */
async function measureAsk(
  info: ServerInfo,
  ask: Ask,
  label: string,
  window: { n: number; databaseUrl: string | undefined },
): Promise<Measured> {
  const calibration = await asks(
    info,
    ask,
    await signProofs(info, ask.method, ask.url, 600),
    `warm-up ${label}`,
  );
  const n = Math.max(600, Math.min(MAX_POOL, Math.round(calibration.requestsPerSecond * SECONDS)));
  const proofs = await signProofs(info, ask.method, ask.url, n);
  const xactBefore = await transactions(window.databaseUrl);
  const pgPids = await backendPids(window.databaseUrl);
  process.kill(info.pid, 'SIGUSR2');
  await new Promise((r) => setTimeout(r, 300));
  const othersBefore = processCpuMicros(info.instancePids);
  const pgBefore = processCpuMicros(pgPids);
  const selfBefore = process.cpuUsage();
  const run = await asks(info, ask, proofs, label);
  const self = process.cpuUsage(selfBefore);
  const others = cpuBetween(othersBefore, processCpuMicros(info.instancePids));
  const postgres = cpuBetween(pgBefore, processCpuMicros(pgPids));
  process.kill(info.pid, 'SIGUSR2');
  const id = window.n++;
  const windowFile = join(info.profileDir, `${id}.window.json`);
  await waitForFile(windowFile);
  const xactAfter = await transactions(window.databaseUrl);
  const { cpuMicros, systemMicros } = JSON.parse(readFileSync(windowFile, 'utf8')) as {
    cpuMicros: number;
    systemMicros: number;
  };
  return {
    run,
    cpuMicrosPerAsk: (cpuMicros + others) / proofs.length,
    kernelShare: systemMicros / cpuMicros,
    ...(info.instancePids.length ? { otherInstancesCpuMicrosPerAsk: others / proofs.length } : {}),
    ...(pgPids.length ? { postgresCpuMicrosPerAsk: postgres / proofs.length } : {}),
    loadGeneratorCpuMicrosPerAsk: (self.user + self.system) / proofs.length,
    ...(xactBefore !== undefined && xactAfter !== undefined
      ? { transactionsPerAsk: (xactAfter - xactBefore) / proofs.length }
      : {}),
    ...(PROFILE ? { profile: summariseProfile(join(info.profileDir, `${id}.cpuprofile`)) } : {}),
  };
}

interface BackendResult {
  storage: string;
  /** The storage, and the number of gateway instances when more than one. */
  label: string;
  balances: Measured;
  bot: Measured;
  steps: StepCosts;
  cosign: ServerInfo['cosign'];
  profiles: Record<string, ProfileSummary>;
}

async function measureBackend(env: Record<string, string>): Promise<BackendResult> {
  const server = await startChild<ServerInfo>(new URL('./servers/release.ts', import.meta.url), {
    ...env,
    BENCH_RELEASE_SERVER: '1',
  });
  try {
    const info = server.info;
    const window = { n: 0, databaseUrl: env['DATABASE_URL'] || undefined };
    const balances = await measureAsk(
      info,
      { method: 'GET', url: info.balancesUrl },
      `Open Banking balances (${info.storage})`,
      window,
    );
    const body = JSON.stringify({ sender: { id: info.subject }, postback: { payload: 'BALANCE' } });
    const bot = await measureAsk(
      info,
      { method: 'POST', url: info.botUrl, body },
      `bot balance, sealed (${info.storage})`,
      window,
    );
    const profiles: Record<string, ProfileSummary> = {};
    const instances = info.instancePids.length + 1;
    const label = instances > 1 ? `${info.storage}, ${instances} instances` : info.storage;
    if (balances.profile) profiles[`balances (${label})`] = balances.profile;
    if (bot.profile) profiles[`bot (${label})`] = bot.profile;
    return { storage: info.storage, label, balances, bot, steps: info.steps, cosign: info.cosign, profiles };
  } finally {
    await server.stop();
  }
}

const GOALS: Record<string, { perSecond: number; p99Ms?: number; ratio?: number }> = {
  postgres: { perSecond: 2000, p99Ms: 50, ratio: 0.03 },
  pglite: { perSecond: 600 },
};

function goalText(storage: string): string {
  const g = GOALS[storage]!;
  return `goal ≥ ${g.perSecond}/s${g.p99Ms ? `, p99 ≤ ${g.p99Ms} ms` : ''}${g.ratio ? `, ≥ ${g.ratio * 100} % of bare` : ''}`;
}

function perAsk(r: Measured, what: string, s: string): Measurement[] {
  const out: Measurement[] = [
    { benchmark: 'release', metric: `${what} p50 (${s})`, value: r.run.p50Ms, unit: 'ms' },
    { benchmark: 'release', metric: `${what} p99 (${s})`, value: r.run.p99Ms, unit: 'ms' },
    {
      benchmark: 'release',
      metric: `${what}: gateway CPU per ask, all threads${r.otherInstancesCpuMicrosPerAsk !== undefined ? ', all instances' : ''} (${s})`,
      value: r.cpuMicrosPerAsk,
      unit: 'µs',
    },
    {
      benchmark: 'release',
      metric: `${what}: of the measured gateway process's CPU, in the kernel (system time, ${s})`,
      value: 100 * r.kernelShare,
      unit: '%',
    },
    {
      benchmark: 'release',
      metric: `${what}: load generator CPU per ask (autocannon, ${s})`,
      value: r.loadGeneratorCpuMicrosPerAsk,
      unit: 'µs',
    },
  ];
  if (r.postgresCpuMicrosPerAsk !== undefined) {
    out.push({
      benchmark: 'release',
      metric: `${what}: PostgreSQL backends' CPU per ask (this database's connections, ${s})`,
      value: r.postgresCpuMicrosPerAsk,
      unit: 'µs',
    });
    // The arithmetic against the machine: asks a second its cores could carry at this CPU per ask.
    const total = r.cpuMicrosPerAsk + r.postgresCpuMicrosPerAsk + r.loadGeneratorCpuMicrosPerAsk;
    out.push({
      benchmark: 'release',
      metric: `${what}: most asks/s ${CORES} cores carry at gateway + PostgreSQL + load generator CPU per ask (${s})`,
      value: (CORES * 1_000_000) / total,
      unit: '/s',
    });
  }
  if (r.transactionsPerAsk !== undefined)
    out.push({
      benchmark: 'release',
      metric: `${what}: PostgreSQL transactions per ask (${s})`,
      value: r.transactionsPerAsk,
      unit: 'xact',
    });
  return out;
}

function backendMeasurements(r: BackendResult, baseline: { name: string; value: number }): Measurement[] {
  const s = r.label;
  const out: Measurement[] = [
    {
      benchmark: 'release',
      metric: `balance asks, Open Banking route (${s}; ${goalText(r.storage)})`,
      value: r.balances.run.requestsPerSecond,
      unit: 'req/s',
      baseline,
    },
    ...perAsk(r.balances, 'balance ask', s),
    {
      benchmark: 'release',
      metric: `balance asks, bot, sealed to the device (${s})`,
      value: r.bot.run.requestsPerSecond,
      unit: 'req/s',
      baseline,
    },
    ...perAsk(r.bot, 'bot balance', s),
  ];
  for (const [step, micros] of Object.entries(r.steps))
    out.push({ benchmark: 'release-steps', metric: `${step} (${s})`, value: micros, unit: 'µs' });
  out.push(
    {
      benchmark: 'release-log',
      metric: `releases logged, 32 concurrent, audit trail + bank log + demo witness (${s})`,
      value: r.cosign.appendsPerSecond,
      unit: '/s',
    },
    {
      benchmark: 'release-log',
      metric: `append → cosigned checkpoint p50 (${s})`,
      value: r.cosign.p50Ms,
      unit: 'ms',
    },
    {
      benchmark: 'release-log',
      metric: `append → cosigned checkpoint p99 (${s}; goal ≤ 1,500 ms)`,
      value: r.cosign.p99Ms,
      unit: 'ms',
    },
  );
  return out;
}

export async function run(): Promise<Measurement[]> {
  const bare = await startChild<{ url: string }>(new URL('./servers/bare.ts', import.meta.url));
  const ceiling = await load(bare.info.url, {
    label: 'bare Fastify constant route',
    seconds: SECONDS,
    connections: CONNECTIONS,
  });
  await bare.stop();
  const baseline = { name: 'bare Fastify constant route', value: ceiling.requestsPerSecond };
  const out: Measurement[] = [
    { benchmark: 'release-ceiling', metric: baseline.name, value: baseline.value, unit: 'req/s' },
  ];
  // PGlite, PostgreSQL with one gateway instance and, with BENCH_INSTANCES=N, PostgreSQL with N
  // instances on one port (each PostgreSQL run on a throwaway database of its own).
  const runs: { postgres: boolean; instances: number }[] = [
    { postgres: false, instances: 1 },
    { postgres: true, instances: 1 },
  ];
  if (INSTANCES > 1) runs.push({ postgres: true, instances: INSTANCES });
  // BENCH_STORAGE=pglite or postgres: that storage only.
  const only = process.env['BENCH_STORAGE'];
  const wanted = runs.filter((r) => !only || (only === 'postgres') === r.postgres);
  const profiles: Record<string, ProfileSummary> = {};
  for (const { postgres, instances } of wanted) {
    const database = postgres ? await postgresDatabase() : null;
    if (postgres && !database) continue;
    try {
      const r = await measureBackend({
        DATABASE_URL: database?.url ?? '',
        BENCH_INSTANCES: String(instances),
      });
      out.push(...backendMeasurements(r, baseline));
      Object.assign(profiles, r.profiles);
    } finally {
      await database?.drop();
    }
  }
  if (PROFILE) {
    const dir = new URL('./results/', import.meta.url);
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      new URL('release-profile.json', dir),
      `${JSON.stringify({ date: new Date().toISOString(), profiles }, null, 2)}\n`,
    );
    for (const [name, p] of Object.entries(profiles)) process.stderr.write(`${formatSummary(name, p)}\n`);
  }
  return out;
}

if (process.argv[1] === fileURLToPath(import.meta.url))
  process.stdout.write(`${table((await run()).map(withRatio))}\n`);
