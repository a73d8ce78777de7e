// Gateway side: seal a payload to a device key and sign the result as the bank.
// Node-only. `seal` runs on the fast path (fast-hpke.ts + node:crypto signing, synchronous);
// `sealWithLibrary` runs the same format through @hpke/core + jose (the reference path, used
// by tests and as the benchmark baseline). Both produce envelopes any device opens.

import { createHash, KeyObject, randomUUID, sign } from 'node:crypto';
import { CompactSign } from 'jose';
import { encodeBody, payloadBytes } from './body.ts';
import { toBase64Url, utf8 } from './encoding.ts';
import { setupSender, x25519PublicKeyObject } from './fast-hpke.ts';
import { ENVELOPE_VERSION, type EnvelopeHeader, headerAad } from './header.ts';
import { importX25519PublicKey, type PublicKeyInput, rawPublicKey, thumbprintInput } from './keys.ts';
import { ENVELOPE_JWS_TYP } from './open-envelope.ts';
import { DEFAULT_SUITE, INFO_ENVELOPE, librarySuite, SUITES, type SuiteName } from './suite.ts';

export interface BankSigningKey {
  /** Private key: a node KeyObject or a WebCrypto CryptoKey (Ed25519 or P-256). */
  key: KeyObject | CryptoKey;
  /** Key id as published in the bank's JWKS. */
  kid: string;
  alg: 'EdDSA' | 'ES256';
}

export interface SealerOptions {
  signingKey: BankSigningKey;
  bankId: string;
  suite?: SuiteName;
  /** Milliseconds since the epoch; injectable for tests. */
  clock?: () => number;
}

export interface SealInput {
  recipientPublicKey: PublicKeyInput;
  consentCommitment: string;
  purpose: string;
  type: string;
  /** Transparency-log index of the entry that records this release. */
  log: number;
  id?: string;
  /** Issued-at override, seconds (defaults to the clock). */
  iat?: number;
  exp?: number;
  payload: unknown;
}

export interface Sealer {
  readonly bankId: string;
  /** Fast path: synchronous, node:crypto only. */
  seal(input: SealInput): string;
  /** Reference path: @hpke/core (WebCrypto) + jose. Same format. */
  sealWithLibrary(input: SealInput): Promise<string>;
  /**
   * For callers that seal many envelopes at once (the outbox): may wait a moment to be sealed
   * with others on a sealing pool's worker threads (pooled-sealer.ts). This sealer has no
   * pool: it seals at once, in this thread.
   */
  sealSoon(input: SealInput): Promise<string>;
}

/** A SealInput without its payload. */
export type SealFields = Omit<SealInput, 'payload'>;

/** What the sealing pool's workers use: the payload arrives as the JSON text the caller made. */
export interface JsonSealer extends Sealer {
  sealJson(input: SealFields, payloadJson: string): string;
}

interface Recipient {
  key: KeyObject;
  raw: Uint8Array;
  thumbprint: string;
}

// Devices receive many envelopes; parsing the SPKI and hashing the thumbprint once per device
// key instead of once per envelope is a measurable share of the sealing cost.
const RECIPIENT_CACHE_LIMIT = 10_000;

export function createSealer(options: SealerOptions): JsonSealer {
  const suiteName = options.suite ?? DEFAULT_SUITE;
  const suite = SUITES[suiteName];
  const clock = options.clock ?? Date.now;
  const signingKey =
    options.signingKey.key instanceof KeyObject
      ? options.signingKey.key
      : KeyObject.from(options.signingKey.key);
  const { alg, kid } = options.signingKey;
  const protectedB64 = toBase64Url(utf8(JSON.stringify({ alg, kid, typ: ENVELOPE_JWS_TYP })));
  const recipients = new Map<string, Recipient>();

  function recipient(input: PublicKeyInput): Recipient {
    // Consents hold device keys as base64url text: look the text up before decoding it (a
    // string is cached only once it has decoded as a valid key).
    if (typeof input === 'string') {
      const known = recipients.get(input);
      if (known) return known;
    }
    const raw = rawPublicKey(input);
    const cacheKey = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('latin1');
    let r = recipients.get(cacheKey);
    if (!r) {
      const thumbprint = createHash('sha256').update(thumbprintInput(raw)).digest('base64url');
      r = { key: x25519PublicKeyObject(raw), raw, thumbprint };
      if (recipients.size >= RECIPIENT_CACHE_LIMIT) recipients.clear();
      recipients.set(cacheKey, r);
    }
    // Latin1 keys of 32 raw bytes are 32 characters; base64url text of them is 43: no clash.
    if (typeof input === 'string') recipients.set(input, r);
    return r;
  }

  function header(input: SealFields, rcpt: string): EnvelopeHeader {
    const h: EnvelopeHeader = {
      v: ENVELOPE_VERSION,
      bank: options.bankId,
      consent: input.consentCommitment,
      purpose: input.purpose,
      type: input.type,
      log: input.log,
      iat: input.iat ?? Math.floor(clock() / 1000),
      id: input.id ?? randomUUID(),
      rcpt,
    };
    if (input.exp !== undefined) h.exp = input.exp;
    return h;
  }

  function signCompact(bodyJson: string): string {
    const signingInput = `${protectedB64}.${Buffer.from(bodyJson).toString('base64url')}`;
    const data = Buffer.from(signingInput, 'latin1'); // base64url and a dot: ASCII
    const signature =
      alg === 'EdDSA'
        ? sign(null, data, signingKey)
        : sign('sha256', data, { key: signingKey, dsaEncoding: 'ieee-p1363' });
    return `${signingInput}.${signature.toString('base64url')}`;
  }

  /** The payload as its JSON text (from the pool) or as a value, serialised after the header is checked. */
  function sealEnvelope(input: SealFields, payloadJson: string | undefined, payload: unknown): string {
    const r = recipient(input.recipientPublicKey);
    const hdr = header(input, r.thumbprint);
    const aad = headerAad(hdr);
    const ctx = setupSender({ suite, recipient: r, info: INFO_ENVELOPE });
    const bind = ctx.seal(new Uint8Array(0), aad);
    const ct = ctx.seal(payloadJson !== undefined ? utf8(payloadJson) : payloadBytes(payload), aad);
    return signCompact(
      encodeBody({
        v: ENVELOPE_VERSION,
        suite: suiteName,
        hdr,
        enc: ctx.encB64,
        bind: bind.toString('base64url'),
        ct: ct.toString('base64url'),
      }),
    );
  }

  const sealer: JsonSealer = {
    bankId: options.bankId,

    sealSoon(input) {
      try {
        return Promise.resolve(sealer.seal(input));
      } catch (error) {
        return Promise.reject(error);
      }
    },

    seal(input) {
      return sealEnvelope(input, undefined, input.payload);
    },

    sealJson(input, payloadJson) {
      return sealEnvelope(input, payloadJson, undefined);
    },

    async sealWithLibrary(input) {
      const r = recipient(input.recipientPublicKey);
      const hdr = header(input, r.thumbprint);
      const aad = headerAad(hdr).slice().buffer;
      const sender = await librarySuite(suiteName).createSenderContext({
        recipientPublicKey: await importX25519PublicKey(r.raw),
        info: INFO_ENVELOPE.slice().buffer,
      });
      const bind = new Uint8Array(await sender.seal(new ArrayBuffer(0), aad));
      const ct = new Uint8Array(await sender.seal(payloadBytes(input.payload).slice().buffer, aad));
      const body = encodeBody({
        v: ENVELOPE_VERSION,
        suite: suiteName,
        hdr,
        enc: toBase64Url(new Uint8Array(sender.enc)),
        bind: toBase64Url(bind),
        ct: toBase64Url(ct),
      });
      return new CompactSign(utf8(body))
        .setProtectedHeader({ alg, kid, typ: ENVELOPE_JWS_TYP })
        .sign(signingKey);
    },
  };
  return sealer;
}
