// A worker thread of the sealing pool (pool.ts): seals batches of envelopes with the same
// createSealer the gateway uses in its own thread, so the bytes are the same format. Each
// bank's signing key arrives once (a KeyObject cloned by postMessage, inside this process;
// never exported, written or logged) and each device key is parsed once per worker (the
// sealer's recipient cache). One bad item answers with its error; the items beside it are sealed.

import { parentPort } from 'node:worker_threads';
import {
  type BatchMessage,
  type DoneMessage,
  decodeBatch,
  ERROR_MARK,
  type FailedMessage,
  type ToWorker,
  type WireError,
  type WireFields,
} from './pool-wire.ts';
import { createSealer, type JsonSealer } from './sealer.ts';

const sealers = new Map<number, JsonSealer>();
const decoder = new TextDecoder();

function wireError(error: unknown): string {
  const e = error instanceof Error ? error : new Error(String(error));
  const out: WireError = { name: e.name, message: e.message };
  const { code, reason } = e as { code?: unknown; reason?: unknown };
  if (typeof code === 'string') out.code = code;
  if (typeof reason === 'string') out.reason = reason;
  return ERROR_MARK + JSON.stringify(out);
}

function sealOne(sealer: JsonSealer, fields: WireFields, payloadJson: string): string {
  const [recipientPublicKey, consentCommitment, purpose, type, log, iat, id, exp] = fields;
  const input = { recipientPublicKey, consentCommitment, purpose, type, log, iat, id };
  return sealer.sealJson(exp !== null ? { ...input, exp } : input, payloadJson);
}

function sealBatch(message: BatchMessage): DoneMessage | FailedMessage {
  const sealer = sealers.get(message.keyId);
  if (!sealer) return { kind: 'failed', batchId: message.batchId, message: 'unknown signing key' };
  let batch: ReturnType<typeof decodeBatch>;
  try {
    batch = decodeBatch(decoder.decode(message.items));
  } catch {
    return { kind: 'failed', batchId: message.batchId, message: 'the batch is not readable' };
  }
  let out = '';
  for (let i = 0; i < batch.fields.length; i++) {
    let line: string;
    try {
      line = sealOne(sealer, batch.fields[i] as WireFields, batch.payloads[i] as string);
    } catch (error) {
      line = wireError(error);
    }
    out += i === 0 ? line : `\n${line}`;
  }
  // Envelopes are ASCII; an error line may not be: UTF-8 both ways.
  const bytes = new TextEncoder().encode(out);
  return { kind: 'done', batchId: message.batchId, results: bytes.buffer as ArrayBuffer };
}

parentPort?.on('message', (message: ToWorker) => {
  if (message.kind === 'key') {
    sealers.set(
      message.keyId,
      createSealer({ bankId: message.bankId, suite: message.suite, signingKey: message.signingKey }),
    );
    return;
  }
  const answer = sealBatch(message);
  parentPort?.postMessage(answer, answer.kind === 'done' ? [answer.results] : []);
});
