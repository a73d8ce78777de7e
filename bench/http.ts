// Reads per second through the full HTTP stack (schema validation, access check, bank
// core, serialisation), against a bare Fastify constant route measured in the same run.
import { startChild } from './lib/child.ts';
import { load } from './lib/load.ts';
import type { Measurement } from './lib/results.ts';

const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 8);

export async function run(): Promise<Measurement[]> {
  const bare = await startChild<{ url: string }>(new URL('./servers/bare.ts', import.meta.url));
  const ceiling = await load(bare.info.url, { label: 'bare Fastify constant route', seconds: SECONDS });
  await bare.stop();

  const gw = await startChild<{ token: string; accounts: string; transactions: string; storage: string }>(
    new URL('./servers/gateway.ts', import.meta.url),
  );
  try {
    const headers = { authorization: `Bearer ${gw.info.token}` };
    const accounts = await load(gw.info.accounts, { label: 'GET /accounts', headers, seconds: SECONDS });
    const transactions = await load(gw.info.transactions, {
      label: 'GET /transactions (50/page)',
      headers,
      seconds: SECONDS,
    });
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
        metric: `account list (${storage})`,
        value: accounts.requestsPerSecond,
        unit: 'req/s',
        baseline,
      },
      { benchmark: 'http-reads', metric: `account list p99 (${storage})`, value: accounts.p99Ms, unit: 'ms' },
      {
        benchmark: 'http-reads',
        metric: `transactions page of 50 (${storage})`,
        value: transactions.requestsPerSecond,
        unit: 'req/s',
        baseline,
      },
      {
        benchmark: 'http-reads',
        metric: `transactions page p99 (${storage})`,
        value: transactions.p99Ms,
        unit: 'ms',
      },
    ];
  } finally {
    await gw.stop();
  }
}
