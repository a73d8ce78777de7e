// Screening's one batching queue (src/screening/batcher.ts), without a database: calls of one
// turn run together; a failed run never costs the good items beside the bad one; in serial
// mode a key has one run at a time and what arrives meanwhile runs next, together.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Batcher } from '../../src/screening/batcher.ts';

test('tick mode: submits of one turn run together, split at maxWeight', async () => {
  const runs: number[][] = [];
  const batcher = new Batcher<number, number>({
    mode: 'tick',
    maxWeight: 3,
    run: async (_key, items) => {
      runs.push([...items]);
      return items.map((n) => n * 10);
    },
  });
  const answers = await Promise.all([1, 2, 3, 4, 5].map((n) => batcher.submit('bank', n)));
  assert.deepEqual(answers, [10, 20, 30, 40, 50]);
  assert.deepEqual(runs, [
    [1, 2, 3],
    [4, 5],
  ]);
});

test('a failed run is retried item by item: only the bad item fails', async () => {
  for (const mode of ['tick', 'serial'] as const) {
    const batcher = new Batcher<number, number>({
      mode,
      maxWeight: 10,
      run: async (_key, items) => {
        if (items.includes(13)) throw new Error('bad item');
        return items.map((n) => n + 1);
      },
    });
    const settled = await Promise.allSettled([1, 13, 2].map((n) => batcher.submit('bank', n)));
    assert.deepEqual(
      settled.map((s) => (s.status === 'fulfilled' ? s.value : 'rejected')),
      [2, 'rejected', 3],
      mode,
    );
  }
});

test('serial mode: one run per key at a time; items arriving meanwhile run next, together, by weight', async () => {
  let running = 0;
  let overlapped = false;
  const runs: string[][] = [];
  let release: () => void = () => {};
  const batcher = new Batcher<string[], number>({
    mode: 'serial',
    maxWeight: 4,
    weight: (events) => events.length,
    run: async (_key, batches) => {
      running++;
      if (running > 1) overlapped = true;
      runs.push(batches.flat());
      if (runs.length === 1) await new Promise<void>((r) => (release = r));
      running--;
      return batches.map((b) => b.length);
    },
  });
  const first = batcher.submit('bank', ['a']);
  const later = [
    batcher.submit('bank', ['b', 'c']),
    batcher.submit('bank', ['d']),
    batcher.submit('bank', ['e', 'f']),
  ];
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(runs, [['a']], 'the others wait for the running group');
  release();
  assert.deepEqual(await Promise.all([first, ...later]), [1, 2, 1, 2]);
  assert.deepEqual(runs, [['a'], ['b', 'c', 'd'], ['e', 'f']]);
  assert.equal(overlapped, false);
});
