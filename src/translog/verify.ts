// The verifier behind `proviso verify`: checks a checkpoint's log signature and witness
// quorum, its consistency with the last checkpoint this verifier saw (kept in a local state
// file), the inclusion of chosen entries, and (full check) every entry and tile against the
// checkpoint's root, using tiles only. A fork is reported as a split view with both notes as
// evidence; the state file is then left untouched.
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { type CheckpointPolicy, openCheckpoint } from './cosigned.ts';
import { bytesEqual, decodeBase64, encodeBase64 } from './encoding.ts';
import { NotFoundError } from './errors.ts';
import { FsckError, type FsckOptions, fsckLog } from './fsck.ts';
import { hashLeaf, verifyConsistency, verifyInclusion } from './merkle.ts';
import {
  proveConsistencyFromTiles,
  proveInclusionFromTiles,
  readEntries,
  type TileFetcher,
} from './tile-client.ts';

export interface VerifyOptions {
  /** The checkpoint note as served at <prefix>/checkpoint. */
  readonly checkpoint: string;
  readonly policy: CheckpointPolicy;
  /** Local JSON file holding the last verified checkpoint; created when absent. */
  readonly stateFile?: string;
  /** Tiles of the log (httpTileFetcher(prefix) or a directory/mirror). */
  readonly tiles: TileFetcher;
  /** Entry indexes whose inclusion in this checkpoint to prove. */
  readonly entries?: readonly number[];
  /** Full check: fetch every entry bundle, recompute every tile and the root (fsck). */
  readonly full?: boolean | FullCheckOptions;
}

export interface FullCheckOptions extends FsckOptions {
  /** Skip the full check (and say so) when the checkpoint is larger than this. */
  readonly upToSize?: number;
}

export interface FullCheckReport {
  readonly ok: boolean;
  readonly checked: number;
  readonly seconds: number;
  /** The first entry found changed or missing, when the fault can be pinned to one. */
  readonly firstBadIndex?: number;
  /** Why the full check did not run (the log is larger than the configured size). */
  readonly skipped?: string;
}

export interface SavedCheckpoint {
  readonly origin: string;
  readonly size: number;
  readonly root: string;
  readonly note: string;
}

export interface VerifyReport {
  readonly ok: boolean;
  readonly origin?: string;
  readonly size?: number;
  readonly root?: string;
  readonly cosignatures: readonly { name: string; timestamp: string }[];
  readonly previous?: SavedCheckpoint;
  readonly consistency: 'first-seen' | 'consistent' | 'split-view' | 'not-checked';
  /** Present when two checkpoints of the log cannot both be true. */
  readonly splitView?: { readonly reason: string; readonly previous: string; readonly current: string };
  readonly inclusions: readonly { index: number; ok: boolean; entry?: string; error?: string }[];
  /** Present when the full check ran. */
  readonly full?: FullCheckReport;
  readonly errors: readonly string[];
}

/** TileFetcher over HTTP for a log prefix such as https://bank.example/banks/acme/log. */
export function httpTileFetcher(prefix: string): TileFetcher {
  const base = prefix.replace(/\/+$/, '');
  return async (path) => {
    const res = await fetch(`${base}/${path}`, { headers: { 'accept-encoding': 'gzip, identity' } });
    if (res.status === 404) return undefined;
    if (!res.ok) throw new Error(`GET ${path}: HTTP ${res.status}`);
    return new Uint8Array(await res.arrayBuffer());
  };
}

async function loadState(file: string | undefined): Promise<SavedCheckpoint | undefined> {
  if (!file) return undefined;
  try {
    return JSON.parse(await readFile(file, 'utf8')) as SavedCheckpoint;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

async function saveState(file: string, state: SavedCheckpoint): Promise<void> {
  // A fresh data folder has no state folder yet.
  await mkdir(dirname(file), { recursive: true });
  // Write then rename: a crash must not leave a half-written state that "forgets" a tree.
  await writeFile(`${file}.tmp`, `${JSON.stringify(state, null, 2)}\n`);
  await rename(`${file}.tmp`, file);
}

export async function verifyLog(options: VerifyOptions): Promise<VerifyReport> {
  const errors: string[] = [];
  let opened: ReturnType<typeof openCheckpoint>;
  try {
    opened = openCheckpoint(options.checkpoint, options.policy);
  } catch (error) {
    return {
      ok: false,
      cosignatures: [],
      consistency: 'not-checked',
      inclusions: [],
      errors: [(error as Error).message],
    };
  }
  const { checkpoint } = opened;
  const current: SavedCheckpoint = {
    origin: checkpoint.origin,
    size: checkpoint.size,
    root: encodeBase64(checkpoint.root),
    note: options.checkpoint,
  };
  const previous = await loadState(options.stateFile);
  let consistency: VerifyReport['consistency'] = 'first-seen';
  let splitView: VerifyReport['splitView'];
  if (previous && previous.origin !== checkpoint.origin) {
    errors.push(`state file is for ${previous.origin}, not ${checkpoint.origin}`);
    consistency = 'not-checked';
  } else if (previous && previous.size > 0 && checkpoint.size > 0) {
    const [older, newer] = previous.size <= checkpoint.size ? [previous, current] : [current, previous];
    try {
      const proof =
        older.size === newer.size
          ? []
          : await proveConsistencyFromTiles(options.tiles, older.size, newer.size);
      verifyConsistency(older.size, newer.size, proof, decodeBase64(older.root), decodeBase64(newer.root));
      consistency = 'consistent';
    } catch (error) {
      if (error instanceof NotFoundError) {
        errors.push(`cannot check consistency: ${error.message}`);
        consistency = 'not-checked';
      } else {
        consistency = 'split-view';
        const reason =
          older.size === newer.size && !bytesEqual(decodeBase64(older.root), decodeBase64(newer.root))
            ? `two different trees of size ${older.size}`
            : `tree of size ${newer.size} does not extend the tree of size ${older.size}: ${(error as Error).message}`;
        splitView = { reason, previous: previous.note, current: options.checkpoint };
        errors.push(`SPLIT VIEW: ${reason}`);
      }
    }
  } else if (previous) {
    consistency = 'consistent'; // an empty tree is a prefix of every tree
  }

  const inclusions: { index: number; ok: boolean; entry?: string; error?: string }[] = [];
  for (const index of options.entries ?? []) {
    try {
      const [entry] = await readEntries(options.tiles, checkpoint.size, index, index + 1);
      const proof = await proveInclusionFromTiles(options.tiles, index, checkpoint.size);
      verifyInclusion(index, checkpoint.size, hashLeaf(entry!), proof, checkpoint.root);
      inclusions.push({ index, ok: true, entry: new TextDecoder().decode(entry) });
    } catch (error) {
      inclusions.push({ index, ok: false, error: (error as Error).message });
      errors.push(`entry ${index}: ${(error as Error).message}`);
    }
  }

  let full: FullCheckReport | undefined;
  const fullOptions: FullCheckOptions | undefined = options.full === true ? {} : options.full || undefined;
  if (fullOptions?.upToSize !== undefined && checkpoint.size > fullOptions.upToSize) {
    full = {
      ok: true,
      checked: 0,
      seconds: 0,
      skipped: `the log holds ${checkpoint.size} entries, more than the full-check limit ${fullOptions.upToSize}`,
    };
  } else if (fullOptions) {
    const started = performance.now();
    try {
      const checked = await fsckLog(options.tiles, checkpoint.size, checkpoint.root, fullOptions);
      full = { ok: true, checked, seconds: (performance.now() - started) / 1000 };
    } catch (error) {
      const index = error instanceof FsckError ? error.index : undefined;
      full = {
        ok: false,
        checked: 0,
        seconds: (performance.now() - started) / 1000,
        ...(index === undefined ? {} : { firstBadIndex: index }),
      };
      errors.push(`full check: ${(error as Error).message}`);
    }
  }

  const ok = errors.length === 0;
  if (ok && options.stateFile && (!previous || checkpoint.size >= previous.size)) {
    await saveState(options.stateFile, current);
  }
  return {
    ok,
    origin: checkpoint.origin,
    size: checkpoint.size,
    root: current.root,
    cosignatures: opened.cosignatures.map((c) => ({ name: c.name, timestamp: String(c.timestamp) })),
    ...(previous ? { previous } : {}),
    consistency,
    ...(splitView ? { splitView } : {}),
    inclusions,
    ...(full ? { full } : {}),
    errors,
  };
}
