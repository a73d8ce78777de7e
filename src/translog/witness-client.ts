// The log side of tlog-witness: submits a checkpoint to every configured witness with the
// consistency proof from the size that witness last cosigned, and collects cosignatures
// that verify under the witness's key. Used by the checkpointer as its `Cosigning`.
// With several instances on one database, a witness may already hold a larger checkpoint
// another instance published: that answer is the expected race (`onSuperseded`), told apart
// from a rolled-back or forked log by asking the log whether it published that size itself.

import { parseCheckpoint } from './checkpoint.ts';
import type { Cosigning } from './checkpointer.ts';
import { encodeBase64 } from './encoding.ts';
import { noteVerifier, SIG_COSIGNATURE_V1 } from './keys.ts';
import { formatNote, type Note, type NoteSignature, parseSignatureLine } from './note.ts';

export interface WitnessEndpoint {
  /** The witness's cosignature/v1 verifier key (type 0x04). */
  readonly verifierKey: string;
  /** Submission prefix; the request goes to `${url}/add-checkpoint`. */
  readonly url: string;
}

/** One HTTP exchange; injectable so tests can wire witnesses in-process. */
export type WitnessTransport = (
  url: string,
  body: string,
  signal: AbortSignal,
) => Promise<{ status: number; body: string }>;

export const fetchTransport: WitnessTransport = async (url, body, signal) => {
  const res = await fetch(url, {
    method: 'POST',
    body,
    headers: { 'content-type': 'text/plain; charset=utf-8' },
    signal,
  });
  return { status: res.status, body: await res.text() };
};

export interface WitnessCosigningOptions {
  readonly witnesses: readonly WitnessEndpoint[];
  /** k of n (default: all). */
  readonly quorum?: number;
  /** Consistency proof between two sizes of this log (TransparencyLog.consistencyProof). */
  readonly proof: (size1: number, size2: number) => Promise<Uint8Array[]>;
  readonly transport?: WitnessTransport;
  readonly timeoutMs?: number;
  /** Called per witness failure (for logs/metrics); never with secrets. */
  readonly onFailure?: (witness: string, reason: string) => void;
  /**
   * Whether this log (any of its instances) published a checkpoint of `size`; set by
   * createLog. A witness holding a larger tree the log published is ahead of this instance,
   * not of the log; without it, any larger tree counts as a rollback or fork.
   */
  readonly published?: (size: number) => Promise<boolean>;
  /** Called when a witness moved on with this log's other checkpoints (the multi-instance race). */
  readonly onSuperseded?: (witness: string, witnessSize: number, size: number) => void;
}

/**
 * The witness's state moved with checkpoints this log published (another instance's): it
 * already holds a larger one, or kept moving between this instance's attempts. Nothing is
 * wrong; this checkpoint is simply late.
 */
export class SupersededError extends Error {
  override name = 'SupersededError';
  readonly witnessSize: number;
  constructor(witnessSize: number, size: number) {
    super(
      `witness moved on with this log's other checkpoints (witness at size ${witnessSize}, this one ${size})`,
    );
    this.witnessSize = witnessSize;
  }
}

/** The witness's stated reason (its problem document's detail), printable and short; public, never a secret. */
function refusalReason(body: string): string {
  let text = body;
  try {
    const doc = JSON.parse(body) as { detail?: unknown };
    if (typeof doc.detail === 'string') text = doc.detail;
  } catch {
    // not JSON: the body as is
  }
  const clean = text
    .replace(/[^\x20-\x7e]+/g, ' ')
    .trim()
    .slice(0, 300);
  return clean ? `: ${clean}` : '';
}

/** Why a submission failed, for the log line: the message and a network error's code (e.g. ECONNREFUSED). */
function failureReason(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error.cause as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? `${error.message} (${code})` : error.message;
}

export function witnessCosigning(options: WitnessCosigningOptions): Cosigning {
  const transport = options.transport ?? fetchTransport;
  const witnesses = options.witnesses.map((w) => {
    const verifier = noteVerifier(w.verifierKey);
    if (verifier.type !== SIG_COSIGNATURE_V1)
      throw new Error(`witness key ${verifier.name} is not cosignature/v1`);
    return { ...w, verifier, knownSize: 0 };
  });
  const quorum = options.quorum ?? witnesses.length;

  async function submit(w: (typeof witnesses)[number], note: Note, size: number): Promise<NoteSignature> {
    const text = new TextEncoder().encode(note.text);
    for (let attempt = 0; attempt < 2; attempt++) {
      const old = w.knownSize;
      const proof = old > 0 && old < size ? await options.proof(old, size) : [];
      const body = `old ${old}\n${proof.map((h) => `${encodeBase64(h)}\n`).join('')}\n${formatNote(note)}`;
      const res = await transport(
        `${w.url}/add-checkpoint`,
        body,
        AbortSignal.timeout(options.timeoutMs ?? 5000),
      );
      if (res.status === 200) {
        w.knownSize = size;
        const lines = res.body.split('\n').filter((l) => l !== '');
        for (const line of lines) {
          const sig = parseSignatureLine(line);
          if (
            sig.name === w.verifier.name &&
            sig.keyId === w.verifier.keyId &&
            w.verifier.verify(text, sig.signature)
          ) {
            return sig;
          }
        }
        throw new Error('witness returned no valid cosignature');
      }
      if (res.status === 409) {
        const stored = Number(res.body.trim());
        if (!Number.isSafeInteger(stored)) throw new Error('witness answered 409 without a size');
        if (stored > size) {
          // Only a size this log published is remembered: a witness claiming a size the log
          // never reached (rollback, fork, or its state tampered with) must not leave us sending
          // "old <that size>" forever once it is set right again.
          if (await options.published?.(stored)) {
            w.knownSize = stored;
            throw new SupersededError(stored, size);
          }
          throw new Error(
            `witness has cosigned a larger tree (size ${stored}) than this checkpoint (size ${size}): the log was rolled back or forked`,
          );
        }
        w.knownSize = stored;
        continue;
      }
      throw new Error(`witness answered ${res.status}${refusalReason(res.body)}`);
    }
    // Other instances' checkpoints reached the witness between both attempts: still the race.
    if (await options.published?.(w.knownSize)) throw new SupersededError(w.knownSize, size);
    throw new Error('witness state kept moving');
  }

  return {
    quorum,
    async cosign(note) {
      const { size } = parseCheckpoint(note.text);
      const results = await Promise.allSettled(witnesses.map((w) => submit(w, note, size)));
      const signatures: NoteSignature[] = [];
      results.forEach((r, i) => {
        if (r.status === 'fulfilled') signatures.push(r.value);
        else if (r.reason instanceof SupersededError)
          options.onSuperseded?.(witnesses[i]!.verifier.name, r.reason.witnessSize, size);
        else options.onFailure?.(witnesses[i]!.verifier.name, failureReason(r.reason));
      });
      return signatures;
    },
  };
}
