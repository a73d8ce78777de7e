// Purpose-policy decisions per second against the preparsed v1 policy set: one Cedar
// evaluation per call with the decision cache off, for an allowed call and for a
// forbidden-purpose refusal (which also builds the explanation, and is never cached); and the
// allowed call again with the cache on (the same consent version asked again), beside the
// uncached figure from the same run. Single thread, per CPU-second (bench/lib/micro.ts). `node bench/policy.ts` prints a table.
import { fileURLToPath } from 'node:url';
import { createPolicyEngine, type DecisionInput } from '../src/policy/index.ts';
import { bestRates, rate } from './lib/micro.ts';
import { type Measurement, table, withRatio } from './lib/results.ts';

const SECONDS = Math.min(Number(process.env['BENCH_SECONDS'] ?? 2), 4) / 3;

export async function run(): Promise<Measurement[]> {
  const engine = await createPolicyEngine({ cacheSize: 0 });
  const cached = await createPolicyEngine();
  const allowed: DecisionInput = {
    consent: {
      id: 'cns_bench',
      status: 'authorised',
      platform: 'chat',
      customerId: 'cus_1',
      purposes: ['balance_inquiry', 'transaction_notifications'],
      clusters: ['accounts', 'balances', 'transactions'],
      accountIds: ['acc_1', 'acc_2', 'acc_3'],
      expiresAt: new Date(Date.now() + 86_400_000),
    },
    request: {
      platform: 'chat',
      customerId: 'cus_1',
      purpose: 'balance_inquiry',
      cluster: 'balances',
      accountId: 'acc_2',
      now: new Date(),
    },
  };
  const forbidden: DecisionInput = { ...allowed, request: { ...allowed.request, purpose: 'advertising' } };
  if (!engine.decide(allowed).allowed || engine.decide(forbidden).allowed)
    throw new Error('bench inputs wrong');
  const best = await bestRates(
    {
      allowedUncached: () => rate(SECONDS, () => engine.decide(allowed)),
      allowedCached: () => rate(SECONDS, () => cached.decide(allowed)),
      forbidden: () => rate(SECONDS, () => engine.decide(forbidden)),
    },
    3,
  );
  const uncachedAllowed = Math.round(best['allowedUncached'] ?? 0);
  return [
    { benchmark: 'policy', metric: 'decisions/s (allowed, uncached)', value: uncachedAllowed, unit: 'ops/s' },
    {
      benchmark: 'policy',
      metric: 'decisions/s (allowed, cached)',
      value: Math.round(best['allowedCached'] ?? 0),
      unit: 'ops/s',
      baseline: { name: 'allowed, uncached', value: uncachedAllowed },
    },
    {
      benchmark: 'policy',
      metric: 'decisions/s (forbidden purpose, never cached)',
      value: Math.round(best['forbidden'] ?? 0),
      unit: 'ops/s',
    },
  ];
}

if (process.argv[1] === fileURLToPath(import.meta.url))
  process.stdout.write(`${table((await run()).map(withRatio))}\n`);
