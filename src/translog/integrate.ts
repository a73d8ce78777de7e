// The integrator: appends a batch of entries to the tree inside the caller's transaction.
// It locks the log's state row first, so appenders in every process sequence one after the
// other; entries, the grown tiles and the new root commit together or not at all.
// The right edge of the tree (the partial tile of each level) is all a batch needs to grow
// the tiles and compute the new root. The caller keeps it from its previous batch; when the
// locked size shows another instance appended since, it is read again from the database.
// A batch is then one statement (writePlan): the state row moved under a size guard, with
// the entries and tiles inserted only if it moved; otherwise four (lock, read, write).

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

const INSERT_CHUNK = 1000;

/** A batch's writes, computed from the right edge before any of them is sent. */
interface Plan {
  readonly entries: readonly Uint8Array[];
  readonly tiles: readonly { level: number; idx: number; hashes: Uint8Array }[];
  readonly result: Integrated;
}

/** Grows the right edge of a tree of `start` leaves by `entries`: the tiles to write, the new root. */
function plan(start: number, entries: readonly Uint8Array[], partial: ReadonlyMap<string, Uint8Array>): Plan {
  const size = start + entries.length;
  const writes: { level: number; idx: number; hashes: Uint8Array }[] = [];
  let level = 0;
  let first = start; // position of the first new hash at this level
  let added = entries.map(hashLeaf);
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
 * Writes a planned batch in ONE statement (data-modifying CTEs). The UPDATE locks the state
 * row until the commit; it moves the row to the new size and root only if it was still at
 * `start` (with `guarded` false the caller already holds the lock at `start`), and only then
 * are the entries and tiles inserted. Otherwise nothing is written, the row stays locked,
 * and the size found is returned, so the caller can read that tree's edge and write again.
 */
async function writePlan(
  trx: TranslogDb,
  logId: string,
  planned: Plan,
  guarded: boolean,
): Promise<{ moved: true } | { moved: false; size: number }> {
  const { start, size, root } = planned.result;
  const entryRows = planned.entries.map((data, j) => sql`(${start + j}::bigint, ${data}::bytea)`);
  const tileRows = planned.tiles.map(
    (t) => sql`(${t.level}::smallint, ${t.idx}::bigint, ${t.hashes}::bytea)`,
  );
  const atStart = guarded ? sql`size = ${start}::bigint` : sql`true`;
  const result = await sql<{ moved: boolean; size: string | number }>`
    with state as (
      update translog_state
      set size = case when ${atStart} then ${size}::bigint else size end,
          root = case when ${atStart} then ${root}::bytea else root end,
          updated_at = case when ${atStart} then now() else updated_at end
      where log_id = ${logId}
      returning size, size = ${size}::bigint and root = ${root}::bytea as moved
    ), entries as (
      insert into translog_entry (log_id, idx, data)
      select ${logId}, e.idx, e.data from (values ${sql.join(entryRows)}) as e (idx, data)
      where exists (select 1 from state where moved)
    ), tiles as (
      insert into translog_tile (log_id, level, idx, hashes)
      select ${logId}, t.level, t.idx, t.hashes from (values ${sql.join(tileRows)}) as t (level, idx, hashes)
      where exists (select 1 from state where moved)
      on conflict (log_id, level, idx) do update set hashes = excluded.hashes
    )
    select moved, size from state`.execute(trx);
  const row = result.rows[0];
  if (!row) throw new NotFoundError(`log ${logId} does not exist`);
  return row.moved ? { moved: true } : { moved: false, size: Number(row.size) };
}

// Bind parameters per statement stay far below PostgreSQL's 65,535 at this batch size.
const ONE_STATEMENT_MAX = 1000;

export async function integrate(
  trx: TranslogDb,
  logId: string,
  entries: readonly Uint8Array[],
  known?: RightEdge,
): Promise<Integrated> {
  // Fast path: the right edge this instance committed last is still the tree's (nobody else
  // appended), so the batch is one round trip; the size guard in writePlan checks that, and
  // when it fails the row is locked all the same and the size another instance left is known.
  let start: number;
  if (known && entries.length > 0 && entries.length <= ONE_STATEMENT_MAX) {
    const planned = plan(known.size, entries, known.tiles);
    const written = await writePlan(trx, logId, planned, true);
    if (written.moved) return planned.result;
    start = written.size;
  } else {
    const state = await trx
      .selectFrom('translog_state')
      .select(['size'])
      .where('log_id', '=', logId)
      .forUpdate()
      .executeTakeFirst();
    if (!state) throw new NotFoundError(`log ${logId} does not exist`);
    start = Number(state.size);
  }
  // The only stored tile each level can extend is the partial one at the right edge.
  const partial = known?.size === start ? known.tiles : await readTiles(trx, logId, partialTileKeys(start));
  if (entries.length === 0) {
    const edge = { size: start, tiles: partial };
    return { start, size: start, root: rootFromEdge(edge), edge };
  }
  const planned = plan(start, entries, partial);
  if (entries.length <= ONE_STATEMENT_MAX) {
    const written = await writePlan(trx, logId, planned, false);
    if (!written.moved) throw new LogCorruptionError(`log ${logId} moved while its state row was locked`);
    return planned.result;
  }
  for (let i = 0; i < entries.length; i += INSERT_CHUNK) {
    await trx
      .insertInto('translog_entry')
      .values(
        entries.slice(i, i + INSERT_CHUNK).map((data, j) => ({ log_id: logId, idx: start + i + j, data })),
      )
      .execute();
  }
  await trx
    .insertInto('translog_tile')
    .values(planned.tiles.map((w) => ({ log_id: logId, ...w })))
    .onConflict((oc) =>
      oc.columns(['log_id', 'level', 'idx']).doUpdateSet((eb) => ({ hashes: eb.ref('excluded.hashes') })),
    )
    .execute();
  await trx
    .updateTable('translog_state')
    .set({ size: planned.result.size, root: planned.result.root, updated_at: new Date() })
    .where('log_id', '=', logId)
    .execute();
  return planned.result;
}
