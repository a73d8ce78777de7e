// A bank's sealer that can use the sealing pool (pool.ts). `seal` stays in this thread (a
// lone envelope: the bot's answer, a receipt). `sealSoon` gathers the envelopes asked for in
// the same turn of the event loop (the outbox delivers its messages concurrently) and seals
// them as batches on the pool's worker threads — or here, when there are too few for a
// round trip to a worker to pay (`inThreadBelow`, measured by `npm run bench -- seal`).
// Same createSealer in every thread: the same envelope format, byte for byte; the id and
// issued-at are decided here, before the batch leaves.

import { KeyObject, randomUUID } from 'node:crypto';
import type { PublicKeyInput } from './keys.ts';
import { type SealingPool, SealingPoolError } from './pool.ts';
import type { WireFields, WireItem } from './pool-wire.ts';
import { createSealer, type Sealer, type SealerOptions, type SealInput } from './sealer.ts';
import { DEFAULT_SUITE } from './suite.ts';

export interface PooledSealerOptions extends SealerOptions {
  pool: SealingPool;
  /**
   * Fewer envelopes than this in one turn are sealed in this thread (default 2: a lone
   * envelope's round trip through the pool took ~145 µs against ~106 µs here, with no second
   * core's work to gain; from two up the batch spreads over the workers and this thread is
   * spared ~115 µs per envelope for ~5 µs; docs/performance.md).
   */
  inThreadBelow?: number;
  /** Most envelopes in one message to a worker (default 256). */
  maxBatch?: number;
}

interface Pending {
  input: SealInput;
  resolve(envelope: string): void;
  reject(error: unknown): void;
}

function wireRecipient(key: PublicKeyInput): WireFields[0] {
  if (typeof key === 'string') return key;
  if (key instanceof Uint8Array)
    return Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('base64url');
  // The worker checks the key; what is checked here keeps a malformed one from failing the batch's text.
  if (typeof key.x !== 'string') throw new TypeError('not an X25519 public JWK');
  return { kty: key.kty, crv: key.crv, x: key.x };
}

export function createPooledSealer(options: PooledSealerOptions): Sealer {
  const { pool } = options;
  const clock = options.clock ?? Date.now;
  const local = createSealer(options);
  const inThreadBelow = options.inThreadBelow ?? 2;
  const maxBatch = options.maxBatch ?? 256;
  // A CryptoKey becomes a KeyObject here, so what is cloned into the workers is a KeyObject.
  const key =
    options.signingKey.key instanceof KeyObject
      ? options.signingKey.key
      : KeyObject.from(options.signingKey.key);
  const keyId = pool.register(options.bankId, { ...options.signingKey, key }, options.suite ?? DEFAULT_SUITE);
  let pending: Pending[] = [];

  function inThread(list: readonly Pending[]): void {
    for (const p of list) {
      try {
        p.resolve(local.seal(p.input));
      } catch (error) {
        p.reject(error);
      }
    }
  }

  function wireItem(input: SealInput): WireItem {
    const payloadJson = JSON.stringify(input.payload);
    if (payloadJson === undefined) throw new TypeError('payload must be JSON-serialisable');
    return {
      fields: [
        wireRecipient(input.recipientPublicKey),
        input.consentCommitment,
        input.purpose,
        input.type,
        input.log,
        input.iat ?? Math.floor(clock() / 1000),
        input.id ?? randomUUID(),
        input.exp ?? null,
      ],
      payloadJson,
    };
  }

  function onPool(list: readonly Pending[]): void {
    const items: WireItem[] = [];
    const owners: Pending[] = [];
    for (const p of list) {
      try {
        items.push(wireItem(p.input));
        owners.push(p);
      } catch (error) {
        p.reject(error);
      }
    }
    if (items.length === 0) return;
    pool.run(keyId, items).then(
      (results) => {
        for (let i = 0; i < owners.length; i++) {
          const result = results[i];
          const owner = owners[i] as Pending;
          if (typeof result === 'string') owner.resolve(result);
          else owner.reject(result ?? new SealingPoolError('no result for this envelope'));
        }
      },
      (error: unknown) => {
        for (const owner of owners) owner.reject(error);
      },
    );
  }

  function flush(): void {
    const list = pending;
    pending = [];
    if (list.length < inThreadBelow || pool.closed) {
      inThread(list);
      return;
    }
    // As many batches as there are workers (each at most maxBatch), equal in size.
    const batches = Math.max(Math.min(pool.threads, list.length), Math.ceil(list.length / maxBatch));
    const size = Math.ceil(list.length / batches);
    for (let start = 0; start < list.length; start += size) onPool(list.slice(start, start + size));
  }

  return {
    bankId: options.bankId,
    seal: local.seal,
    sealWithLibrary: local.sealWithLibrary,
    sealSoon(input) {
      return new Promise<string>((resolve, reject) => {
        if (pending.length === 0) setImmediate(flush);
        pending.push({ input, resolve, reject });
      });
    },
  };
}
