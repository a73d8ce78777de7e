import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { openCheckpoint } from '../../src/translog/cosigned.ts';
import { hashLeaf, verifyConsistency, verifyInclusion } from '../../src/translog/merkle.ts';
import { auditLogFromTiles } from '../../src/translog/tile-client.ts';
import { storageBackends, type TestDatabase } from '../support/backends.ts';
import { LOG_VKEY, testLog } from './support/log.ts';
import { readVector, VECTORS_DIR } from './support/vectors.ts';

const entry = (i: number) => new TextEncoder().encode(`entry-${i}`);

for (const backend of await storageBackends('translog log')) {
  describe(`stored log on ${backend.name}`, () => {
    let t: TestDatabase;
    before(async () => {
      t = await backend.open();
    });
    after(() => t.dispose());

    test('rebuilds the generated vector log: same roots, same tiles, same proofs', async () => {
      const log = await testLog(t.database, { logId: 'vectors', autoCheckpoint: false });
      const p = await readVector<{ roots: Record<string, string> }>('generated/log-proofs.json');
      const sizes = Object.keys(p.roots)
        .map(Number)
        .sort((a, b) => a - b);
      let appended = 0;
      for (const size of sizes) {
        // Concurrent appends within one step exercise batching; sequencing must still be in call order per batch.
        const indexes = await Promise.all(
          Array.from({ length: size - appended }, (_, k) =>
            log.append(entry(appended + k)).then((r) => r.index),
          ),
        );
        assert.deepEqual(
          indexes,
          Array.from({ length: size - appended }, (_, k) => appended + k),
        );
        appended = size;
        const cp = await log.publishCheckpoint();
        assert.equal(cp?.size, size);
        assert.equal(Buffer.from(cp!.root).toString('base64'), p.roots[String(size)], `root at ${size}`);
        openCheckpoint(cp!.note, { logKeys: [LOG_VKEY] });
      }
      const cp = (await log.checkpoint())!;
      const entries = await auditLogFromTiles(log.tiles, cp.size, cp.root);
      assert.equal(entries.length, 1000);
      // Every tile and bundle of the vector log, byte for byte (partial ones included).
      const dir = join(VECTORS_DIR, 'generated/log');
      const files = (await readdir(join(dir, 'tile'), { recursive: true, withFileTypes: true })).filter((f) =>
        f.isFile(),
      );
      assert.equal(files.length, 29);
      for (const f of files) {
        const path = join(f.parentPath, f.name).slice(dir.length + 1);
        assert.deepEqual(await log.readTile(path), new Uint8Array(await readFile(join(dir, path))), path);
      }
      // Partial tiles for every published size are still served.
      for (const c of await log.checkpoints()) await auditLogFromTiles(log.tiles, c.size, c.root);
      for (const [i, n] of [
        [0, 1],
        [5, 8],
        [255, 256],
        [700, 1000],
        [999, 1000],
      ] as const) {
        const root = (await log.checkpoints(n))[0]!.root;
        verifyInclusion(i, n, hashLeaf(entry(i)), await log.inclusionProof(i, n), root);
      }
      const history = await log.checkpoints();
      for (const a of history) {
        for (const b of history) {
          if (a.size === 0 || a.size > b.size) continue;
          verifyConsistency(a.size, b.size, await log.consistencyProof(a.size, b.size), a.root, b.root);
        }
      }
      await assert.rejects(log.inclusionProof(1000, 1000));
      await assert.rejects(log.inclusionProof(0, 1001));
      await assert.rejects(log.consistencyProof(0, 10));
      await log.close();
    });

    test('concurrent appends are group committed and acknowledged once each', async () => {
      const log = await testLog(t.database, { logId: 'batching', origin: 'example.com/batching' });
      const n = 2000;
      const results = await Promise.all(Array.from({ length: n }, (_, i) => log.append(entry(i))));
      const indexes = results.map((r) => r.index).sort((a, b) => a - b);
      assert.deepEqual(
        indexes,
        Array.from({ length: n }, (_, i) => i),
      );
      const cp = await log.waitForCheckpoint(n, { timeoutMs: 5000 });
      assert.equal(cp.size, n);
      const entries = await auditLogFromTiles(log.tiles, cp.size, cp.root);
      results.forEach((r, i) => {
        assert.equal(Buffer.from(entries[r.index]!).toString(), `entry-${i}`);
      });
      const health = await log.health();
      assert.equal(health.size, n);
      assert.equal(health.uncheckpointed, 0);
      assert.ok(health.checkpointAgeSeconds < 5);
      await log.close();
    });

    test('entries larger than a bundle allows are refused, nothing is logged', async () => {
      const log = await testLog(t.database, {
        logId: 'limits',
        origin: 'example.com/limits',
        autoCheckpoint: false,
      });
      await assert.rejects(log.append(new Uint8Array(65536)));
      assert.equal(await log.size(), 0);
      await log.close();
    });

    test('a second handle on an existing log with another origin is refused', async () => {
      await assert.rejects(
        testLog(t.database, { logId: 'limits', origin: 'example.com/other', autoCheckpoint: false }),
      );
    });
  });
}
