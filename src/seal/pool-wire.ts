// What the sealing pool (pool.ts) and its worker threads (pool-worker.ts) say to each other.
// One message per batch, not per envelope: a batch's inputs travel as one UTF-8 buffer
// and its envelopes come back as one ASCII buffer, both transferred (moved, not copied).
// Everything the worker needs to make the same bytes as the in-thread sealer is in the item:
// the id and issued-at are decided by the caller's thread (its clock, its ids).

import type { BankSigningKey } from './sealer.ts';
import type { SuiteName } from './suite.ts';

/**
 * One envelope to seal: the fields of a SealInput, positional to keep the JSON short, and the
 * payload as the JSON text the caller's thread made (its own JSON.stringify, so a payload that
 * cannot be serialised fails there, alone, as it would in-thread).
 */
export interface WireItem {
  fields: WireFields;
  payloadJson: string;
}

export type WireFields = [
  recipient: string | { kty: 'OKP'; crv: 'X25519'; x: string },
  consentCommitment: string,
  purpose: string,
  type: string,
  log: number,
  iat: number,
  id: string,
  exp: number | null,
];

/**
 * A batch as text: the JSON array of every item's fields, then each payload's JSON, one per
 * line (JSON.stringify never writes a raw newline), so payloads are not escaped a second time.
 */
export function encodeBatch(items: readonly WireItem[]): string {
  let text = JSON.stringify(items.map((item) => item.fields));
  for (const item of items) text += `\n${item.payloadJson}`;
  return text;
}

export function decodeBatch(text: string): { fields: WireFields[]; payloads: string[] } {
  const lines = text.split('\n');
  const fields = JSON.parse(lines[0] ?? '') as WireFields[];
  const payloads = lines.slice(1);
  if (!Array.isArray(fields) || fields.length !== payloads.length) throw new TypeError('not a batch');
  return { fields, payloads };
}

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
  /** UTF-8 of encodeBatch(). */
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
