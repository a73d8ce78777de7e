// Drives HTTP load at a server in another process with autocannon and reports
// throughput and latency. Every non-2xx answer fails the run: a benchmark of errors is
// not a benchmark.
import autocannon from 'autocannon';

export interface LoadResult {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  total: number;
}

export async function load(
  url: string,
  options: { connections?: number; seconds?: number; headers?: Record<string, string>; label: string },
): Promise<LoadResult> {
  process.stderr.write(`  load: ${options.label} for ${options.seconds ?? 8} s…\n`);
  const result = await autocannon({
    url,
    connections: options.connections ?? 16,
    duration: options.seconds ?? 8,
    headers: options.headers ?? {},
  });
  const bad = result.non2xx + result.errors + result.timeouts;
  if (bad > 0)
    throw new Error(
      `${options.label}: ${bad} of ${result.requests.total} requests failed (non-2xx/errors/timeouts)`,
    );
  return {
    requestsPerSecond: result.requests.average,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    total: result.requests.total,
  };
}
