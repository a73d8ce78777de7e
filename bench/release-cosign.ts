// Append → cosigned checkpoint latency on the gateway's own bank log (the demo witness, as
// `npm start` runs it): releases logged by 32 concurrent callers for a few seconds; every
// 8th waits, from the moment it was asked, until a checkpoint covering it carries the
// witness quorum's cosignature. Goal (issue #10): p99 ≤ 1.5 s. Called by bench/release.ts in
// its child, before the HTTP load.
import { randomUUID } from 'node:crypto';
import type { AuditEvent } from '../src/audit/index.ts';
import type { RunningGateway } from '../src/gateway/runtime.ts';

const SECONDS = Number(process.env['BENCH_COSIGN_SECONDS'] ?? 3);
const CALLERS = 32;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

export async function appendToCosigned(
  gw: RunningGateway,
  event: AuditEvent,
): Promise<{ appendsPerSecond: number; p50Ms: number; p99Ms: number; samples: number }> {
  const log = gw.logs.get(event.bankId)!;
  const end = Date.now() + SECONDS * 1000;
  const latencies: Promise<number>[] = [];
  let appended = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CALLERS }, async (_, caller) => {
      for (let n = 0; Date.now() < end; n++) {
        const asked = performance.now();
        const index = await gw.audit.record({
          ...event,
          replay: { jkt: 'bench-cosign', jti: randomUUID(), expiresAt: new Date(Date.now() + 125_000) },
        });
        appended++;
        if ((n + caller) % 8 === 0)
          latencies.push(
            log
              .waitForCheckpoint(index + 1, { cosigned: true, timeoutMs: 30_000 })
              .then(() => performance.now() - asked),
          );
      }
    }),
  );
  const appendsPerSecond = (appended * 1000) / (performance.now() - started);
  const sorted = (await Promise.all(latencies)).sort((a, b) => a - b);
  return {
    appendsPerSecond,
    p50Ms: percentile(sorted, 50),
    p99Ms: percentile(sorted, 99),
    samples: sorted.length,
  };
}
