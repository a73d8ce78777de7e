// The full check behind `proviso verify` (as Tessera's fsck): every entry bundle of a tree is
// fetched, every hash tile at every level is recomputed from the entries and compared with
// the published one, and the root of all entries is matched to the signed checkpoint. Memory
// stays O(log n): one tile's worth of hashes per level and a compact range of the leaves.
// A failure names the first index it can pin down: an entry whose hash differs from its
// tile, or the first missing entry of a bundle the log no longer serves whole.
import { bytesEqual, toHex } from './encoding.ts';
import { FormatError } from './errors.ts';
import { hashChildren, hashLeaf } from './merkle.ts';
import type { TileFetcher } from './tile-client.ts';
import { decodeBundle, ENTRIES_LEVEL, hashWithinTile, TILE_WIDTH, tilePath, tileWidthAt } from './tiles.ts';

export interface FsckOptions {
  /** Bundles fetched ahead of the one being checked (default 8). */
  readonly concurrency?: number;
  /** Called after each bundle with the number of entries checked so far. */
  readonly onProgress?: (checked: number, total: number) => void;
}

/** The log does not hold what its checkpoint commits to; `index` is the first bad entry when known. */
export class FsckError extends Error {
  override name = 'FsckError';
  readonly index: number | undefined;
  constructor(message: string, index?: number) {
    super(message);
    this.index = index;
  }
}

/** Roots of the complete subtrees of the leaves seen so far (RFC 9162 decomposition). */
class CompactRange {
  readonly #stack: { hash: Uint8Array; height: number }[] = [];
  push(leafHash: Uint8Array): void {
    let node = { hash: leafHash, height: 0 };
    for (let top = this.#stack.at(-1); top && top.height === node.height; top = this.#stack.at(-1)) {
      this.#stack.pop();
      node = { hash: hashChildren(top.hash, node.hash), height: node.height + 1 };
    }
    this.#stack.push(node);
  }
  root(): Uint8Array {
    let hash = this.#stack.at(-1)!.hash;
    for (let i = this.#stack.length - 2; i >= 0; i--) hash = hashChildren(this.#stack[i]!.hash, hash);
    return hash;
  }
}

/**
 * Offset of the first missing entry of a bundle that is not served whole: the largest w such
 * that the partial bundle of width w is still served (this log serves any prefix it holds).
 */
async function firstMissing(fetch: TileFetcher, bundle: number, width: number): Promise<number> {
  let served = 0;
  let missing = width;
  while (missing - served > 1) {
    const w = Math.floor((served + missing) / 2);
    if (await fetch(tilePath({ level: ENTRIES_LEVEL, index: bundle, width: w }))) served = w;
    else missing = w;
  }
  return served;
}

async function fetchBundle(fetch: TileFetcher, n: number, size: number): Promise<Uint8Array[]> {
  const width = tileWidthAt(0, n, size);
  const first = n * TILE_WIDTH;
  let bytes = await fetch(tilePath({ level: ENTRIES_LEVEL, index: n, width }));
  if (!bytes && width < TILE_WIDTH)
    bytes = await fetch(tilePath({ level: ENTRIES_LEVEL, index: n, width: 256 }));
  if (!bytes) {
    const at = first + (await firstMissing(fetch, n, width));
    throw new FsckError(`entry ${at} is missing: bundle ${n} is not served whole`, at);
  }
  let entries: Uint8Array[];
  try {
    entries = decodeBundle(bytes);
  } catch (error) {
    throw new FsckError(`bundle ${n} is malformed: ${(error as Error).message}`, first);
  }
  if (entries.length < width)
    throw new FsckError(
      `entry ${first + entries.length} is missing from bundle ${n}`,
      first + entries.length,
    );
  return entries.slice(0, width);
}

async function fetchHashTile(fetch: TileFetcher, level: number, index: number, size: number) {
  const width = tileWidthAt(level, index, size);
  let bytes = await fetch(tilePath({ level, index, width }));
  if (!bytes && width < TILE_WIDTH)
    bytes = (await fetch(tilePath({ level, index, width: 256 })))?.subarray(0, width * 32);
  if (!bytes || bytes.length !== width * 32) return undefined;
  return bytes;
}

/** Compares recomputed hashes with the published tile; names the first entry under a differing hash. */
async function checkTile(
  fetch: TileFetcher,
  level: number,
  index: number,
  size: number,
  hashes: readonly Uint8Array[],
): Promise<void> {
  const tile = await fetchHashTile(fetch, level, index, size);
  const leavesPerHash = TILE_WIDTH ** level;
  const where = tilePath({ level, index, width: hashes.length });
  if (!tile) throw new FsckError(`tile ${where} is missing`, index * TILE_WIDTH * leavesPerHash);
  for (let i = 0; i < hashes.length; i++) {
    if (!bytesEqual(tile.subarray(i * 32, i * 32 + 32), hashes[i]!)) {
      const at = (index * TILE_WIDTH + i) * leavesPerHash;
      const what = level === 0 ? `entry ${at} does not match its hash in` : `entries from ${at} do not match`;
      throw new FsckError(`${what} tile ${where}`, at);
    }
  }
}

/**
 * Checks a tree of `size` entries against `root`. Throws FsckError on the first fault;
 * resolves with the number of entries checked.
 */
export async function fsckLog(
  fetch: TileFetcher,
  size: number,
  root: Uint8Array,
  options: FsckOptions = {},
): Promise<number> {
  if (!Number.isSafeInteger(size) || size < 0) throw new FormatError('size is invalid');
  if (size === 0) return 0;
  const bundles = Math.ceil(size / TILE_WIDTH);
  const ahead = Math.max(1, options.concurrency ?? 8);
  const inFlight = new Map<number, Promise<Uint8Array[]>>();
  const load = (n: number) => {
    if (n >= bundles || inFlight.has(n)) return;
    const bundle = fetchBundle(fetch, n, size);
    // The level-0 tile is checked against the leaf hashes as soon as the bundle is in.
    const p = bundle.then(async (entries) => {
      const hashes = entries.map(hashLeaf);
      await checkTile(fetch, 0, n, size, hashes);
      return hashes;
    });
    p.catch(() => {}); // observed when awaited in order
    inFlight.set(n, p);
  };
  const range = new CompactRange();
  // Per level ≥ 1: the hashes of the tile being rebuilt.
  const pending: Uint8Array[][] = [];
  let checked = 0;
  for (let n = 0; n < bundles; n++) {
    for (let k = n; k < n + ahead; k++) load(k);
    const hashes = await inFlight.get(n)!;
    inFlight.delete(n);
    for (const h of hashes) range.push(h);
    checked += hashes.length;
    if (hashes.length === TILE_WIDTH) {
      let carry: Uint8Array | undefined = hashWithinTile(
        new Uint8Array(Buffer.concat(hashes)),
        0,
        TILE_WIDTH,
      );
      for (let level = 1; carry; level++) {
        const buffer = pending[level] ?? [];
        pending[level] = buffer;
        buffer.push(carry);
        carry = undefined;
        if (buffer.length === TILE_WIDTH) {
          const index = Math.floor(n / TILE_WIDTH ** level);
          await checkTile(fetch, level, index, size, buffer);
          carry = hashWithinTile(new Uint8Array(Buffer.concat(buffer)), 0, TILE_WIDTH);
          pending[level] = [];
        }
      }
    }
    options.onProgress?.(checked, size);
  }
  // Partial tiles at the right edge of each level.
  for (let level = 1; level < pending.length; level++) {
    const buffer = pending[level];
    if (!buffer || buffer.length === 0) continue;
    const index = Math.floor(size / TILE_WIDTH ** (level + 1));
    await checkTile(fetch, level, index, size, buffer);
  }
  const computed = range.root();
  if (!bytesEqual(computed, root)) {
    throw new FsckError(
      `the entries hash to root ${toHex(computed).slice(0, 16)}…, not the checkpoint's ${toHex(root).slice(0, 16)}…`,
    );
  }
  return checked;
}
