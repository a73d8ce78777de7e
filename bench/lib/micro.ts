// Micro-benchmark helpers for one-thread costs (crypto, policy): operations per CPU-second
// and CPU µs per operation. On a shared machine wall time mostly measures how much of a core
// the scheduler gave us; the CPU time this process used (all its threads, so an async path
// that works on node's thread pool is charged for it) measures the work. Contenders run in
// interleaved rounds and each keeps its best round (caches and frequency disturbed least).

function cpuMicros(since: NodeJS.CpuUsage): number {
  const { user, system } = process.cpuUsage(since);
  return user + system;
}

/** Calls fn in batches for `seconds` of wall time; returns operations per CPU-second. */
export async function rate(seconds: number, fn: () => unknown, batch = 64): Promise<number> {
  const once = async () => {
    const r = fn();
    if (r instanceof Promise) await r;
  };
  for (let i = 0; i < batch; i++) await once(); // warm-up
  const cpu = process.cpuUsage();
  const end = performance.now() + seconds * 1000;
  let n = 0;
  while (performance.now() < end) {
    for (let i = 0; i < batch; i++) await once();
    n += batch;
  }
  return (n * 1e6) / cpuMicros(cpu);
}

/** Same, keeping `concurrency` calls in flight (async paths that may use node's thread pool). */
export async function concurrentRate(
  seconds: number,
  fn: () => Promise<unknown>,
  concurrency: number,
): Promise<number> {
  const round = () => Promise.all(Array.from({ length: concurrency }, fn));
  await round();
  const cpu = process.cpuUsage();
  const end = performance.now() + seconds * 1000;
  let n = 0;
  while (performance.now() < end) {
    await round();
    n += concurrency;
  }
  return (n * 1e6) / cpuMicros(cpu);
}

/**
 * Runs every contender `rounds` times, interleaved, `seconds` each; returns the best rate of
 * each by name.
 */
export async function bestRates(
  contenders: Record<string, () => Promise<number>>,
  rounds: number,
): Promise<Record<string, number>> {
  const best: Record<string, number> = {};
  for (let round = 0; round < rounds; round++)
    for (const [name, measure] of Object.entries(contenders))
      best[name] = Math.max(best[name] ?? 0, await measure());
  return best;
}

export const microseconds = (opsPerSecond: number): number => (opsPerSecond > 0 ? 1e6 / opsPerSecond : 0);
