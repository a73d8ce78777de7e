// The integrator: appends a batch of entries to the tree inside the caller's transaction.
// It locks the log's state row first, so appenders in every process sequence one after the
// other; entries, the grown tiles and the new root commit together or not at all.
import { LogCorruptionError, NotFoundError } from './errors.ts';
import { hashLeaf } from './merkle.ts';
import { treeRoot } from './proof.ts';
import type { TranslogDb } from './tables.ts';
import { readTiles, storedNodeReader, type TileKey, tileKeyOf } from './tile-store.ts';
import { hashWithinTile, TILE_WIDTH } from './tiles.ts';

export interface Integrated {
  /** Index of the batch's first entry. */
  readonly start: number;
  /** Tree size after the batch. */
  readonly size: number;
  readonly root: Uint8Array;
}

const INSERT_CHUNK = 1000;

export async function integrate(
  trx: TranslogDb,
  logId: string,
  entries: readonly Uint8Array[],
): Promise<Integrated> {
  const state = await trx
    .selectFrom('translog_state')
    .select(['size'])
    .where('log_id', '=', logId)
    .forUpdate()
    .executeTakeFirst();
  if (!state) throw new NotFoundError(`log ${logId} does not exist`);
  const start = state.size;
  const size = start + entries.length;
  if (entries.length === 0) {
    return { start, size, root: await treeRoot(size, storedNodeReader(trx, logId)) };
  }

  for (let i = 0; i < entries.length; i += INSERT_CHUNK) {
    await trx
      .insertInto('translog_entry')
      .values(
        entries.slice(i, i + INSERT_CHUNK).map((data, j) => ({ log_id: logId, idx: start + i + j, data })),
      )
      .execute();
  }

  // The only stored tile each level can extend is the partial one at the right edge.
  const partialKeys: TileKey[] = [];
  for (let level = 0, count = start; count > 0; level++, count = Math.floor(count / TILE_WIDTH)) {
    if (count % TILE_WIDTH !== 0) partialKeys.push({ level, index: Math.floor(count / TILE_WIDTH) });
  }
  const partial = await readTiles(trx, logId, partialKeys);

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
  await trx
    .insertInto('translog_tile')
    .values(writes.map((w) => ({ log_id: logId, ...w })))
    .onConflict((oc) =>
      oc.columns(['log_id', 'level', 'idx']).doUpdateSet((eb) => ({ hashes: eb.ref('excluded.hashes') })),
    )
    .execute();

  const root = await treeRoot(size, storedNodeReader(trx, logId));
  await trx
    .updateTable('translog_state')
    .set({ size, root, updated_at: new Date() })
    .where('log_id', '=', logId)
    .execute();
  return { start, size, root };
}
