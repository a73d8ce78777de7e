// Quick probe: run N random requests and print violations grouped (development aid for the fuzz suite).
import fc from 'fast-check';
import { anyRequest, closeAgent, fuzzOne, newTally } from './requests.ts';
import { startFuzzSystem } from './system.ts';

const n = Number(process.argv[2] ?? 2000);
const system = await startFuzzSystem();
console.log(`${system.operations.length} operations`);
const tally = newTally();
const samples = fc.sample(anyRequest(system.operations), { numRuns: n, seed: Number(process.argv[3] ?? 1) });
const queue = [...samples];
await Promise.all(
  Array.from({ length: 8 }, async () => {
    for (let r = queue.shift(); r; r = queue.shift()) await fuzzOne(r, tally);
  }),
);
console.log([...tally.byStatus.entries()].sort());
const seen = new Map<string, string>();
for (const v of tally.violations) {
  const k = v
    .replace(/\/banks\/[^/ ]*/, '/banks/B')
    .split(':')[0]!
    .split('?')[0]!;
  if (!seen.has(k)) seen.set(k, v);
}
for (const v of seen.values()) console.log('-', v.slice(0, 400));
console.log(tally.violations.length, 'violations');
closeAgent();
await system.close();
