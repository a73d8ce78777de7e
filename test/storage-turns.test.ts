// Turns at the embedded database (src/storage/turns.ts): granted one at a time, in the order
// asked for; a turn that fails does not keep the next one waiting; without turns (PostgreSQL)
// tasks run at once.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { turnQueue, withoutTurns } from '../src/storage/turns.ts';

test('turns are granted one at a time, first asked first served', async () => {
  const turn = turnQueue();
  const log: string[] = [];
  let release!: () => void;
  const first = turn(async () => {
    log.push('first starts');
    await new Promise<void>((r) => {
      release = r;
    });
    log.push('first ends');
  });
  const second = turn(async () => void log.push('second'));
  const third = turn(async () => void log.push('third'));
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(log, ['first starts'], 'nobody runs while the first holds its turn');
  release();
  await Promise.all([first, second, third]);
  assert.deepEqual(log, ['first starts', 'first ends', 'second', 'third']);
});

test('a failed turn rejects its caller only; the next turn runs', async () => {
  const turn = turnQueue();
  const failed = turn(async () => {
    throw new Error('boom');
  });
  const next = turn(async () => 'ran');
  await assert.rejects(failed, /boom/);
  assert.equal(await next, 'ran');
});

test('without turns, tasks do not wait for each other', async () => {
  let release!: () => void;
  const held = withoutTurns(
    () =>
      new Promise<void>((r) => {
        release = r;
      }),
  );
  assert.equal(await withoutTurns(async () => 'ran'), 'ran');
  release();
  await held;
});
