// The root of a tree computed from its right edge alone (the partial tile of each level, all
// the integrator keeps in memory between batches) equals the RFC 9162 root of all leaves,
// at sizes on and around tile boundaries, across two tile levels.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { rootFromEdge } from '../../src/translog/integrate.ts';
import { hashLeaf, rootFromLeafHashes } from '../../src/translog/merkle.ts';
import { tileKeyOf } from '../../src/translog/tile-store.ts';
import { hashWithinTile, TILE_WIDTH } from '../../src/translog/tiles.ts';

/** The partial tiles of a tree of these leaf hashes, built level by level as the tiles are. */
function rightEdge(leaves: Uint8Array[]) {
  const tiles = new Map<string, Uint8Array>();
  let hashes = leaves;
  for (let level = 0; hashes.length > 0; level++) {
    const full = Math.floor(hashes.length / TILE_WIDTH);
    if (hashes.length % TILE_WIDTH !== 0)
      tiles.set(tileKeyOf(level, full), new Uint8Array(Buffer.concat(hashes.slice(full * TILE_WIDTH))));
    const parents: Uint8Array[] = [];
    for (let n = 0; n < full; n++) {
      const tile = new Uint8Array(Buffer.concat(hashes.slice(n * TILE_WIDTH, (n + 1) * TILE_WIDTH)));
      parents.push(hashWithinTile(tile, 0, TILE_WIDTH));
    }
    hashes = parents;
  }
  return tiles;
}

test('root from the right edge equals the root of all leaves', () => {
  const leaves = Array.from({ length: 65_536 + 300 }, (_, i) =>
    hashLeaf(createHash('sha256').update(String(i)).digest()),
  );
  for (const size of [1, 2, 3, 255, 256, 257, 511, 512, 1000, 65_535, 65_536, 65_537, 65_536 + 256 + 7]) {
    const prefix = leaves.slice(0, size);
    assert.deepEqual(
      rootFromEdge({ size, tiles: rightEdge(prefix) }),
      rootFromLeafHashes(prefix),
      `size ${size}`,
    );
  }
});
