// Opening a checkpoint under a policy: one valid log signature plus a quorum of witness
// cosignatures (the simple k-of-n case of c2sp.org/tlog-policy).
import { type Checkpoint, parseCheckpoint } from './checkpoint.ts';
import { SignatureError } from './errors.ts';
import { cosignatureTimestamp, noteVerifier, SIG_COSIGNATURE_V1, SIG_ED25519 } from './keys.ts';
import { type Note, openNote, parseNote } from './note.ts';

export interface CheckpointPolicy {
  /** Verifier keys (type 0x01) of the log; one valid signature from any of them is required. */
  readonly logKeys: readonly string[];
  /** Verifier keys (type 0x04) of witnesses. */
  readonly witnessKeys?: readonly string[];
  /** How many distinct witnesses must have cosigned (default 0). */
  readonly quorum?: number;
  /** When set, the checkpoint's origin must equal it. */
  readonly origin?: string;
}

export interface OpenedCheckpoint {
  readonly checkpoint: Checkpoint;
  readonly note: Note;
  /** Witnesses whose cosignature verified, with the time they vouched for. */
  readonly cosignatures: readonly { name: string; timestamp: bigint }[];
}

export function openCheckpoint(noteText: string, policy: CheckpointPolicy): OpenedCheckpoint {
  const logVerifiers = policy.logKeys.map(noteVerifier);
  const witnessVerifiers = (policy.witnessKeys ?? []).map(noteVerifier);
  if (logVerifiers.some((v) => v.type !== SIG_ED25519))
    throw new SignatureError('log keys must be type 0x01');
  if (witnessVerifiers.some((v) => v.type !== SIG_COSIGNATURE_V1)) {
    throw new SignatureError('witness keys must be cosignature/v1 (type 0x04)');
  }
  const note = parseNote(noteText);
  const opened = openNote(note, [...logVerifiers, ...witnessVerifiers]);
  if (!opened.verified.some((v) => logVerifiers.includes(v.verifier as (typeof logVerifiers)[number]))) {
    throw new SignatureError('checkpoint is not signed by the log');
  }
  const cosignatures = new Map<string, bigint>();
  for (const v of opened.verified) {
    if (witnessVerifiers.includes(v.verifier as (typeof witnessVerifiers)[number])) {
      cosignatures.set(v.signature.name, cosignatureTimestamp(v.signature.signature));
    }
  }
  const quorum = policy.quorum ?? 0;
  if (cosignatures.size < quorum) {
    throw new SignatureError(`checkpoint has ${cosignatures.size} witness cosignatures, quorum is ${quorum}`);
  }
  const checkpoint = parseCheckpoint(note.text);
  if (policy.origin !== undefined && checkpoint.origin !== policy.origin) {
    throw new SignatureError(`checkpoint origin ${checkpoint.origin} is not ${policy.origin}`);
  }
  return {
    checkpoint,
    note,
    cosignatures: [...cosignatures].map(([name, timestamp]) => ({ name, timestamp })),
  };
}
