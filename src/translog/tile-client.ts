// Reading a log from its tiles alone, as a mirror, monitor or `proviso verify` does. Nothing
// fetched is trusted: proofs computed from tiles are checked against a signed root, and the
// full audit recomputes every tile from the entries.
import { bytesEqual } from './encoding.ts';
import { FormatError, NotFoundError, ProofError } from './errors.ts';
import { hashLeaf, rootFromLeafHashes } from './merkle.ts';
import { consistencyProof, inclusionProof, type NodeReader } from './proof.ts';
import {
  decodeBundle,
  ENTRIES_LEVEL,
  hashWithinTile,
  locateNode,
  TILE_WIDTH,
  tileHashes,
  tilePath,
  tileWidthAt,
} from './tiles.ts';

/** Fetches `tile/...` relative to the log prefix; undefined when absent (404). */
export type TileFetcher = (path: string) => Promise<Uint8Array | undefined>;

/** Fetches a tile of the width the tree size justifies; falls back to the full tile when the partial one is gone. */
export async function fetchTile(
  fetch: TileFetcher,
  level: number,
  index: number,
  size: number,
): Promise<Uint8Array> {
  const width = tileWidthAt(level, index, size);
  if (width === 0) throw new NotFoundError(`tile ${level}/${index} is empty at size ${size}`);
  let bytes = await fetch(tilePath({ level, index, width }));
  if (!bytes && width < TILE_WIDTH) {
    const full = await fetch(tilePath({ level, index, width: TILE_WIDTH }));
    if (full && level !== ENTRIES_LEVEL) bytes = full.subarray(0, width * 32);
    if (full && level === ENTRIES_LEVEL) return full;
  }
  if (!bytes) throw new NotFoundError(`tile ${tilePath({ level, index, width })} is missing`);
  return bytes;
}

/** A NodeReader over fetched tiles for a tree of `size` leaves; caches tiles per reader. */
export function tileNodeReader(fetch: TileFetcher, size: number): NodeReader {
  const cache = new Map<string, Promise<Uint8Array>>();
  const tile = (level: number, index: number) => {
    const key = `${level}/${index}`;
    let p = cache.get(key);
    if (!p) {
      p = fetchTile(fetch, level, index, size);
      cache.set(key, p);
    }
    return p;
  };
  return (ids) =>
    Promise.all(
      ids.map(async (id) => {
        const at = locateNode(id);
        return hashWithinTile(await tile(at.level, at.index), at.start, at.count);
      }),
    );
}

/** Entries [from, to) read from bundles; each checked against the level-0 tile hash. */
export async function readEntries(
  fetch: TileFetcher,
  size: number,
  from: number,
  to: number,
): Promise<Uint8Array[]> {
  if (from < 0 || to > size || from > to)
    throw new ProofError(`entries [${from}, ${to}) are outside size ${size}`);
  const out: Uint8Array[] = [];
  for (let n = Math.floor(from / TILE_WIDTH); n * TILE_WIDTH < to; n++) {
    const width = tileWidthAt(0, n, size);
    const entries = decodeBundle(await fetchTile(fetch, ENTRIES_LEVEL, n, size)).slice(0, width);
    const hashes = tileHashes(await fetchTile(fetch, 0, n, size), width);
    if (entries.length !== width)
      throw new FormatError(`bundle ${n} has ${entries.length} entries, expected ${width}`);
    entries.forEach((e, i) => {
      if (!bytesEqual(hashLeaf(e), hashes[i]!))
        throw new ProofError(`entry ${n * TILE_WIDTH + i} does not match its tile`);
    });
    for (let i = 0; i < width; i++) {
      const index = n * TILE_WIDTH + i;
      if (index >= from && index < to) out.push(entries[i]!);
    }
  }
  return out;
}

export const proveInclusionFromTiles = (fetch: TileFetcher, index: number, size: number) =>
  inclusionProof(index, size, tileNodeReader(fetch, size));

export const proveConsistencyFromTiles = (fetch: TileFetcher, size1: number, size2: number) =>
  consistencyProof(size1, size2, tileNodeReader(fetch, size2));

/**
 * Full audit of a tree of `size` leaves: every entry bundle hashes to its level-0 tile, every
 * full tile's hash appears in the tile above, and the entries' Merkle root equals `root`.
 * Returns the entries. Memory is O(size), which suits tests and small logs.
 */
export async function auditLogFromTiles(
  fetch: TileFetcher,
  size: number,
  root: Uint8Array,
): Promise<Uint8Array[]> {
  const entries = await readEntries(fetch, size, 0, size);
  let hashes = entries.map(hashLeaf);
  if (!bytesEqual(rootFromLeafHashes(hashes), root))
    throw new ProofError('entries do not hash to the checkpoint root');
  for (let level = 0; Math.floor(size / TILE_WIDTH ** level) > 0; level++) {
    const parents: Uint8Array[] = [];
    for (let n = 0; n * TILE_WIDTH < hashes.length; n++) {
      const width = tileWidthAt(level, n, size);
      const tile = await fetchTile(fetch, level, n, size);
      const expected = hashes.slice(n * TILE_WIDTH, n * TILE_WIDTH + width);
      if (!bytesEqual(tile, new Uint8Array(Buffer.concat(expected)))) {
        throw new ProofError(`tile ${tilePath({ level, index: n, width })} does not match the entries`);
      }
      if (width === TILE_WIDTH) parents.push(hashWithinTile(tile, 0, TILE_WIDTH));
    }
    hashes = parents;
  }
  return entries;
}
