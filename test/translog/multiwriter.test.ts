// Several processes appending to one PostgreSQL log at once (two gateway instances), and a
// writer killed with SIGKILL again and again. Afterwards everything is checked from tiles
// alone: each acknowledged entry is present exactly once at its index, the checkpoint root
// matches, and every signed checkpoint is consistent with every earlier one.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type Database, migrate, openDatabase } from '../../src/storage/index.ts';
import { openCheckpoint } from '../../src/translog/cosigned.ts';
import type { TransparencyLog } from '../../src/translog/log.ts';
import { verifyConsistency } from '../../src/translog/merkle.ts';
import { auditLogFromTiles } from '../../src/translog/tile-client.ts';
import { createPostgresDatabase, postgresSkip } from '../support/backends.ts';
import { startAppender } from './support/children.ts';
import { LOG_VKEY, testLog } from './support/log.ts';

const unavailable = await postgresSkip('multiple writers on PostgreSQL');

async function checkFromTiles(log: TransparencyLog, acks: Map<number, string>[]): Promise<number> {
  const cp = (await log.publishCheckpoint())!;
  openCheckpoint(cp.note, { logKeys: [LOG_VKEY] });
  const entries = (await auditLogFromTiles(log.tiles, cp.size, cp.root)).map((e) =>
    new TextDecoder().decode(e),
  );
  assert.equal(new Set(entries).size, entries.length, 'no entry is logged twice');
  for (const a of acks) {
    for (const [index, entry] of a)
      assert.equal(entries[index], entry, `acknowledged entry ${entry} at ${index}`);
  }
  // Each checkpoint against its predecessor, the first and the newest (consistency is
  // transitive, so this covers every pair at O(n) proofs).
  const history = await log.checkpoints(1);
  const first = history[0]!;
  const last = history[history.length - 1]!;
  for (let i = 1; i < history.length; i++) {
    const y = history[i]!;
    for (const x of [history[i - 1]!, first]) {
      verifyConsistency(x.size, y.size, await log.consistencyProof(x.size, y.size), x.root, y.root);
    }
    verifyConsistency(y.size, last.size, await log.consistencyProof(y.size, last.size), y.root, last.root);
  }
  return cp.size;
}

describe('multiple writers on PostgreSQL', { skip: unavailable ?? false }, () => {
  let created: Awaited<ReturnType<typeof createPostgresDatabase>>;
  let database: Database;
  let log: TransparencyLog;
  before(async () => {
    created = await createPostgresDatabase();
    database = await openDatabase({ url: created.url });
    await migrate(database);
    log = await testLog(database, { logId: 'multi', autoCheckpoint: false });
  });
  after(async () => {
    await log.close();
    await database.close();
    await created.drop();
  });

  test('two processes appending at once: every acknowledged entry exactly once, verified from tiles', async () => {
    const a = startAppender(created.url, 'a', 600, 16);
    const b = startAppender(created.url, 'b', 600, 16);
    assert.deepEqual(await Promise.all([a.exited, b.exited]), [0, 0]);
    assert.equal(a.acks.size + b.acks.size, 1200);
    const size = await checkFromTiles(log, [a.acks, b.acks]);
    assert.equal(size, 1200);
    // Both processes really interleaved (otherwise this test proves nothing about concurrency).
    const owner = (i: number) => (a.acks.has(i) ? 'a' : 'b');
    let switches = 0;
    for (let i = 1; i < size; i++) if (owner(i) !== owner(i - 1)) switches++;
    assert.ok(switches > 2, `only ${switches} switches between writers`);
  });

  test('kill -9 under load, repeatedly: acknowledged entries survive, checkpoints stay consistent', async () => {
    const all: Map<number, string>[] = [];
    const start = await log.size();
    for (let round = 0; round < 5; round++) {
      const w = startAppender(created.url, `crash${round}`, 0, 32);
      // Wait for it to be well into appending, then kill it mid-flight.
      const deadline = Date.now() + 10_000;
      while (w.acks.size < 200 + round * 37 && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 5));
      w.child.kill('SIGKILL');
      assert.equal(await w.exited, null);
      assert.ok(w.acks.size > 0);
      all.push(w.acks);
      // The next instance starts on whatever state the killed one left.
      await checkFromTiles(log, all);
    }
    const size = await log.size();
    const acked = all.reduce((n, m) => n + m.size, 0);
    assert.ok(size - start >= acked, `${size - start} logged, ${acked} acknowledged`);
  });
});
