// A worker thread of the sealing pool (pool.ts): seals batches of envelopes with the same
// createSealer the gateway uses in its own thread, so the bytes are the same format. Each
// bank's signing key arrives once (a KeyObject cloned by postMessage, inside this process;
// never exported, written or logged) and each device key is parsed once per worker (the
// sealer's recipient cache). One bad item answers with its error; the items beside it are sealed.

import { parentPort } from 'node:worker_threads';
import {
  type BatchMessage,
  type DoneMessage,
  ERROR_MARK,
  type FailedMessage,
  type ToWorker,
  type WireError,
  type WireItem,
} from './pool-wire.ts';
import { createSealer, type Sealer } from './sealer.ts';

const sealers = new Map<number, Sealer>();
const decoder = new TextDecoder();

function wireError(error: unknown): string {
  const e = error instanceof Error ? error : new Error(String(error));
  const out: WireError = { name: e.name, message: e.message };
  const { code, reason } = e as { code?: unknown; reason?: unknown };
  if (typeof code === 'string') out.code = code;
  if (typeof reason === 'string') out.reason = reason;
  return ERROR_MARK + JSON.stringify(out);
}

function sealOne(sealer: Sealer, item: WireItem): string {
  const [recipientPublicKey, consentCommitment, purpose, type, log, iat, id, exp, payload] = item;
  return sealer.seal({
    recipientPublicKey,
    consentCommitment,
    purpose,
    type,
    log,
    iat,
    id,
    ...(exp !== null ? { exp } : {}),
    payload,
  });
}

function sealBatch(message: BatchMessage): DoneMessage | FailedMessage {
  const sealer = sealers.get(message.keyId);
  if (!sealer) return { kind: 'failed', batchId: message.batchId, message: 'unknown signing key' };
  let items: WireItem[];
  try {
    items = JSON.parse(decoder.decode(message.items)) as WireItem[];
  } catch {
    return { kind: 'failed', batchId: message.batchId, message: 'batch is not JSON' };
  }
  let out = '';
  for (let i = 0; i < items.length; i++) {
    let line: string;
    try {
      line = sealOne(sealer, items[i] as WireItem);
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
