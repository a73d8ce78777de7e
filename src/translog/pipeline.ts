// The log's pipelined group commit: one batch's transaction (the companions' admission, the
// integration, the companions' rows), planned on the tip the batch before it will leave.
import type { AppendCompanion, CommittedBatch, QueuedEntry } from './appender.ts';
import { faultPoint } from './fault.ts';
import { acceptedOnly, hashEntries, integrate, type KnownTree } from './integrate.ts';
import type { TranslogDb } from './tables.ts';

/** The tree a batch will leave if it commits; `parent` is the tip it was planned on, until it commits. */
interface Tip {
  readonly tree: KnownTree;
  parent: Tip | undefined;
  failed: boolean;
}

/** The tip's tree, unless it or a tip it was planned on failed (then: read the stored edge). */
function usable(tip: Tip | undefined): KnownTree | undefined {
  for (let t = tip; t; t = t.parent) if (t.failed) return undefined;
  return tip?.tree;
}

/** Asks each companion that vets its items which of them it refuses; batch positions → error. */
async function admitAttached(trx: TranslogDb, batch: readonly QueuedEntry[]): Promise<Map<number, Error>> {
  const byCompanion = new Map<AppendCompanion, { position: number; data: unknown }[]>();
  batch.forEach((b, position) => {
    if (!b.attached?.companion.admit) return;
    const items = byCompanion.get(b.attached.companion) ?? [];
    items.push({ position, data: b.attached.data });
    byCompanion.set(b.attached.companion, items);
  });
  const refused = new Map<number, Error>();
  for (const [companion, items] of byCompanion) {
    for (const [position, error] of await companion.admit!(trx, items)) refused.set(position, error);
  }
  return refused;
}

/** Hands each companion the entries of the batch attached to it, with their indexes, in one call. */
async function writeAttached(trx: TranslogDb, batch: readonly QueuedEntry[], start: number): Promise<void> {
  const byCompanion = new Map<AppendCompanion, { index: number; data: unknown }[]>();
  batch.forEach((b, i) => {
    if (!b.attached) return;
    const items = byCompanion.get(b.attached.companion) ?? [];
    items.push({ index: start + i, data: b.attached.data });
    byCompanion.set(b.attached.companion, items);
  });
  for (const [companion, items] of byCompanion) await companion.write(trx, items);
}

/** The commit function of one log's group committer (GroupCommitter's `commit`). */
export function pipelinedCommit(db: TranslogDb, logId: string) {
  // Pipelined group commit. The tip is the tree the newest batch will leave if it commits:
  // its planned right edge and root, announced as soon as it is planned, so the next batch
  // is planned and sent while this one is still committing. Commits stay in order: the next
  // batch's statement waits on the state row lock, and its guard (size and root,
  // integrate.ts) refuses a phantom tip; that batch then plans again from the stored tiles.
  // A tip whose batch failed (or was planned again) is marked, and a batch never starts
  // from a tip with a failed ancestor, so one failure costs at most the batches in flight.
  let tip: Promise<Tip | undefined> = Promise.resolve(undefined);
  return async (batch: readonly QueuedEntry[], handOff: () => void): Promise<CommittedBatch> => {
    const base = tip;
    let publish!: (tip: Tip | undefined) => void;
    tip = new Promise((resolve) => {
      publish = resolve;
    });
    let mine: Tip | undefined;
    try {
      // Outside the transaction (overlaps the batch before it): leaf hashes of every entry.
      const hashed = hashEntries(batch.map((b) => b.entry));
      const result = await db.transaction().execute(async (trx) => {
        const refused = await admitAttached(trx, batch);
        const accepted = refused.size === 0 ? hashed : acceptedOnly(hashed, refused);
        const from = await base;
        const integrated = await integrate(trx, logId, accepted, usable(from), (planned) => {
          mine = { tree: planned, parent: from, failed: false };
          publish(mine);
          setImmediate(handOff); // once this batch's statement is on its way
        });
        if (mine && mine.tree !== integrated) mine.failed = true; // planned again: the tip was wrong
        faultPoint('after-log-append');
        const kept = refused.size === 0 ? batch : batch.filter((_, position) => !refused.has(position));
        await writeAttached(trx, kept, integrated.start);
        faultPoint('before-commit');
        return refused.size === 0 ? integrated : { ...integrated, refused };
      });
      if (mine && !mine.failed)
        mine.parent = undefined; // committed: the tip is now the tree
      else publish({ tree: result, parent: undefined, failed: false });
      faultPoint('after-commit');
      return result;
    } catch (error) {
      if (mine) mine.failed = true;
      publish(undefined);
      throw error;
    }
  };
}
