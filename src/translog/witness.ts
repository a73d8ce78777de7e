// A C2SP tlog-witness (v1.0.0 + HEAD's 422 for same-size forks): keeps, per log origin, the
// latest checkpoint it cosigned, and cosigns a new one only if it is consistent with it.
// Check-and-update runs in one transaction under a row lock, so concurrent submissions can
// never roll the state back. Inconsistent but validly signed checkpoints are kept as evidence.
import type { Database } from '../storage/index.ts';
import { EmptyTreeRootError, parseCheckpoint } from './checkpoint.ts';
import { bytesEqual, decodeBase64, parseSafeDecimal } from './encoding.ts';
import { FormatError, ProofError, SignatureError } from './errors.ts';
import { type NoteSigner, noteVerifier, parseVerifierKey, SIG_COSIGNATURE_V1, SIG_ED25519 } from './keys.ts';
import { EMPTY_ROOT, HASH_SIZE, verifyConsistency } from './merkle.ts';
import { formatSignatureLine, type Note, openNote, parseNote } from './note.ts';
import { cosignText } from './sign.ts';
import { bytes, type TranslogTables } from './tables.ts';

export const MAX_PROOF_LINES = 63;

export interface WitnessedLog {
  readonly origin: string;
  /** The log's type 0x01 verifier keys. */
  readonly verifierKeys: readonly string[];
}

export interface WitnessOptions {
  /** The witness's cosigner (type 0x04 key); its name is the witness name. */
  readonly cosigner: NoteSigner;
  readonly logs: readonly WitnessedLog[];
  /** POSIX seconds for cosignature timestamps (tests pin it). */
  readonly now?: () => bigint;
}

export type AddCheckpointResult =
  | { readonly status: 200; readonly signatures: string }
  | { readonly status: 409; readonly size: number }
  | { readonly status: 400 | 403 | 404 | 422; readonly reason: string };

export interface AddCheckpointRequest {
  readonly oldSize: number;
  readonly proof: readonly Uint8Array[];
  readonly note: Note;
}

/** Parses `old N\n<proof lines>\n\n<checkpoint note>`. Throws FormatError (400). */
export function parseAddCheckpoint(body: string): AddCheckpointRequest {
  const blank = body.indexOf('\n\n');
  if (blank < 0) throw new FormatError('request has no blank line before the checkpoint');
  const head = body.slice(0, blank).split('\n');
  const first = head[0] ?? '';
  if (!first.startsWith('old ')) throw new FormatError('request does not start with "old <size>"');
  const oldSize = parseSafeDecimal(first.slice(4), 'old size');
  const proofLines = head.slice(1);
  if (proofLines.length > MAX_PROOF_LINES) throw new FormatError(`more than ${MAX_PROOF_LINES} proof lines`);
  const proof = proofLines.map((l) => {
    const h = decodeBase64(l, 'proof hash');
    if (h.length !== HASH_SIZE) throw new FormatError('proof hash is not 32 bytes');
    return h;
  });
  return { oldSize, proof, note: parseNote(body.slice(blank + 2)) };
}

export interface WitnessState {
  readonly size: number;
  readonly root: Uint8Array;
  readonly note: string;
}

export interface Witness {
  readonly name: string;
  readonly verifierKey: string;
  addCheckpoint(body: string): Promise<AddCheckpointResult>;
  state(origin: string): Promise<WitnessState | undefined>;
  /** Validly signed checkpoints refused as inconsistent (split-view evidence), newest first. */
  refusals(origin: string): Promise<{ note: string; reason: string; storedSize: number; receivedAt: Date }[]>;
}

export function createWitness(database: Database, options: WitnessOptions): Witness {
  const db = database.tables<TranslogTables>();
  const cosigner = options.cosigner;
  const cosignerKey = parseVerifierKey(cosigner.verifierKey);
  if (cosignerKey.type !== SIG_COSIGNATURE_V1)
    throw new FormatError('a witness cosigns with a type 0x04 key');
  const name = cosignerKey.name;
  const logs = new Map(
    options.logs.map((l) => {
      const verifiers = l.verifierKeys.map(noteVerifier);
      if (verifiers.some((v) => v.type !== SIG_ED25519)) throw new FormatError('log keys must be type 0x01');
      return [l.origin, verifiers] as const;
    }),
  );
  const now = options.now ?? (() => BigInt(Math.floor(Date.now() / 1000)));

  async function addCheckpoint(body: string): Promise<AddCheckpointResult> {
    let request: AddCheckpointRequest;
    try {
      request = parseAddCheckpoint(body);
    } catch (error) {
      return { status: 400, reason: (error as Error).message };
    }
    const origin = request.note.text.slice(0, request.note.text.indexOf('\n'));
    const verifiers = logs.get(origin);
    if (!verifiers) return { status: 404, reason: `unknown log origin ${origin}` };
    try {
      openNote(request.note, verifiers);
    } catch (error) {
      if (error instanceof SignatureError) return { status: 403, reason: error.message };
      throw error;
    }
    let checkpoint: ReturnType<typeof parseCheckpoint>;
    try {
      checkpoint = parseCheckpoint(request.note.text);
    } catch (error) {
      if (error instanceof EmptyTreeRootError) return { status: 422, reason: error.message };
      return { status: 400, reason: (error as Error).message };
    }
    if (request.oldSize > checkpoint.size)
      return { status: 400, reason: 'old size is larger than the checkpoint' };
    const noteText = `${request.note.text}`;

    return db.transaction().execute(async (trx) => {
      // A placeholder row makes the lock possible on first contact for an origin.
      await trx
        .insertInto('translog_witness_state')
        .values({ witness: name, origin, size: 0, root: EMPTY_ROOT, note: '' })
        .onConflict((oc) => oc.columns(['witness', 'origin']).doNothing())
        .execute();
      const stored = await trx
        .selectFrom('translog_witness_state')
        .select(['size', 'root'])
        .where('witness', '=', name)
        .where('origin', '=', origin)
        .forUpdate()
        .executeTakeFirstOrThrow();
      const storedRoot = bytes(stored.root);
      if (request.oldSize !== stored.size) return { status: 409, size: stored.size } as const;
      const refuse = async (reason: string) => {
        await trx
          .insertInto('translog_witness_refusal')
          .values({
            witness: name,
            origin,
            stored_size: stored.size,
            stored_root: storedRoot,
            note: noteText,
            reason,
          })
          .execute();
        return { status: 422, reason } as const;
      };
      if (request.oldSize === 0 && request.proof.length > 0)
        return { status: 422, reason: 'old size 0 needs no proof' } as const;
      if (request.oldSize === checkpoint.size && !bytesEqual(storedRoot, checkpoint.root)) {
        return refuse(`a different tree of size ${checkpoint.size} was already cosigned`);
      }
      if (request.oldSize > 0 && request.oldSize < checkpoint.size) {
        try {
          verifyConsistency(request.oldSize, checkpoint.size, request.proof, storedRoot, checkpoint.root);
        } catch (error) {
          if (error instanceof ProofError) return refuse(`consistency proof fails: ${error.message}`);
          throw error;
        }
      }
      if (request.oldSize === checkpoint.size && request.proof.length > 0) {
        return { status: 422, reason: 'proof between equal sizes must be empty' } as const;
      }
      await trx
        .updateTable('translog_witness_state')
        .set({ size: checkpoint.size, root: checkpoint.root, note: noteText, updated_at: new Date() })
        .where('witness', '=', name)
        .where('origin', '=', origin)
        .execute();
      let timestamp = now();
      if (timestamp < 1n) timestamp = 1n; // HEAD: cosignatures carry a non-zero timestamp
      const line = formatSignatureLine(await cosignText(request.note.text, cosigner, timestamp));
      return { status: 200, signatures: line } as const;
    });
  }

  return {
    name,
    verifierKey: cosigner.verifierKey,
    addCheckpoint,
    async state(origin) {
      const row = await db
        .selectFrom('translog_witness_state')
        .select(['size', 'root', 'note'])
        .where('witness', '=', name)
        .where('origin', '=', origin)
        .executeTakeFirst();
      return row && row.note !== '' ? { size: row.size, root: bytes(row.root), note: row.note } : undefined;
    },
    async refusals(origin) {
      const rows = await db
        .selectFrom('translog_witness_refusal')
        .select(['note', 'reason', 'stored_size', 'received_at'])
        .where('witness', '=', name)
        .where('origin', '=', origin)
        .orderBy('id', 'desc')
        .execute();
      return rows.map((r) => ({
        note: r.note,
        reason: r.reason,
        storedSize: r.stored_size,
        receivedAt: new Date(r.received_at),
      }));
    },
  };
}
