// The stored transparency log: one per bank, in the shared database. Appends are group
// committed; a checkpointer signs the tree at least once a second while it grows; proofs and
// tiles are read from stored tiles.
import type { Database } from '../storage/index.ts';
import { type AppendCompanion, type BatchOptions, GroupCommitter } from './appender.ts';
import { Checkpointer, type Cosigning, checkpointPublished, type StoredCheckpoint } from './checkpointer.ts';
import { encodeBase64 } from './encoding.ts';
import { FormatError, NotFoundError, ProofError } from './errors.ts';
import { type NoteSigner, parseVerifierKey, SIG_ED25519 } from './keys.ts';
import { EMPTY_ROOT } from './merkle.ts';
import { pipelinedCommit } from './pipeline.ts';
import { consistencyProof, inclusionProof } from './proof.ts';
import { bytes, type TranslogDb, type TranslogTables } from './tables.ts';
import type { TileFetcher } from './tile-client.ts';
import { readTiles, storedNodeReader } from './tile-store.ts';
import { ENTRIES_LEVEL, encodeBundle, parseTilePath, TILE_WIDTH, type TileId } from './tiles.ts';
import { type WitnessCosigningOptions, witnessCosigning } from './witness-client.ts';

export interface LogOptions {
  /** The bank id. */
  readonly logId: string;
  /** Checkpoint origin, e.g. `bank.example/banks/acme/log` (the tiles URL prefix without scheme). */
  readonly origin: string;
  /** The bank's Ed25519 log key (type 0x01); its name SHOULD equal the origin. */
  readonly signer: NoteSigner;
  readonly batch?: BatchOptions;
  /** Checkpointer period; also how quickly growth by other instances is signed (default 250 ms). */
  readonly checkpointIntervalMs?: number;
  /** Least time between two checkpoints signed after this instance's own appends (default 100 ms). */
  readonly minCheckpointIntervalMs?: number;
  /** Witnesses to obtain cosignatures from (k of n) before a checkpoint is served. */
  readonly witnesses?: Omit<WitnessCosigningOptions, 'proof'>;
  /** Custom cosigning instead of `witnesses`. */
  readonly cosigning?: Cosigning;
  /** false disables the background checkpointer (tests drive `publishCheckpoint` by hand). */
  readonly autoCheckpoint?: boolean;
}

export interface LogHealth {
  /** Integrated tree size. */
  readonly size: number;
  /** Size of the newest signed checkpoint (0 when none). */
  readonly checkpointSize: number;
  /** Seconds since the newest checkpoint was signed; Infinity when none. */
  readonly checkpointAgeSeconds: number;
  /** Entries integrated but not yet covered by a checkpoint. */
  readonly uncheckpointed: number;
  /** When a checkpoint last reached the witness quorum (null if never or no witnesses). */
  readonly lastCosignedAt: Date | null;
}

export interface TransparencyLog {
  readonly logId: string;
  readonly origin: string;
  /** The log's note verifier key, for /.well-known/proviso. */
  readonly verifierKey: string;
  /**
   * Appends one entry; resolves with its index once the batch holding it has committed. With
   * `attached`, the companion writes the entry's own rows (opaque to the log) in the same
   * transaction: both commit or neither does.
   */
  append(
    entry: Uint8Array,
    attached?: { companion: AppendCompanion; data: unknown },
  ): Promise<{ index: number }>;
  size(): Promise<number>;
  entry(index: number): Promise<Uint8Array>;
  /** The checkpoint to serve at <prefix>/checkpoint. */
  checkpoint(): Promise<StoredCheckpoint | undefined>;
  /** Signed checkpoints with size >= fromSize, oldest first. */
  checkpoints(fromSize?: number): Promise<StoredCheckpoint[]>;
  /** Signs the current tree now (normally the background checkpointer does this). */
  publishCheckpoint(): Promise<StoredCheckpoint | undefined>;
  /** Resolves once a signed (and, with cosigned: true, quorum-cosigned) checkpoint covers `size` entries. */
  waitForCheckpoint(
    size: number,
    options?: { timeoutMs?: number; cosigned?: boolean },
  ): Promise<StoredCheckpoint>;
  inclusionProof(index: number, size: number): Promise<Uint8Array[]>;
  consistencyProof(size1: number, size2: number): Promise<Uint8Array[]>;
  /** A tile or entry bundle by its tlog-tiles path (`tile/...`); undefined when not (yet) available. */
  readTile(path: string): Promise<Uint8Array | undefined>;
  /** The same, as a TileFetcher for the tile-reading client. */
  readonly tiles: TileFetcher;
  health(): Promise<LogHealth>;
  /**
   * Seconds the log has held entries that no quorum-cosigned checkpoint covers (0 when all
   * are covered or no witnesses are configured). Read from the database at most every 250 ms.
   */
  uncosignedSeconds(): Promise<number>;
  /** Flushes queued appends and stops the checkpointer. */
  close(): Promise<void>;
}

/** Creates the log's state row if it does not exist and refuses an origin different from the stored one. */
async function ensureState(db: TranslogDb, logId: string, origin: string): Promise<void> {
  await db
    .insertInto('translog_state')
    .values({ log_id: logId, origin, size: 0, root: EMPTY_ROOT })
    .onConflict((oc) => oc.column('log_id').doNothing())
    .execute();
  const row = await db
    .selectFrom('translog_state')
    .select('origin')
    .where('log_id', '=', logId)
    .executeTakeFirstOrThrow();
  if (row.origin !== origin) throw new FormatError(`log ${logId} has origin ${row.origin}, not ${origin}`);
}

export async function createLog(database: Database, options: LogOptions): Promise<TransparencyLog> {
  const db = database.tables<TranslogTables>();
  const { logId, origin, signer } = options;
  const key = parseVerifierKey(signer.verifierKey);
  if (key.type !== SIG_ED25519)
    throw new FormatError('the log signer must be an Ed25519 (type 0x01) note key');
  await ensureState(db, logId, origin);

  const cosigning =
    options.cosigning ??
    (options.witnesses && options.witnesses.witnesses.length > 0
      ? witnessCosigning({
          ...options.witnesses,
          proof: (a, b) => consistencyProof(a, b, storedNodeReader(db, logId)),
          published: (size) => checkpointPublished(db, logId, size),
        })
      : undefined);
  const checkpointer = new Checkpointer(db, logId, origin, signer, cosigning);
  const waiters = new Set<() => void>();
  const wake = () => {
    for (const w of waiters) w();
  };
  checkpointer.onPublished(wake);

  // Sign soon after our own commits (low latency to inclusion), but at a bounded rate (at
  // most one per minCheckpointIntervalMs under load), and on a timer for growth by other
  // instances. Witnesses are asked in the background by the checkpointer.
  let kickTimer: NodeJS.Timeout | undefined;
  let lastKicked = 0;
  const minInterval = options.minCheckpointIntervalMs ?? 100;
  const kick = () => {
    kickTimer ??= setTimeout(
      () => {
        kickTimer = undefined;
        lastKicked = Date.now();
        checkpointer.publish().catch(() => {});
      },
      Math.max(5, lastKicked + minInterval - Date.now()),
    );
  };
  const commitBatch = pipelinedCommit(db, logId);
  const committer = new GroupCommitter(
    commitBatch,
    () => {
      if (options.autoCheckpoint !== false) kick();
    },
    // PGlite is one session: a second batch in flight overlaps no database work there, and
    // its queued BEGIN would make every other statement (the checkpointer's, the witness's)
    // wait a whole batch; on PostgreSQL the next batch runs on its own connection.
    { pipeline: database.kind === 'postgres' ? 2 : 1, ...options.batch },
  );
  const interval = options.checkpointIntervalMs ?? 250;
  const ticker =
    options.autoCheckpoint === false
      ? undefined
      : setInterval(() => {
          checkpointer
            .publish()
            .then(wake)
            .catch(() => {});
        }, interval);
  if (options.autoCheckpoint !== false) await checkpointer.publish();

  let uncosigned: { readAt: number; since: Promise<Date | null> } | undefined;
  const uncosignedSince = () => {
    if (!uncosigned || Date.now() - uncosigned.readAt > 250) {
      const since = checkpointer.uncosignedSince();
      since.catch(() => {
        uncosigned = undefined; // the next caller reads again
      });
      uncosigned = { readAt: Date.now(), since };
    }
    return uncosigned.since;
  };

  const size = async () =>
    (
      await db
        .selectFrom('translog_state')
        .select('size')
        .where('log_id', '=', logId)
        .executeTakeFirstOrThrow()
    ).size;

  async function checkSizes(limit: number, what: string) {
    const current = await size();
    if (limit > current) throw new NotFoundError(`${what} ${limit} is beyond the log size ${current}`);
  }

  async function readTileId(tile: TileId): Promise<Uint8Array | undefined> {
    if (tile.level === ENTRIES_LEVEL) {
      const from = tile.index * TILE_WIDTH;
      const rows = await db
        .selectFrom('translog_entry')
        .select('data')
        .where('log_id', '=', logId)
        .where('idx', '>=', from)
        .where('idx', '<', from + tile.width)
        .orderBy('idx')
        .execute();
      return rows.length === tile.width ? encodeBundle(rows.map((r) => bytes(r.data))) : undefined;
    }
    const stored = (await readTiles(db, logId, [tile])).get(`${tile.level}/${tile.index}`);
    if (!stored || stored.length < tile.width * 32) return undefined;
    // A partial tile is a prefix of the stored (possibly wider) tile: tiles only grow.
    return stored.subarray(0, tile.width * 32);
  }

  const readTile = async (path: string) => {
    let tile: TileId;
    try {
      tile = parseTilePath(path);
    } catch {
      return undefined;
    }
    return readTileId(tile);
  };

  return {
    logId,
    origin,
    verifierKey: signer.verifierKey,
    append: async (entry, attached) => ({ index: await committer.append(entry, attached) }),
    size,
    async entry(index) {
      const row = await db
        .selectFrom('translog_entry')
        .select('data')
        .where('log_id', '=', logId)
        .where('idx', '=', index)
        .executeTakeFirst();
      if (!row) throw new NotFoundError(`entry ${index} does not exist`);
      return bytes(row.data);
    },
    checkpoint: () => checkpointer.served(),
    checkpoints: (fromSize) => checkpointer.history(fromSize),
    publishCheckpoint: () => checkpointer.publish(),
    async waitForCheckpoint(target, opts = {}) {
      const deadline = Date.now() + (opts.timeoutMs ?? 10_000);
      const quorum = opts.cosigned ? (cosigning?.quorum ?? 0) : 0;
      for (;;) {
        const newest = await checkpointer.newest();
        if (newest && newest.size >= target && newest.cosignatures >= quorum) return newest;
        const left = deadline - Date.now();
        if (left <= 0) throw new NotFoundError(`no checkpoint covers ${target} entries yet`);
        await new Promise<void>((resolve) => {
          const done = () => {
            waiters.delete(done);
            clearTimeout(t);
            resolve();
          };
          const t = setTimeout(done, Math.min(left, 100));
          waiters.add(done);
        });
      }
    },
    async inclusionProof(index, treeSize) {
      if (!Number.isSafeInteger(index) || index < 0 || index >= treeSize) {
        throw new ProofError(`index ${index} is not below size ${treeSize}`);
      }
      await checkSizes(treeSize, 'size');
      return inclusionProof(index, treeSize, storedNodeReader(db, logId));
    },
    async consistencyProof(size1, size2) {
      if (!Number.isSafeInteger(size1) || size1 < 1 || size1 > size2) {
        throw new ProofError(`no consistency proof from ${size1} to ${size2}`);
      }
      await checkSizes(size2, 'size');
      return consistencyProof(size1, size2, storedNodeReader(db, logId));
    },
    readTile,
    tiles: readTile,
    async health() {
      const current = await size();
      const newest = await checkpointer.newest();
      const quorum = cosigning?.quorum ?? 0;
      const cosigned =
        quorum > 0
          ? await db
              .selectFrom('translog_checkpoint')
              .select((eb) => eb.fn.max('cosigned_at').as('at'))
              .where('log_id', '=', logId)
              .where('cosignatures', '>=', quorum)
              .executeTakeFirst()
          : undefined;
      return {
        size: current,
        checkpointSize: newest?.size ?? 0,
        checkpointAgeSeconds: newest
          ? (Date.now() - newest.createdAt.getTime()) / 1000
          : Number.POSITIVE_INFINITY,
        uncheckpointed: current - (newest?.size ?? 0),
        lastCosignedAt: cosigned?.at ? new Date(cosigned.at) : null,
      };
    },
    async uncosignedSeconds() {
      const since = await uncosignedSince();
      return since ? Math.max(0, (Date.now() - since.getTime()) / 1000) : 0;
    },
    async close() {
      clearInterval(ticker);
      clearTimeout(kickTimer);
      await committer.close();
      // Sign what was just flushed, and let any in-flight publish finish before the database closes.
      if (options.autoCheckpoint !== false) await checkpointer.publish().catch(() => {});
      await checkpointer.settled();
    },
  };
}

export const rootBase64 = (c: StoredCheckpoint) => encodeBase64(c.root);
