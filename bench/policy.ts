// Purpose-policy decisions per second: one Cedar evaluation per data call, against the
// preparsed v1 policy set, for an allowed call and for a forbidden-purpose refusal
// (which also builds the explanation). Single thread. `node bench/policy.ts` prints a table.
import { fileURLToPath } from 'node:url';
import { createPolicyEngine, type DecisionInput } from '../src/policy/index.ts';
import { type Measurement, table } from './lib/results.ts';

const SECONDS = Math.min(Number(process.env['BENCH_SECONDS'] ?? 2), 4);

function rate(seconds: number, fn: () => unknown, batch = 256): number {
  for (let i = 0; i < batch * 4; i++) fn(); // warm-up
  const start = performance.now();
  const end = start + seconds * 1000;
  let n = 0;
  while (performance.now() < end) {
    for (let i = 0; i < batch; i++) fn();
    n += batch;
  }
  return (n * 1000) / (performance.now() - start);
}

export async function run(): Promise<Measurement[]> {
  const engine = await createPolicyEngine();
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
  const perSecond = (input: DecisionInput) => Math.round(rate(SECONDS, () => engine.decide(input)));
  return [
    { benchmark: 'policy', metric: 'decisions/s (allowed)', value: perSecond(allowed), unit: 'ops/s' },
    {
      benchmark: 'policy',
      metric: 'decisions/s (forbidden purpose)',
      value: perSecond(forbidden),
      unit: 'ops/s',
    },
  ];
}

if (process.argv[1] === fileURLToPath(import.meta.url)) process.stdout.write(`${table(await run())}\n`);
