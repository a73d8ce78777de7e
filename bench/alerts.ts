// From a card authorisation entering the bank to the sealed "Was this you?" reaching the
// customer's device, under a steady offered load of card authorisations.
//
// The system (gateway + relay, one device linked to the demo customer with fraud alerts)
// runs in a child process (bench/servers/system.ts). This process is the bank's card
// processor and the device: it replays the simulator's month of card authorisations for the
// seeded customers (BENCH_CUSTOMERS, 1,500 by default: ~88,000 payments with injected fraud)
// in time order with their own timestamps — so each card's velocity is a real customer's —
// first a warm-up (BENCH_WARMUP, not measured) to give cards and terminals a history; then,
// as a bank does before going live, a threshold for its daily alert budget
// (BENCH_ALERTS_PER_DAY) chosen from those scores; then at BENCH_RATE per second (default
// 2,000) for BENCH_SECONDS (default 30), and once a second a big-ticket fraudulent payment
// on the demo customer's card (more often and, within the run, they would outnumber the
// card's genuine payments of its 30-day history: big tickets would become its usual amount
// and the engine would rightly stop flagging them). The device
// holds a WebSocket to the relay; latency is from the moment the batch carrying a fraud
// event is sent to the moment the envelope whose header id is that alert arrives on the
// socket: screening, Cedar, the log append, sealing, the webhook push, the relay's store and
// fan-out. Batches in flight are capped (BENCH_INFLIGHT, default 16): when the system cannot
// keep up, the achieved rate shows it rather than an unbounded queue in this process.
//
// Two figures of issue #10, each beside its reference from the same run: the card processor's
// ingest acknowledgement p99 (every batch, send → answer; the answer comes once screening is
// durable, the pushes leave through the outbox) beside a bare route of the same gateway
// (/healthz) asked once a tick under the same load; and ingest → device p99 beside the ingest
// acknowledgement p99 of the same fraud batches (what the push to the device adds).

import { demoAuthorisations, generateCustomer, regionFor } from '../src/bank/index.ts';
import { startChild } from './lib/child.ts';
import { postgresDatabase } from './lib/postgres.ts';
import type { Measurement } from './lib/results.ts';
import { SYSTEM_SEED } from './lib/system-seed.ts';

const RATE = Number(process.env['BENCH_RATE'] ?? 2000);
const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 30);
const CUSTOMERS = Number(process.env['BENCH_CUSTOMERS'] ?? 1500);
const INFLIGHT = Number(process.env['BENCH_INFLIGHT'] ?? 16);
const TICK_MS = 50;
const FRAUD_EVERY_MS = 1000;
const WARMUP = Number(process.env['BENCH_WARMUP'] ?? 20_000);
/** The bank's daily alert budget, set after the warm-up (≈1 % of these customers' payments). */
const ALERTS_PER_DAY = Number(process.env['BENCH_ALERTS_PER_DAY'] ?? 30);
/** Which backends to measure: 'pglite', 'postgres' or both (default). */
const STORAGE = process.env['BENCH_STORAGE'] ?? 'both';
/** Node flags for the system's process, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`. */
const CHILD_FLAGS = (process.env['BENCH_CHILD_FLAGS'] ?? '').split(' ').filter(Boolean);

interface SystemInfo {
  gateway: string;
  relay: string;
  ingestKey: string;
  deviceToken: string;
  customers: number;
  storage: string;
}

function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function measure(env: Record<string, string>): Promise<Measurement[]> {
  const system = await startChild<SystemInfo>(
    new URL('./servers/system.ts', import.meta.url),
    { ...env, BENCH_CUSTOMERS: String(CUSTOMERS) },
    CHILD_FLAGS,
  );
  try {
    const { gateway, relay, ingestKey, deviceToken, customers, storage } = system.info;
    const region = regionFor('northwind');
    const people = Array.from({ length: customers }, (_, i) =>
      generateCustomer(i, { ...SYSTEM_SEED, bankId: 'northwind', region }),
    );
    const stream = demoAuthorisations(people, {
      seed: SYSTEM_SEED.seed,
      bankId: 'northwind',
      currency: region.currency,
    }).map(({ fraud: _fraud, ...event }) => event);
    const demo = people[0]!;
    const demoCard = stream.find((e) => e.customerId === demo.id)?.cardId;
    if (!demoCard) throw new Error('the simulator gave the demo customer no card payments');
    const url = `${gateway}/banks/northwind/screening/authorisations`;
    const headers = { 'content-type': 'application/json', authorization: `Bearer ${ingestKey}` };
    const acks: number[] = [];
    const bare: number[] = [];
    const fraudAcks: number[] = [];
    const post = (events: unknown[]) =>
      fetch(url, { method: 'POST', headers, body: JSON.stringify({ events }) }).then(async (r) => {
        if (!r.ok) throw new Error(`ingest answered ${r.status}: ${await r.text()}`);
        return (await r.json()) as {
          screened: number;
          results: { transactionId: string | null; alertId: string | null }[];
        };
      });

    // Warm-up (not measured): the first WARMUP events of the simulator's stream, in time
    // order, as fast as the system takes them, so every card and terminal has a history.
    const warmup = Math.min(WARMUP, Math.floor(stream.length / 3));
    process.stderr.write(`  warm-up: ${warmup} authorisations (${storage})\n`);
    for (let at = 0; at < warmup; ) {
      const chunk: Promise<unknown>[] = [];
      for (let k = 0; k < INFLIGHT && at < warmup; k++, at += 100)
        chunk.push(post(stream.slice(at, Math.min(at + 100, warmup))));
      await Promise.all(chunk);
    }
    // As a bank does before going live: a threshold for its daily alert budget, chosen from
    // the scores of its own traffic (the shipped model was trained on another population,
    // so its default 0.5 would flag a quarter of these payments).
    const budget = await fetch(`${gateway}/banks/northwind/screening/threshold`, {
      method: 'PUT',
      headers,
      body: JSON.stringify({ alerts_per_day: ALERTS_PER_DAY, days: 28 }),
    });
    if (!budget.ok) throw new Error(`threshold answered ${budget.status}: ${await budget.text()}`);
    const { threshold } = (await budget.json()) as { threshold: number };
    process.stderr.write(`  threshold ${threshold.toFixed(4)} for ${ALERTS_PER_DAY} alerts a day\n`);
    const usual = stream.filter((e, i) => i < warmup && e.cardId === demoCard);
    if (!usual.length) throw new Error('the demo card had no payments in the warm-up');

    // The device.
    const arrivals = new Map<string, number>();
    const ws = new WebSocket(`${relay.replace(/^http/, 'ws')}/api/stream`);
    await new Promise<void>((resolve, reject) => {
      ws.onopen = () => ws.send(JSON.stringify({ type: 'hello', token: deviceToken }));
      ws.onerror = () => reject(new Error('device stream failed'));
      ws.onmessage = (m) => {
        const frame = JSON.parse(String(m.data)) as { type: string; id?: string; envelope?: string };
        if (frame.type === 'ready') resolve();
        if (frame.type !== 'message' || !frame.envelope) return;
        const payload = frame.envelope.split('.')[1] ?? '';
        const body = JSON.parse(Buffer.from(payload, 'base64url').toString()) as { hdr?: { id?: string } };
        if (body.hdr?.id) arrivals.set(body.hdr.id, performance.now());
        ws.send(JSON.stringify({ type: 'ack', ids: [frame.id] }));
      };
    });

    // Steady load: a batch every TICK_MS; a fraud on the demo card every FRAUD_EVERY_MS.
    const perTick = Math.max(1, Math.round((RATE * TICK_MS) / 1000));
    const fraudSent = new Map<string, number>(); // transactionId → send time
    const alertOf = new Map<string, string>(); // transactionId → alert id
    let next = warmup;
    let inflight = 0;
    let offered = 0;
    let screened = 0;
    let dropped = 0;
    let fraudCount = 0;
    let alertsRaised = 0;
    const errors: string[] = [];
    const start = performance.now();
    let ticks = 0;
    process.stderr.write(`  offering ${RATE}/s for ${SECONDS} s (${storage})\n`);
    while (performance.now() - start < SECONDS * 1000) {
      // A fixed schedule: a late timer does not skip a tick, the next one just comes sooner.
      const tickAt = start + ticks++ * TICK_MS;
      if (next + perTick > stream.length) break; // the simulated month is used up
      // The simulator's own times: card velocities stay those of real customers.
      const batch: typeof stream = stream.slice(next, next + perTick);
      next += perTick;
      const now = batch.at(-1)!.time;
      const tick = ticks - 1;
      const full = inflight >= INFLIGHT;
      let fraudId: string | undefined;
      if (tick % Math.round(FRAUD_EVERY_MS / TICK_MS) === 0 && !full) {
        const id = `bench-fraud-${fraudCount++}`;
        batch.push({
          ...usual[0]!,
          transactionId: id,
          terminalId: `bench-electro-${fraudCount}`,
          merchantName: 'Electro Outlet Online',
          mcc: '5732',
          country: 'RO',
          channel: 'ecom',
          amount: '2499.00',
          time: now,
        });
        fraudId = id;
      }
      offered += batch.length;
      if (full) dropped += batch.length;
      else {
        inflight++;
        const sentAt = performance.now();
        if (fraudId) fraudSent.set(fraudId, sentAt);
        void post(batch)
          .then((r) => {
            const ack = performance.now() - sentAt;
            acks.push(ack);
            if (fraudId) fraudAcks.push(ack);
            screened += r.screened;
            for (const x of r.results) {
              if (!x.transactionId || !x.alertId) continue;
              alertOf.set(x.transactionId, x.alertId);
              alertsRaised++;
            }
          })
          .catch((e: Error) => errors.push(e.message))
          .finally(() => inflight--);
      }
      // The reference: a bare route of the same gateway, under the same load.
      const bareAt = performance.now();
      void fetch(`${gateway}/healthz`)
        .then(async (r) => {
          await r.body?.cancel();
          bare.push(performance.now() - bareAt);
        })
        .catch(() => {});
      const wait = tickAt + TICK_MS - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
    const elapsed = (performance.now() - start) / 1000;
    // Let the last alerts arrive.
    const settle = performance.now();
    while ((inflight > 0 || performance.now() - settle < 3000) && performance.now() - settle < 30_000)
      await new Promise((r) => setTimeout(r, 50));
    ws.close();
    if (errors.length) process.stderr.write(`  ${errors.length} ingest errors, first: ${errors[0]}\n`);

    const fraudAlerts = [...fraudSent.keys()].filter((tx) => alertOf.has(tx)).length;
    process.stderr.write(
      `  ${fraudSent.size} frauds sent, ${fraudAlerts} raised alerts, ${arrivals.size} envelopes reached the device\n`,
    );
    const latencies: number[] = [];
    for (const [tx, sentAt] of fraudSent) {
      const alertId = alertOf.get(tx);
      const arrived = alertId ? arrivals.get(alertId) : undefined;
      if (arrived !== undefined) latencies.push(arrived - sentAt);
    }
    latencies.sort((a, b) => a - b);
    for (const list of [acks, bare, fraudAcks]) list.sort((a, b) => a - b);
    const label = `(${storage}, offered ${RATE}/s)`;
    return [
      {
        benchmark: 'alerts',
        metric: `authorisations offered per second ${label}`,
        value: offered / elapsed,
        unit: 'tx/s',
      },
      {
        benchmark: 'alerts',
        metric: `authorisations screened per second ${label}`,
        value: screened / elapsed,
        unit: 'tx/s',
      },
      {
        benchmark: 'alerts',
        metric: `authorisations not sent (back-pressure) ${label}`,
        value: dropped,
        unit: 'events',
      },
      {
        benchmark: 'alerts',
        metric: `alerts raised, all customers (bank queue or device) ${label}`,
        value: alertsRaised,
        unit: 'alerts',
      },
      {
        benchmark: 'alerts',
        metric: `fraud alerts delivered to the device ${label}`,
        value: latencies.length,
        unit: `of ${fraudSent.size}`,
      },
      {
        benchmark: 'alerts',
        metric: `ingest → device p50 ${label}`,
        value: percentile(latencies, 50),
        unit: 'ms',
      },
      {
        benchmark: 'alerts',
        metric: `ingest → device p99 ${label} (goal ≤ 250 ms)`,
        value: percentile(latencies, 99),
        unit: 'ms',
      },
      {
        benchmark: 'alerts',
        metric: `  reference: ingest acknowledgement p99 of the same fraud batches ${label}`,
        value: percentile(fraudAcks, 99),
        unit: 'ms',
      },
      {
        benchmark: 'alerts',
        metric: `ingest acknowledgement p50 ${label}`,
        value: percentile(acks, 50),
        unit: 'ms',
      },
      {
        benchmark: 'alerts',
        metric: `ingest acknowledgement p99 ${label} (goal ≤ 20 ms)`,
        value: percentile(acks, 99),
        unit: 'ms',
      },
      {
        benchmark: 'alerts',
        metric: `  reference: bare route (/healthz) p99, same gateway, same load ${label}`,
        value: percentile(bare, 99),
        unit: 'ms',
      },
    ];
  } finally {
    await system.stop();
  }
}

export async function run(): Promise<Measurement[]> {
  const results = STORAGE === 'postgres' ? [] : await measure({ DATABASE_URL: '' });
  if (STORAGE === 'pglite') return results;
  const postgres = await postgresDatabase();
  if (!postgres) return results;
  try {
    results.push(...(await measure({ DATABASE_URL: postgres.url })));
  } finally {
    await postgres.drop();
  }
  return results;
}

if (import.meta.main) {
  const { table } = await import('./lib/results.ts');
  process.stdout.write(`${table(await run())}\n`);
}
