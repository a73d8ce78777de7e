// Authorised balance reads per second through the consent door, against the bare Fastify
// ceiling measured in the same run, on PGlite and on PostgreSQL (DATABASE_URL, or the local
// test server; a throwaway database is created on it and dropped afterwards).
//
// What one measured request is: GET /accounts/{id}/balances with `Authorization: DPoP`, a
// DPoP proof never used before and `x-proviso-purpose: balance_inquiry`. The gateway verifies
// the proof (ES256 signature, htm, htu, iat, ath), looks the token and its consent up in the
// database, records the proof's jti (replay store, one INSERT), asks Cedar, reads the bank
// core, projects the balance to the purpose, and appends the access to the transparency log
// (group commit) before answering. That is the whole production path, not DPoP + Cedar alone.
//
// Proofs: each request needs a fresh one. They are signed in this process BEFORE the load
// starts (a pool, one per request; autocannon runs a fixed number of requests, each taking
// the next proof), so the platform's signing cost is not in the gateway's figure; it is
// reported separately. Proofs are at most ~30 s old when used (the gateway accepts 60 s).
//
// `node bench/consent.ts` prints a table; `npm run bench -- consent` also saves
// bench/results/consent.json. The gateway runs in a child process (this file with
// BENCH_CONSENT_SERVER=1) so the load generator does not share its event loop.
import { createHash, randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { importJWK, type JWK, SignJWT } from 'jose';
import { startChild } from './lib/child.ts';
import { startLinkedGateway } from './lib/linked-gateway.ts';
import { load } from './lib/load.ts';
import { postgresDatabase } from './lib/postgres.ts';
import { type Measurement, table } from './lib/results.ts';

const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 8);
const CONNECTIONS = 16;
const MAX_POOL = 40_000;

interface ServerInfo {
  url: string;
  accessToken: string;
  privateJwk: JWK;
  publicJwk: JWK;
  storage: string;
}

// ---- the gateway side (child process) ------------------------------------------------------
async function serve(): Promise<void> {
  const { exportJWK } = await import('jose');
  const { gw, linked, closeOnSigterm } = await startLinkedGateway('consent');
  const info: ServerInfo = {
    url: `${gw.url}/banks/northwind/open-banking/v3.1/aisp/accounts/${linked.picked[0]}/balances`,
    // A throwaway token for a throwaway database, handed to the parent over a pipe.
    accessToken: linked.link.accessToken,
    privateJwk: await exportJWK(linked.link.dpopKeys.privateKey),
    publicJwk: await exportJWK(linked.link.dpopKeys.publicKey),
    storage: gw.database.kind,
  };
  process.stdout.write(`${JSON.stringify(info)}\n`);
  closeOnSigterm();
}

// ---- the platform side (this process) ---------------------------------------------------------
async function signProofs(info: ServerInfo, n: number): Promise<{ proofs: string[]; perSecond: number }> {
  const key = await importJWK(info.privateJwk, 'ES256');
  const ath = createHash('sha256').update(info.accessToken).digest('base64url');
  const start = performance.now();
  const proofs: string[] = [];
  for (let i = 0; i < n; i++) {
    proofs.push(
      await new SignJWT({ htm: 'GET', htu: info.url, ath, jti: randomUUID() })
        .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: info.publicJwk })
        .setIssuedAt()
        .sign(key),
    );
  }
  return { proofs, perSecond: (n * 1000) / (performance.now() - start) };
}

interface Run {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  total: number;
}

/** Exactly `proofs.length` requests, each with its own proof; fails on any non-2xx. */
async function reads(info: ServerInfo, proofs: string[], label: string): Promise<Run> {
  process.stderr.write(`  load: ${label}, ${proofs.length} requests…\n`);
  let next = 0;
  const started = performance.now();
  const result = await autocannon({
    url: info.url,
    connections: CONNECTIONS,
    amount: proofs.length,
    requests: [
      {
        method: 'GET',
        setupRequest: (req) => ({
          ...req,
          headers: {
            authorization: `DPoP ${info.accessToken}`,
            dpop: proofs[next++ % proofs.length]!,
            'x-proviso-purpose': 'balance_inquiry',
          },
        }),
      },
    ],
  });
  const elapsed = (performance.now() - started) / 1000;
  const bad = result.non2xx + result.errors + result.timeouts;
  if (bad > 0) throw new Error(`${label}: ${bad} of ${result.requests.total} requests failed`);
  if (next > proofs.length) throw new Error(`${label}: ran out of proofs`);
  return {
    requestsPerSecond: result.requests.total / elapsed,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    total: result.requests.total,
  };
}

async function measureBackend(
  env: Record<string, string>,
): Promise<{ storage: string; run: Run; signing: number }> {
  const server = await startChild<ServerInfo>(new URL(import.meta.url), {
    ...env,
    BENCH_CONSENT_SERVER: '1',
  });
  try {
    const info = server.info;
    // Calibrate (and warm up: JIT, connection pools, Cedar), then size the main run to ~SECONDS.
    const warm = await signProofs(info, 1000);
    const calibration = await reads(info, warm.proofs, `warm-up (${info.storage})`);
    const n = Math.max(1000, Math.min(MAX_POOL, Math.round(calibration.requestsPerSecond * SECONDS)));
    const { proofs, perSecond } = await signProofs(info, n);
    const run = await reads(info, proofs, `authorised balance reads (${info.storage})`);
    return { storage: info.storage, run, signing: perSecond };
  } finally {
    await server.stop();
  }
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
    {
      benchmark: 'consent-ceiling',
      metric: 'bare Fastify constant route',
      value: ceiling.requestsPerSecond,
      unit: 'req/s',
    },
  ];
  const backends: Record<string, string>[] = [{ DATABASE_URL: '' }];
  const database = await postgresDatabase();
  if (database) backends.push({ DATABASE_URL: database.url });
  let signing = 0;
  try {
    for (const env of backends) {
      const r = await measureBackend(env);
      signing = Math.max(signing, r.signing);
      out.push(
        {
          benchmark: 'consent',
          metric: `authorised balance reads, DPoP + Cedar + log (${r.storage})`,
          value: r.run.requestsPerSecond,
          unit: 'req/s',
          baseline,
        },
        { benchmark: 'consent', metric: `balance read p50 (${r.storage})`, value: r.run.p50Ms, unit: 'ms' },
        { benchmark: 'consent', metric: `balance read p99 (${r.storage})`, value: r.run.p99Ms, unit: 'ms' },
      );
    }
  } finally {
    await database?.drop();
  }
  out.push({
    benchmark: 'consent',
    metric: 'DPoP proofs signed by the client, 1 thread (not in the req/s above)',
    value: signing,
    unit: 'proofs/s',
  });
  return out;
}

if (process.env['BENCH_CONSENT_SERVER'] === '1') await serve();
else if (process.argv[1] === fileURLToPath(import.meta.url)) process.stdout.write(`${table(await run())}\n`);
