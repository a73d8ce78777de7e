// The pipelined group commit (src/translog/log.ts, integrate.ts): a batch that fails after
// it was planned — while the next batch was already planned on the tree it would have left —
// costs only its own entries. The next batch's guard (size AND root) refuses the phantom
// edge, it is planned again from the stored tiles, the log stays verifiable end to end
// (fsck) and later appends go on. Also the guard alone: a phantom edge of the very size the
// tree has (another writer appended as many entries) is never written. Both backends.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { AppendCompanion } from '../../src/translog/appender.ts';
import { fsckLog } from '../../src/translog/fsck.ts';
import { hashEntries, integrate } from '../../src/translog/integrate.ts';
import type { TransparencyLog } from '../../src/translog/log.ts';
import { hashLeaf, rootFromLeafHashes } from '../../src/translog/merkle.ts';
import type { TranslogTables } from '../../src/translog/tables.ts';
import { storageBackends, type TestDatabase } from '../support/backends.ts';
import { testLog } from './support/log.ts';

const text = (s: string) => new TextEncoder().encode(s);
const turn = () => new Promise((resolve) => setImmediate(resolve));

/** A companion that fails its batch's write once `fail` is set, after waiting for `gate`. */
function failingCompanion() {
  let open: () => void = () => {};
  const gate = new Promise<void>((r) => (open = r));
  let admitted: () => void = () => {};
  const nextAdmitted = new Promise<void>((r) => (admitted = r));
  const companion: AppendCompanion = {
    async write(_trx, items) {
      if (items.some((i) => (i.data as string) === 'bad')) {
        await gate;
        throw new Error('the audit row of this batch cannot be written');
      }
    },
  };
  const watcher: AppendCompanion = {
    async admit() {
      admitted();
      return new Map();
    },
    async write() {},
  };
  return { companion, watcher, open, nextAdmitted };
}

for (const backend of await storageBackends('translog pipelined group commit')) {
  describe(`pipelined group commit on ${backend.name}`, () => {
    let t: TestDatabase;
    let log: TransparencyLog;
    before(async () => {
      t = await backend.open();
      log = await testLog(t.database, {
        logId: 'pipe',
        autoCheckpoint: false,
        batch: { delayMs: 0, pipeline: 2 },
      });
    });
    after(async () => {
      await log.close();
      await t.dispose();
    });

    test('a batch that fails mid-pipeline costs only its entries; the log stays verifiable', async () => {
      const logged: string[] = [];
      for (let i = 0; i < 5; i++) logged.push(`before-${i}`);
      await Promise.all(logged.map((e) => log.append(text(e))));

      const { companion, watcher, open, nextAdmitted } = failingCompanion();
      // Batch A (planned, then its audit write fails), batch B (planned on A's tip meanwhile).
      const failed = log.append(text('doomed'), { companion, data: 'bad' });
      await turn();
      const next = ['after-0', 'after-1', 'after-2'].map((e) =>
        log.append(text(e), { companion: watcher, data: e }),
      );
      // On PostgreSQL B runs beside A (its own connection): once admitted it plans on A's tip
      // and its statement waits on A's row lock. PGlite is one session: B begins after A ends.
      if (backend.name === 'postgres') await nextAdmitted;
      await turn();
      open();
      await assert.rejects(failed, /cannot be written/);
      const indexes = (await Promise.all(next)).map((r) => r.index);
      assert.deepEqual(indexes, [5, 6, 7], 'B takes the indexes A did not keep');
      logged.push('after-0', 'after-1', 'after-2');

      // Later appends go on, on the fast path again.
      const later = await Promise.all(['later-0', 'later-1'].map((e) => log.append(text(e))));
      assert.deepEqual(
        later.map((r) => r.index),
        [8, 9],
      );
      logged.push('later-0', 'later-1');

      const checkpoint = (await log.publishCheckpoint())!;
      assert.equal(checkpoint.size, logged.length);
      const expectedRoot = rootFromLeafHashes(logged.map((e) => hashLeaf(text(e))));
      assert.deepEqual(checkpoint.root, expectedRoot, 'the tree holds exactly the committed entries');
      assert.equal(await fsckLog(log.tiles, checkpoint.size, checkpoint.root), logged.length);
      for (const [index, e] of logged.entries()) assert.deepEqual(await log.entry(index), text(e));
    });

    test('another writer appending the very same entries: this batch is appended after them, not lost', async () => {
      // Two handles on one log (two gateway instances). The other appends exactly the entry
      // this one is about to append from the edge it knows: same size, same root as this
      // batch would leave. The batch must see that it did not move the row itself.
      const other = await testLog(t.database, { logId: 'pipe', autoCheckpoint: false });
      try {
        await log.append(text('seed')); // this handle's tip is now the tree
        const size = await log.size();
        assert.equal((await other.append(text('twin'))).index, size);
        assert.equal((await log.append(text('twin'))).index, size + 1);
        const checkpoint = (await log.publishCheckpoint())!;
        assert.equal(checkpoint.size, size + 2);
        assert.equal(await fsckLog(log.tiles, checkpoint.size, checkpoint.root), checkpoint.size);
      } finally {
        await other.close();
      }
    });

    test('the guard refuses a phantom edge of the same size as the tree', async () => {
      const db = t.database.tables<TranslogTables>();
      const size = await log.size();
      // A batch planned and rolled back: its result is a tree that never was.
      const rolledBack = new Error('roll back');
      let phantom: Awaited<ReturnType<typeof integrate>> | undefined;
      await assert.rejects(
        db.transaction().execute(async (trx) => {
          phantom = await integrate(trx, 'pipe', hashEntries([text('ghost-0'), text('ghost-1')]));
          throw rolledBack;
        }),
        (e) => e === rolledBack,
      );
      // Another writer appends as many other entries: the stored tree has the phantom's size.
      await Promise.all(['real-0', 'real-1'].map((e) => log.append(text(e))));
      assert.equal(await log.size(), phantom!.size);
      const written = await db
        .transaction()
        .execute((trx) => integrate(trx, 'pipe', hashEntries([text('real-2')]), phantom));
      assert.equal(written.start, size + 2, 'planned again from the stored tree');
      const checkpoint = (await log.publishCheckpoint())!;
      assert.deepEqual(checkpoint.root, written.root);
      assert.equal(await fsckLog(log.tiles, checkpoint.size, checkpoint.root), checkpoint.size);
      assert.deepEqual(await log.entry(size + 2), text('real-2'));
    });
  });
}
