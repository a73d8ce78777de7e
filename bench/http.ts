// Public reads per second through the full HTTP stack (routing, schemas, database,
// serialisation, security headers), against a bare Fastify constant route measured in the
// same run. Authorised data reads (DPoP + consent + Cedar + log) are bench/consent.ts.
import { startChild } from './lib/child.ts';
import { load } from './lib/load.ts';
import type { Measurement } from './lib/results.ts';

const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 8);

export async function run(): Promise<Measurement[]> {
  const bare = await startChild<{ url: string }>(new URL('./servers/bare.ts', import.meta.url));
  const ceiling = await load(bare.info.url, { label: 'bare Fastify constant route', seconds: SECONDS });
  await bare.stop();

  const gw = await startChild<{ discovery: string; jwks: string; checkpoint: string; storage: string }>(
    new URL('./servers/gateway.ts', import.meta.url),
  );
  try {
    const accounts = await load(gw.info.discovery, { label: 'GET /.well-known/proviso', seconds: SECONDS });
    const transactions = await load(gw.info.checkpoint, { label: 'GET log checkpoint', seconds: SECONDS });
    const baseline = { name: 'bare Fastify constant route', value: ceiling.requestsPerSecond };
    const storage = gw.info.storage;
    return [
      {
        benchmark: 'http-ceiling',
        metric: 'bare Fastify constant route',
        value: ceiling.requestsPerSecond,
        unit: 'req/s',
      },
      {
        benchmark: 'http-reads',
        metric: `discovery document (${storage})`,
        value: accounts.requestsPerSecond,
        unit: 'req/s',
        baseline,
      },
      { benchmark: 'http-reads', metric: `discovery p99 (${storage})`, value: accounts.p99Ms, unit: 'ms' },
      {
        benchmark: 'http-reads',
        metric: `log checkpoint (${storage})`,
        value: transactions.requestsPerSecond,
        unit: 'req/s',
        baseline,
      },
      {
        benchmark: 'http-reads',
        metric: `log checkpoint p99 (${storage})`,
        value: transactions.p99Ms,
        unit: 'ms',
      },
    ];
  } finally {
    await gw.stop();
  }
}
