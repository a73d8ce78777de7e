// Hash tiles in the database: batched tile reads and a NodeReader over them, so a proof
// costs one query for O(log n) tiles.
import { LogCorruptionError } from './errors.ts';
import type { NodeReader } from './proof.ts';
import { bytes, type TranslogDb } from './tables.ts';
import { hashWithinTile, locateNode } from './tiles.ts';

export type TileKey = { level: number; index: number };
const keyOf = (k: TileKey) => `${k.level}/${k.index}`;

/** Stored tiles (at their current, widest version) for the given keys; absent keys are missing from the map. */
export async function readTiles(
  db: TranslogDb,
  logId: string,
  keys: readonly TileKey[],
): Promise<Map<string, Uint8Array>> {
  const unique = [...new Map(keys.map((k) => [keyOf(k), k])).values()];
  const out = new Map<string, Uint8Array>();
  if (unique.length === 0) return out;
  const rows = await db
    .selectFrom('translog_tile')
    .select(['level', 'idx', 'hashes'])
    .where('log_id', '=', logId)
    .where((eb) => eb.or(unique.map((k) => eb.and([eb('level', '=', k.level), eb('idx', '=', k.index)]))))
    .execute();
  for (const r of rows) out.set(keyOf({ level: r.level, index: r.idx }), bytes(r.hashes));
  return out;
}

export function tileKeyOf(level: number, index: number): string {
  return keyOf({ level, index });
}

/** NodeReader over the stored tiles. Valid for any size up to the integrated size: tiles only grow. */
export function storedNodeReader(db: TranslogDb, logId: string): NodeReader {
  return async (ids) => {
    const located = ids.map(locateNode);
    const tiles = await readTiles(db, logId, located);
    return located.map((at) => {
      const tile = tiles.get(keyOf(at));
      if (!tile) throw new LogCorruptionError(`tile ${at.level}/${at.index} is missing`);
      return hashWithinTile(tile, at.start, at.count);
    });
  };
}
