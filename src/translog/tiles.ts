// C2SP tlog-tiles: tile coordinates, paths, widths, hashing within a tile, and entry bundles.
// A tile at level L holds up to 256 hashes, each the root of a complete subtree of 256^L
// leaves; level -1 denotes the entry bundles (`tile/entries/...`).
import { FormatError, LogCorruptionError } from './errors.ts';
import { HASH_SIZE, hashChildren } from './merkle.ts';
import type { NodeId } from './proof.ts';

export const TILE_HEIGHT = 8;
export const TILE_WIDTH = 256;
export const ENTRIES_LEVEL = -1;
export const MAX_ENTRY_SIZE = 0xffff;

export interface TileId {
  /** 0..63 for hash tiles, -1 for entry bundles. */
  readonly level: number;
  readonly index: number;
  /** 1..256; 256 is a full tile (no `.p/W` suffix). */
  readonly width: number;
}

function formatIndex(index: number): string {
  let groups = [String(index % 1000).padStart(3, '0')];
  for (let n = Math.floor(index / 1000); n > 0; n = Math.floor(n / 1000)) {
    groups = [`x${String(n % 1000).padStart(3, '0')}`, ...groups];
  }
  return groups.join('/');
}

export function tilePath(tile: TileId): string {
  if (!Number.isSafeInteger(tile.index) || tile.index < 0) throw new FormatError('tile index is invalid');
  if (!Number.isInteger(tile.width) || tile.width < 1 || tile.width > TILE_WIDTH) {
    throw new FormatError('tile width must be 1..256');
  }
  if (!Number.isInteger(tile.level) || tile.level < ENTRIES_LEVEL || tile.level > 63) {
    throw new FormatError('tile level must be -1..63');
  }
  const level = tile.level === ENTRIES_LEVEL ? 'entries' : String(tile.level);
  const suffix = tile.width === TILE_WIDTH ? '' : `.p/${tile.width}`;
  return `tile/${level}/${formatIndex(tile.index)}${suffix}`;
}

const PATH = /^tile\/(entries|0|[1-9][0-9]?)\/((?:x[0-9]{3}\/)*[0-9]{3})(?:\.p\/([1-9][0-9]{0,2}))?$/;

/** Parses `tile/<L>/<N>[.p/<W>]`; rejects every non-canonical spelling (it must re-format identically). */
export function parseTilePath(path: string): TileId {
  const m = PATH.exec(path);
  if (!m) throw new FormatError('not a tile path');
  const level = m[1] === 'entries' ? ENTRIES_LEVEL : Number(m[1]);
  const index = m[2]!.split('/').reduce((n, g) => n * 1000 + Number(g.replace('x', '')), 0);
  const width = m[3] === undefined ? TILE_WIDTH : Number(m[3]);
  if (level > 63 || width > TILE_WIDTH || !Number.isSafeInteger(index))
    throw new FormatError('tile path out of range');
  const tile = { level, index, width };
  if (tilePath(tile) !== path) throw new FormatError('tile path is not canonical');
  return tile;
}

/** Number of hashes tile (level, index) holds in a tree of `size` leaves (0 when it does not exist yet). */
export function tileWidthAt(level: number, index: number, size: number): number {
  const count = Math.floor(size / TILE_WIDTH ** Math.max(level, 0));
  return Math.max(0, Math.min(TILE_WIDTH, count - index * TILE_WIDTH));
}

/** Where a complete subtree's hash lives: in tile (level, index), computed from `count` hashes from `start`. */
export function locateNode(node: NodeId): { level: number; index: number; start: number; count: number } {
  const level = Math.floor(node.level / TILE_HEIGHT);
  const count = 2 ** (node.level % TILE_HEIGHT);
  const first = node.index * count;
  return { level, index: Math.floor(first / TILE_WIDTH), start: first % TILE_WIDTH, count };
}

/** Hash of a complete subtree over `count` (power of two) consecutive hashes of a tile. */
export function hashWithinTile(tile: Uint8Array, start: number, count: number): Uint8Array {
  if (tile.length < (start + count) * HASH_SIZE)
    throw new LogCorruptionError('tile is narrower than the node needs');
  let level: Uint8Array[] = [];
  for (let i = start; i < start + count; i++) level.push(tile.subarray(i * HASH_SIZE, (i + 1) * HASH_SIZE));
  while (level.length > 1) {
    const next: Uint8Array[] = [];
    for (let i = 0; i < level.length; i += 2) next.push(hashChildren(level[i]!, level[i + 1]!));
    level = next;
  }
  return new Uint8Array(level[0]!);
}

/** Splits tile bytes into hashes; the width must match exactly. */
export function tileHashes(tile: Uint8Array, width: number): Uint8Array[] {
  if (tile.length !== width * HASH_SIZE)
    throw new FormatError(`tile has ${tile.length} bytes, expected ${width * 32}`);
  return Array.from({ length: width }, (_, i) => tile.subarray(i * HASH_SIZE, (i + 1) * HASH_SIZE));
}

/** `uint16_be(len) || entry` for each entry. */
export function encodeBundle(entries: readonly Uint8Array[]): Uint8Array {
  const parts: Buffer[] = [];
  for (const e of entries) {
    if (e.length > MAX_ENTRY_SIZE) throw new FormatError('entry is larger than 65535 bytes');
    const len = Buffer.alloc(2);
    len.writeUInt16BE(e.length);
    parts.push(len, Buffer.from(e));
  }
  return new Uint8Array(Buffer.concat(parts));
}

export function decodeBundle(bundle: Uint8Array): Uint8Array[] {
  const entries: Uint8Array[] = [];
  const view = Buffer.from(bundle.buffer, bundle.byteOffset, bundle.byteLength);
  let at = 0;
  while (at < view.length) {
    if (at + 2 > view.length) throw new FormatError('entry bundle is truncated');
    const len = view.readUInt16BE(at);
    if (at + 2 + len > view.length) throw new FormatError('entry bundle is truncated');
    entries.push(new Uint8Array(view.subarray(at + 2, at + 2 + len)));
    at += 2 + len;
  }
  return entries;
}
