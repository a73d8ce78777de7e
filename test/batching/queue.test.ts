// The one batching queue (src/batching/), without a database: serial runs keep arrival order
// and weight limits; a bad item costs only itself (retried alone, or refused alone); with
// isolation off a failed run fails its items; pipelined runs start only at handOff and never
// more than `overlap` at once; drain() answers everything queued. No timing assertions.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BatchQueue, Refused } from '../../src/batching/index.ts';

const turn = () => new Promise((resolve) => setImmediate(resolve));

test('serial: runs take waiting items in arrival order, up to maxWeight, each caller gets its own answer', async () => {
  const runs: number[][] = [];
  let release: () => void = () => {};
  const queue = new BatchQueue<number, string>({
    mode: 'serial',
    maxWeight: 3,
    run: async (_key, items) => {
      runs.push([...items]);
      if (runs.length === 1) await new Promise<void>((r) => (release = r));
      return items.map((n) => `#${n}`);
    },
  });
  const answers = [1, 2, 3, 4, 5, 6, 7].map((n) => queue.submit('log', n));
  await turn();
  assert.deepEqual(runs, [[1]], 'the first item runs at once, alone; the others wait for it');
  release();
  assert.deepEqual(await Promise.all(answers), ['#1', '#2', '#3', '#4', '#5', '#6', '#7']);
  assert.deepEqual(runs, [[1], [2, 3, 4], [5, 6, 7]]);
  assert.equal(queue.rounds, 3);
  assert.equal(queue.items, 7);
});

test('keys are independent lanes', async () => {
  const runs: string[] = [];
  const queue = new BatchQueue<number, number>({
    mode: 'serial',
    maxWeight: 10,
    run: async (key, items) => {
      runs.push(`${key}:${items.join(',')}`);
      return items;
    },
  });
  assert.deepEqual(
    await Promise.all([queue.submit('a', 1), queue.submit('b', 2), queue.submit('a', 3)]),
    [1, 2, 3],
  );
  assert.deepEqual(runs.sort(), ['a:1', 'a:3', 'b:2']);
});

test('a refused item fails alone; the others of its run are answered', async () => {
  const queue = new BatchQueue<number, number>({
    mode: 'serial',
    maxWeight: 10,
    delayMs: 1_000_000, // gathered until drain(): one run
    run: async (_key, items) => items.map((n) => (n === 13 ? new Refused(new Error('refused 13')) : n * 2)),
  });
  const settled = Promise.allSettled([1, 13, 2].map((n) => queue.submit('log', n)));
  await queue.drain();
  assert.deepEqual(
    (await settled).map((s) => (s.status === 'fulfilled' ? s.value : (s.reason as Error).message)),
    [2, 'refused 13', 4],
  );
  assert.equal(queue.rounds, 1);
});

test('a failed run is retried item by item; with isolate off, its items fail together', async () => {
  for (const isolate of [true, false]) {
    const queue = new BatchQueue<number, number>({
      mode: 'serial',
      maxWeight: 10,
      isolate,
      delayMs: 1_000_000,
      run: async (_key, items) => {
        if (items.includes(13)) throw new Error('bad item');
        return items.map((n) => n + 1);
      },
    });
    const settled = Promise.allSettled([1, 13, 2].map((n) => queue.submit('bank', n)));
    await queue.drain();
    assert.deepEqual(
      (await settled).map((s) => (s.status === 'fulfilled' ? s.value : 'rejected')),
      isolate ? [2, 'rejected', 3] : ['rejected', 'rejected', 'rejected'],
      `isolate ${isolate}`,
    );
  }
});

test('pipelined: the next run starts at handOff, while the previous is still in flight, never more than overlap', async () => {
  const started: number[][] = [];
  const handOffs: (() => void)[] = [];
  const finishes: (() => void)[] = [];
  let inFlight = 0;
  let most = 0;
  const queue = new BatchQueue<number, number>({
    mode: 'serial',
    maxWeight: 100,
    overlap: 2,
    run: async (_key, items, handOff) => {
      started.push([...items]);
      inFlight++;
      most = Math.max(most, inFlight);
      handOffs.push(handOff);
      await new Promise<void>((r) => finishes.push(r));
      inFlight--;
      return items;
    },
  });
  const all = [queue.submit('log', 1)];
  await turn();
  all.push(queue.submit('log', 2), queue.submit('log', 3));
  await turn();
  assert.deepEqual(started, [[1]], 'run 2 waits for run 1 to hand off');
  handOffs[0]!();
  await turn();
  assert.deepEqual(started, [[1], [2, 3]], 'after the hand-off the next run starts, run 1 still in flight');
  all.push(queue.submit('log', 4));
  handOffs[1]!();
  await turn();
  assert.equal(started.length, 2, 'two runs in flight already: the third waits for a slot');
  finishes[0]!();
  await turn();
  assert.deepEqual(started.at(-1), [4]);
  finishes[1]!();
  finishes[2]!();
  assert.deepEqual(await Promise.all(all), [1, 2, 3, 4]);
  assert.equal(most, 2);
});

test('a run that never hands off lets the next start when it ends', async () => {
  const order: string[] = [];
  const queue = new BatchQueue<number, number>({
    mode: 'serial',
    maxWeight: 1,
    overlap: 2,
    run: async (_key, items) => {
      order.push(`start ${items[0]}`);
      await turn();
      order.push(`end ${items[0]}`);
      return items;
    },
  });
  await Promise.all([1, 2, 3].map((n) => queue.submit('log', n)));
  assert.deepEqual(order, ['start 1', 'end 1', 'start 2', 'end 2', 'start 3', 'end 3']);
});

test('tick mode: submits of one turn run together, split at maxWeight, runs overlapping', async () => {
  const runs: number[][] = [];
  const queue = new BatchQueue<number, number>({
    mode: 'tick',
    maxWeight: 3,
    run: async (_key, items) => {
      runs.push([...items]);
      return items.map((n) => n * 10);
    },
  });
  assert.deepEqual(
    await Promise.all([1, 2, 3, 4, 5].map((n) => queue.submit('bank', n))),
    [10, 20, 30, 40, 50],
  );
  assert.deepEqual(runs, [
    [1, 2, 3],
    [4, 5],
  ]);
});

test('drain() starts what waits for company and resolves once everything is answered', async () => {
  let runs = 0;
  const queue = new BatchQueue<number, number>({
    mode: 'serial',
    maxWeight: 10,
    delayMs: 1_000_000,
    run: async (_key, items) => {
      runs++;
      await turn();
      return items;
    },
  });
  const answers = Promise.all([1, 2, 3].map((n) => queue.submit('log', n)));
  await turn();
  assert.equal(runs, 0, 'waiting for company');
  await queue.drain();
  assert.equal(runs, 1, 'one run: all three had gathered');
  assert.deepEqual(await answers, [1, 2, 3]);
  const full = new BatchQueue<number, number>({
    mode: 'serial',
    maxWeight: 2,
    delayMs: 1_000_000,
    run: async (_key, items) => items,
  });
  assert.deepEqual(
    await Promise.all([full.submit('log', 1), full.submit('log', 2)]),
    [1, 2],
    'a full run does not wait',
  );
});
