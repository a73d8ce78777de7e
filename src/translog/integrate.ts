// The integrator: appends a batch of entries to the tree inside the caller's transaction.
// It locks the log's state row first, so appenders in every process sequence one after the
// other; entries, the grown tiles and the new root commit together or not at all.
// The right edge of the tree (the partial tile of each level) is all a batch needs to grow
// the tiles and compute the new root. The caller keeps it from its previous batch; when
// another instance appended since, it is read again from the database under the lock.
// A batch is then one statement (writePlan): the state row moved under a guard on its size
// AND root, with the entries and tiles inserted only if it moved; otherwise three more
// (lock, read the edge, write). The known edge may be speculative (the planned edge of a
// batch still committing, see log.ts): the guard is what makes that safe. A statement sent while the
// batch before it holds the row lock waits for that COMMIT and then sees the row as it was
// left; if that batch rolled back (or another instance appended, even the same number of
// entries), size or root differ, nothing is written, and the batch is planned again from
// the stored tiles under the lock. A phantom edge is never written.

import { sql } from 'kysely';
import { LogCorruptionError, NotFoundError } from './errors.ts';
import { EMPTY_ROOT, hashChildren, hashLeaf } from './merkle.ts';
import type { TranslogDb } from './tables.ts';
import { readTiles, type TileKey, tileKeyOf } from './tile-store.ts';
import { hashWithinTile, TILE_WIDTH } from './tiles.ts';

/** The partial tile of each level of a tree of `size` leaves ("level/index" → hashes). */
export interface RightEdge {
  readonly size: number;
  readonly tiles: ReadonlyMap<string, Uint8Array>;
}

export interface Integrated {
  /** Index of the batch's first entry. */
  readonly start: number;
  /** Tree size after the batch. */
  readonly size: number;
  readonly root: Uint8Array;
  /** The right edge after the batch; valid only once the transaction has committed. */
  readonly edge: RightEdge;
}

/** Keys of the partial tiles of a tree of `size` leaves, level 0 first. */
function partialTileKeys(size: number): TileKey[] {
  const keys: TileKey[] = [];
  for (let level = 0, count = size; count > 0; level++, count = Math.floor(count / TILE_WIDTH)) {
    if (count % TILE_WIDTH !== 0) keys.push({ level, index: Math.floor(count / TILE_WIDTH) });
  }
  return keys;
}

/** RFC 9162 root from the right edge alone: the complete subtrees of every level's partial tile. */
export function rootFromEdge(edge: RightEdge): Uint8Array {
  if (edge.size === 0) return EMPTY_ROOT;
  const subtrees: Uint8Array[] = [];
  for (const key of partialTileKeys(edge.size).reverse()) {
    const tile = edge.tiles.get(tileKeyOf(key.level, key.index));
    const width = Math.floor(edge.size / TILE_WIDTH ** key.level) % TILE_WIDTH;
    if (!tile || tile.length < width * 32)
      throw new LogCorruptionError(`tile ${key.level}/${key.index} does not hold ${width} hashes`);
    for (let start = 0, bit = 128; bit >= 1; bit /= 2) {
      if ((width & bit) === 0) continue;
      subtrees.push(hashWithinTile(tile, start, bit));
      start += bit;
    }
  }
  let root = subtrees.at(-1)!;
  for (let i = subtrees.length - 2; i >= 0; i--) root = hashChildren(subtrees[i]!, root);
  return root;
}

/** What a batch may start from: a tree's right edge and its root. */
export interface KnownTree {
  readonly edge: RightEdge;
  readonly root: Uint8Array;
}

/** A batch's entries with their RFC 9162 leaf hashes (hashed before the transaction). */
export interface HashedEntries {
  readonly entries: readonly Uint8Array[];
  readonly leaves: readonly Uint8Array[];
}

export function hashEntries(entries: readonly Uint8Array[]): HashedEntries {
  return { entries, leaves: entries.map(hashLeaf) };
}

/** The entries the companion admitted (batch positions not in `refused`), with their hashes. */
export function acceptedOnly(batch: HashedEntries, refused: ReadonlyMap<number, unknown>): HashedEntries {
  const keep = (_: unknown, position: number) => !refused.has(position);
  return { entries: batch.entries.filter(keep), leaves: batch.leaves.filter(keep) };
}

/** A batch's writes, computed from the right edge before any of them is sent. */
interface Plan {
  readonly entries: readonly Uint8Array[];
  readonly tiles: readonly { level: number; idx: number; hashes: Uint8Array }[];
  readonly result: Integrated;
}

/** Grows the right edge of a tree of `start` leaves by `entries`: the tiles to write, the new root. */
function plan(start: number, batch: HashedEntries, partial: ReadonlyMap<string, Uint8Array>): Plan {
  const { entries } = batch;
  const size = start + entries.length;
  const writes: { level: number; idx: number; hashes: Uint8Array }[] = [];
  let level = 0;
  let first = start; // position of the first new hash at this level
  let added = batch.leaves as Uint8Array[];
  while (added.length > 0) {
    const completed: Uint8Array[] = [];
    let pos = first;
    let taken = 0;
    while (taken < added.length) {
      const index = Math.floor(pos / TILE_WIDTH);
      const offset = pos % TILE_WIDTH;
      const existing = offset === 0 ? new Uint8Array(0) : partial.get(tileKeyOf(level, index));
      if (!existing || existing.length !== offset * 32) {
        throw new LogCorruptionError(`tile ${level}/${index} does not hold ${offset} hashes`);
      }
      const take = Math.min(TILE_WIDTH - offset, added.length - taken);
      const tile = new Uint8Array(Buffer.concat([existing, ...added.slice(taken, taken + take)]));
      writes.push({ level, idx: index, hashes: tile });
      if (offset + take === TILE_WIDTH) completed.push(hashWithinTile(tile, 0, TILE_WIDTH));
      taken += take;
      pos += take;
    }
    // Completed tiles become hashes one level up, starting at the tile index `first` fell in.
    first = Math.floor(first / TILE_WIDTH);
    added = completed;
    level++;
  }
  const latest = new Map(partial);
  for (const w of writes) latest.set(tileKeyOf(w.level, w.idx), w.hashes);
  const edge: RightEdge = {
    size,
    tiles: new Map(
      partialTileKeys(size).map((k) => {
        const key = tileKeyOf(k.level, k.index);
        return [key, latest.get(key)!] as const;
      }),
    ),
  };
  return { entries, tiles: writes, result: { start, size, root: rootFromEdge(edge), edge } };
}

/**
 * Writes a planned batch in ONE statement (data-modifying CTEs). The UPDATE moves the state
 * row to the new size and root only if it is still at `start` with root `from` (with `from`
 * undefined the caller already holds the lock at `start`); the row stays locked until the
 * commit; only then are the entries and tiles inserted. The guard is in the WHERE clause, so
 * "moved" means this statement moved the row — not that the row ended where this batch
 * would have left it (another writer appending the very same entries leaves the same size
 * and root). When it did not move, nothing is written and the caller takes the lock.
 *
 * The statement has the same few parameters whatever the batch size: the entries travel as
 * ONE hex text (their bytes concatenated) with their lengths as one comma-separated text,
 * cut apart by the server; tiles as hex too. A bind parameter per entry cost more than the
 * entry (PGlite serialises each bytea parameter byte by byte in JavaScript; PostgreSQL
 * parses and binds each), and there is no parameter limit to split big batches for.
 */
async function writePlan(
  trx: TranslogDb,
  logId: string,
  planned: Plan,
  from: Uint8Array | undefined,
): Promise<boolean> {
  const { start, size, root } = planned.result;
  const hex = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
  const entriesHex = Buffer.concat(planned.entries).toString('hex');
  const lengths = planned.entries.map((e) => e.length).join(',');
  const tileRows = planned.tiles.map(
    (t) => sql`(${t.level}::smallint, ${t.idx}::bigint, ${hex(t.hashes)}::text)`,
  );
  const guard = from ? sql`and size = ${start}::bigint and root = decode(${hex(from)}::text, 'hex')` : sql``;
  const result = await sql<{ moved: number }>`
    with state as (
      update translog_state
      set size = ${size}::bigint, root = decode(${hex(root)}::text, 'hex'), updated_at = now()
      where log_id = ${logId} ${guard}
      returning size
    ), blob as materialized (
      select decode(${entriesHex}::text, 'hex') as bytes
    ), cut as (
      select n - 1 as j, len::int as len, (sum(len::int) over (order by n) - len::int)::int as off
      from unnest(string_to_array(${lengths}::text, ',')) with ordinality as l (len, n)
    ), entries as (
      insert into translog_entry (log_id, idx, data)
      select ${logId}, ${start}::bigint + cut.j, substring(blob.bytes from cut.off + 1 for cut.len)
      from cut, blob
      where exists (select 1 from state)
    ), tiles as (
      insert into translog_tile (log_id, level, idx, hashes)
      select ${logId}, t.level, t.idx, decode(t.hashes, 'hex')
      from (values ${sql.join(tileRows)}) as t (level, idx, hashes)
      where exists (select 1 from state)
      on conflict (log_id, level, idx) do update set hashes = excluded.hashes
    )
    select count(*)::int as moved from state`.execute(trx);
  return Number(result.rows[0]?.moved ?? 0) > 0;
}

export async function integrate(
  trx: TranslogDb,
  logId: string,
  batch: HashedEntries,
  known?: KnownTree,
  onPlanned?: (planned: Integrated) => void,
): Promise<Integrated> {
  const { entries } = batch;
  // Fast path: the right edge this instance knows (committed, or planned by the batch still
  // committing before this one) is the tree's, so the batch is one round trip; the guard in
  // writePlan checks that. When it fails, the batch takes the lock and reads the stored edge.
  if (known && entries.length > 0) {
    const planned = plan(known.edge.size, batch, known.edge.tiles);
    onPlanned?.(planned.result);
    if (await writePlan(trx, logId, planned, known.root)) return planned.result;
  }
  const state = await trx
    .selectFrom('translog_state')
    .select(['size'])
    .where('log_id', '=', logId)
    .forUpdate()
    .executeTakeFirst();
  if (!state) throw new NotFoundError(`log ${logId} does not exist`);
  const start = Number(state.size);
  // The only stored tile each level can extend is the partial one at the right edge. A known
  // edge is not trusted here: the guard failed or was not tried, so read what is stored.
  const partial = await readTiles(trx, logId, partialTileKeys(start));
  if (entries.length === 0) {
    const edge = { size: start, tiles: partial };
    return { start, size: start, root: rootFromEdge(edge), edge };
  }
  const planned = plan(start, batch, partial);
  if (!(await writePlan(trx, logId, planned, undefined)))
    throw new LogCorruptionError(`log ${logId} vanished while its state row was locked`);
  return planned.result;
}
