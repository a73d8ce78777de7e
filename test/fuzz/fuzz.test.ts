// Property-based fuzzing of every route (issue 11): for every operation of the gateway's and
// the relay's /openapi.json, the OAuth endpoints of the authorization server and the bank's
// HTML pages, fast-check draws malformed requests (odd path parameters, malformed percent-
// encoding, unknown and hostile query and body fields, NUL and lone surrogates, numbers out
// of range, garbage cookies and credentials, wrong content types). The property: never a
// 5xx, and every 4xx a problem document with a specific type (or the OAuth error format on
// the OAuth endpoints). Bounded by FUZZ_BUDGET_MS (default 30 s); `npm run fuzz` runs long.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import fc from 'fast-check';
import { anyRequest, closeAgent, fuzzOne, newTally } from './requests.ts';
import { type FuzzSystem, startFuzzSystem } from './system.ts';

const BUDGET_MS = Number(process.env['FUZZ_BUDGET_MS'] ?? 30_000);
const MIN_RUNS = 300;
let system: FuzzSystem;
before(async () => {
  system = await startFuzzSystem();
});
after(async () => {
  closeAgent();
  await system.close();
});

test('no request a client can send gets a 5xx; every 4xx is a problem document or an OAuth error', async () => {
  assert.ok(system.operations.length >= 40, `only ${system.operations.length} operations found`);
  const tally = newTally();
  const property = fc.asyncProperty(anyRequest(system.operations), async (request) => {
    const problem = await fuzzOne(request, tally);
    assert.equal(problem, null, problem ?? '');
  });
  // A fixed number of requests whatever the machine's speed, then more within the budget.
  const started = Date.now();
  await fc.assert(property, { numRuns: MIN_RUNS, endOnFailure: true });
  const left = BUDGET_MS - (Date.now() - started);
  if (left > 0)
    await fc.assert(property, {
      numRuns: 1_000_000,
      interruptAfterTimeLimit: left,
      markInterruptAsFailure: false,
      endOnFailure: true,
    });
  const statuses = [...tally.byStatus.entries()].sort(([a], [b]) => a - b);
  process.stdout.write(`# fuzz: ${tally.requests} requests, statuses ${JSON.stringify(statuses)}\n`);
  // The server logged no failure of its own either.
  const failures = system.logs().filter((line) => /"level":50/.test(line));
  assert.deepEqual(failures, []);
});
