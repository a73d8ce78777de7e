// Envelopes through the sealing pool on N worker threads, beside the same reference measured
// the same way: node:crypto's X25519 keygen + agreement on N worker threads, in the same run.
// Both are wall-clock rates (all N threads busy for the same wall seconds) and per CPU-second
// of the whole process (every thread), and the caller's own thread is measured apart
// (process.threadCpuUsage): what the outbox's thread still pays per envelope it hands off.
// Rounds alternate reference and pool; each keeps its best round (a shared machine).
// Also the round-trip latency of a few envelopes through the pool beside sealing them in the
// caller's thread: where a pooled sealer's in-thread threshold (inThreadBelow) comes from.

import { Worker } from 'node:worker_threads';
import type { Sealer, SealInput } from '../../src/seal/index.ts';

// A reference worker: on each message, X25519 keygen + agreement with a fixed peer until the
// deadline; answers how many it did. Plain JS (eval), nothing else loaded.
const REFERENCE_WORKER = `
const { parentPort } = require('node:worker_threads');
const { diffieHellman, generateKeyPairSync } = require('node:crypto');
const peer = generateKeyPairSync('x25519').publicKey;
parentPort.on('message', (ms) => {
  const end = performance.now() + ms;
  let n = 0;
  while (performance.now() < end) {
    for (let i = 0; i < 32; i++) diffieHellman({ privateKey: generateKeyPairSync('x25519').privateKey, publicKey: peer });
    n += 32;
  }
  parentPort.postMessage(n);
});`;

// Waves in flight (BENCH_SEAL_LANES): eight keep ~60 ms of work queued per worker, so a
// caller's thread that waits a few milliseconds for a core on a busy machine starves no worker.
const LANES = Number(process.env['BENCH_SEAL_LANES'] ?? 8);

export interface ThreadRate {
  /** Operations per wall second, all threads together. */
  wall: number;
  /** Operations per CPU-second of the whole process (all its threads). */
  cpu: number;
  /** CPU µs the calling (main) thread spent per operation. */
  callerMicros: number;
}

function cpuMicros(since: NodeJS.CpuUsage): number {
  const { user, system } = process.cpuUsage(since);
  return user + system;
}

function threadMicros(since: NodeJS.CpuUsage): number {
  const { user, system } = process.threadCpuUsage(since);
  return user + system;
}

async function measured(run: () => Promise<number>): Promise<ThreadRate> {
  const cpu = process.cpuUsage();
  const caller = process.threadCpuUsage();
  const start = performance.now();
  const n = await run();
  const wallSeconds = (performance.now() - start) / 1000;
  return { wall: n / wallSeconds, cpu: (n * 1e6) / cpuMicros(cpu), callerMicros: threadMicros(caller) / n };
}

export class ReferenceThreads {
  readonly #workers: Worker[];
  constructor(threads: number) {
    this.#workers = Array.from({ length: threads }, () => new Worker(REFERENCE_WORKER, { eval: true }));
  }

  /** X25519 keygen + agreement on every thread at once for `seconds`. */
  measure(seconds: number): Promise<ThreadRate> {
    return measured(async () => {
      const counts = await Promise.all(
        this.#workers.map(
          (w) =>
            new Promise<number>((resolve) => {
              w.once('message', resolve);
              w.postMessage(seconds * 1000);
            }),
        ),
      );
      return counts.reduce((a, b) => a + b, 0);
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.#workers.map((w) => w.terminate()));
  }
}

/**
 * Envelopes through a pooled sealer's sealSoon for `seconds`: waves of `wave` envelopes, LANES
 * in flight, so each worker has batches queued while the caller hands off or collects others
 * (on a busy machine the caller's thread may wait milliseconds for a core).
 */
export function poolRate(
  sealer: Sealer,
  input: SealInput,
  seconds: number,
  wave: number,
): Promise<ThreadRate> {
  return measured(async () => {
    const end = performance.now() + seconds * 1000;
    let n = 0;
    const lane = async () => {
      while (performance.now() < end) {
        await Promise.all(Array.from({ length: wave }, () => sealer.sealSoon(input)));
        n += wave;
      }
    };
    await Promise.all(Array.from({ length: LANES }, lane));
    return n;
  });
}

/** Median wall µs to seal `count` envelopes at once: through `sealSoon`, or in this thread. */
export async function roundTripMicros(
  seal: (input: SealInput) => Promise<string>,
  input: SealInput,
  count: number,
  repeats = 200,
): Promise<number> {
  const times: number[] = [];
  for (let r = 0; r < repeats; r++) {
    const start = performance.now();
    await Promise.all(Array.from({ length: count }, () => seal(input)));
    times.push((performance.now() - start) * 1000);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)] ?? 0;
}
