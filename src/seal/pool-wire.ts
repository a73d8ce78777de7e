// What the sealing pool (pool.ts) and its worker threads (pool-worker.ts) say to each other.
// One message per batch, not per envelope: a batch's inputs travel as one UTF-8 JSON buffer
// and its envelopes come back as one ASCII buffer, both transferred (moved, not copied).
// Everything the worker needs to make the same bytes as the in-thread sealer is in the item:
// the id and issued-at are decided by the caller's thread (its clock, its ids).

import type { BankSigningKey } from './sealer.ts';
import type { SuiteName } from './suite.ts';

/** One envelope to seal: the fields of a SealInput, positional to keep the JSON short. */
export type WireItem = [
  recipient: string | { kty: 'OKP'; crv: 'X25519'; x: string },
  consentCommitment: string,
  purpose: string,
  type: string,
  log: number,
  iat: number,
  id: string,
  exp: number | null,
  payload: unknown,
];

/**
 * The bank's signing key, sent once per worker. The KeyObject is cloned into the worker by
 * postMessage: it stays inside this process (never exported to bytes, written or logged).
 */
export interface KeyMessage {
  kind: 'key';
  keyId: number;
  bankId: string;
  suite: SuiteName;
  signingKey: BankSigningKey;
}

export interface BatchMessage {
  kind: 'batch';
  batchId: number;
  keyId: number;
  /** UTF-8 JSON of WireItem[]. */
  items: ArrayBuffer;
}

export type ToWorker = KeyMessage | BatchMessage;

/**
 * Results in item order, one per line: an envelope (compact JWS: base64url and dots, never a
 * newline or "!"), or "!" followed by the JSON of the error that item raised.
 */
export interface DoneMessage {
  kind: 'done';
  batchId: number;
  results: ArrayBuffer;
}

/** The batch could not be read at all (never one bad item: that is a "!" line). */
export interface FailedMessage {
  kind: 'failed';
  batchId: number;
  message: string;
}

export type FromWorker = DoneMessage | FailedMessage;

/** What an item's error looks like on the wire (its name, code and message; never a stack). */
export interface WireError {
  name: string;
  message: string;
  code?: string;
  reason?: string;
}

export const ERROR_MARK = '!';
