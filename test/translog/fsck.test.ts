// The full check (fsck): an intact log passes; an entry changed or deleted in the database
// behind the log, or a tile rewritten to match a changed entry, fails and names the first bad
// entry. Both storage backends.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { FsckError, fsckLog } from '../../src/translog/fsck.ts';
import type { TransparencyLog } from '../../src/translog/log.ts';
import { hashLeaf, rootFromLeafHashes } from '../../src/translog/merkle.ts';
import type { TileFetcher } from '../../src/translog/tile-client.ts';
import {
  ENTRIES_LEVEL,
  encodeBundle,
  hashWithinTile,
  TILE_WIDTH,
  tilePath,
} from '../../src/translog/tiles.ts';
import { storageBackends, type TestDatabase } from '../support/backends.ts';
import { testLog } from './support/log.ts';

const SIZE = 700; // two full bundles and a partial one; a partial level-1 tile
const entry = (i: number) => new TextEncoder().encode(`entry-${i}`);

async function failure(check: Promise<unknown>): Promise<FsckError> {
  const error = await check.then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(error instanceof FsckError, `expected the full check to fail, got ${String(error)}`);
  return error;
}

for (const backend of await storageBackends('translog full check')) {
  describe(`full check on ${backend.name}`, () => {
    let t: TestDatabase;
    let log: TransparencyLog;
    let root: Uint8Array;
    const setEntry = (index: number, data: Uint8Array) =>
      sql`update translog_entry set data = ${data} where log_id = 'fsck' and idx = ${index}`.execute(
        t.database.tables<unknown>(),
      );
    const deleteEntry = (index: number) =>
      sql`delete from translog_entry where log_id = 'fsck' and idx = ${index}`.execute(
        t.database.tables<unknown>(),
      );
    const insertEntry = (index: number) =>
      sql`insert into translog_entry (log_id, idx, data) values ('fsck', ${index}, ${entry(index)})`.execute(
        t.database.tables<unknown>(),
      );
    before(async () => {
      t = await backend.open();
      log = await testLog(t.database, { logId: 'fsck', autoCheckpoint: false });
      await Promise.all(Array.from({ length: SIZE }, (_, i) => log.append(entry(i))));
      root = (await log.publishCheckpoint())!.root;
    });
    after(async () => {
      await log.close();
      await t.dispose();
    });

    test('an intact log passes: every entry checked, progress reported up to the size', async () => {
      const seen: number[] = [];
      const checked = await fsckLog(log.tiles, SIZE, root, { onProgress: (n) => seen.push(n) });
      assert.equal(checked, SIZE);
      assert.deepEqual(seen, [256, 512, SIZE]);
      // A smaller checkpoint of the same log passes too (partial tiles are prefixes).
      const cp = await fsckLog(log.tiles, 300, (await log.checkpoints())[0]!.root).catch((e) => e);
      assert.ok(cp instanceof FsckError, 'the root of size 700 is not the root of size 300');
    });

    test('an entry changed in the database fails at that entry', async () => {
      await setEntry(300, new TextEncoder().encode('forged'));
      const error = await failure(fsckLog(log.tiles, SIZE, root));
      assert.equal(error.index, 300);
      assert.match(error.message, /entry 300/);
      await setEntry(300, entry(300));
      assert.equal(await fsckLog(log.tiles, SIZE, root), SIZE);
    });

    for (const index of [0, 517, SIZE - 1]) {
      test(`an entry deleted from the database fails naming it (${index})`, async () => {
        await deleteEntry(index);
        const error = await failure(fsckLog(log.tiles, SIZE, root));
        assert.equal(error.index, index);
        assert.match(error.message, new RegExp(`entry ${index} is missing`));
        await insertEntry(index);
        assert.equal(await fsckLog(log.tiles, SIZE, root), SIZE);
      });
    }

    test('an entry and its level-0 hash rewritten together fail at the tile above or the root', async () => {
      // A forger who also rewrites the hash tile: level 0 matches, the level-1 tile does not.
      const forged = new TextEncoder().encode('forged');
      const tiles: TileFetcher = async (path) => {
        const bytes = await log.tiles(path);
        if (!bytes) return bytes;
        if (path === 'tile/entries/000') {
          const parts = Buffer.from(bytes);
          // Replace entry 5 ("entry-5", 7 bytes) by "forged" (6 bytes) in the bundle encoding.
          const before = parts.subarray(0, 5 * 9);
          const after = parts.subarray(5 * 9 + 9);
          return new Uint8Array(Buffer.concat([before, Buffer.from([0, 6]), forged, after]));
        }
        if (path === 'tile/0/000') {
          const copy = new Uint8Array(bytes);
          copy.set(hashLeaf(forged), 5 * 32);
          return copy;
        }
        return bytes;
      };
      const error = await failure(fsckLog(tiles, SIZE, root));
      assert.equal(error.index, 0, 'the level-1 hash of bundle 0 names entries from 0');
      assert.match(error.message, /tile\/1\/000\.p\/2/);
    });
  });
}

/** Every tile and bundle (full and partial widths) of a log of these entries, in memory. */
function memoryLog(entries: Uint8Array[]): {
  fetch: TileFetcher;
  root: Uint8Array;
  files: Map<string, Uint8Array>;
} {
  const files = new Map<string, Uint8Array>();
  const put = (level: number, index: number, width: number, bytes: Uint8Array) =>
    files.set(tilePath({ level, index, width }), bytes);
  for (let n = 0; n * TILE_WIDTH < entries.length; n++) {
    const bundle = entries.slice(n * TILE_WIDTH, (n + 1) * TILE_WIDTH);
    put(ENTRIES_LEVEL, n, bundle.length, encodeBundle(bundle));
  }
  let hashes = entries.map(hashLeaf);
  for (let level = 0; hashes.length > 0; level++) {
    const parents: Uint8Array[] = [];
    for (let n = 0; n * TILE_WIDTH < hashes.length; n++) {
      const tile = new Uint8Array(Buffer.concat(hashes.slice(n * TILE_WIDTH, (n + 1) * TILE_WIDTH)));
      put(level, n, tile.length / 32, tile);
      if (tile.length === TILE_WIDTH * 32) parents.push(hashWithinTile(tile, 0, TILE_WIDTH));
    }
    hashes = parents;
  }
  return { fetch: async (path) => files.get(path), root: rootFromLeafHashes(entries.map(hashLeaf)), files };
}

test('full check over two tile levels: a full level-1 tile recomputed, a forged one found', async () => {
  const entries = Array.from({ length: 65_536 + 300 }, (_, i) => new TextEncoder().encode(`e${i}`));
  const log = memoryLog(entries);
  const progress: number[] = [];
  assert.equal(
    await fsckLog(log.fetch, entries.length, log.root, { onProgress: (n) => progress.push(n) }),
    entries.length,
  );
  assert.equal(progress.at(-1), entries.length);
  // A forger rewrites entry 1000, its bundle and its level-0 tile: the full level-1 tile differs.
  const forged = new TextEncoder().encode('forged');
  const copy = [...entries];
  copy[1000] = forged;
  const bent = memoryLog(copy);
  const files = new Map(log.files);
  for (const [path, bytes] of bent.files)
    if (path.startsWith('tile/entries/003') || path.startsWith('tile/0/003')) files.set(path, bytes);
  const error = await failure(fsckLog(async (path) => files.get(path), entries.length, log.root));
  assert.match(error.message, /tile\/1\/000/);
  assert.equal(error.index, 3 * TILE_WIDTH, 'names the first entry under the differing level-1 hash');
  // An entry changed past the first 65,536 is named exactly.
  const late = [...entries];
  late[65_600] = forged;
  const changed = memoryLog(late);
  const lateFiles = new Map(log.files);
  for (const [path, bytes] of changed.files)
    if (path.startsWith('tile/entries/256')) lateFiles.set(path, bytes);
  const lateError = await failure(fsckLog(async (path) => lateFiles.get(path), entries.length, log.root));
  assert.equal(lateError.index, 65_600);
});
