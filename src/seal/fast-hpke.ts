// Node-only HPKE fast path: DHKEM(X25519, HKDF-SHA256) + HKDF-SHA256 + AES-128-GCM or
// ChaCha20-Poly1305 on synchronous node:crypto primitives (RFC 9180 §4, §5).
//
// Why it exists: the gateway seals every response and alert; @hpke/core goes through
// async WebCrypto with several key imports/exports per message, which costs more than the
// X25519 key agreement itself. This file is deliberately tiny, covers only what the sealer
// needs (base/psk mode sender and recipient, exporter), and is held to the library: tests
// check it against the RFC 9180 vectors and seal/open interop with @hpke/core both ways.
// The library stays the reference and is what devices use.

import {
  createCipheriv,
  createDecipheriv,
  createPrivateKey,
  createPublicKey,
  createSecretKey,
  diffieHellman,
  generateKeyPairSync,
  hash,
  type KeyObject,
  type X25519KeyPairKeyObjectOptions,
} from 'node:crypto';
import type { SuiteParams } from './suite.ts';

const HPKE_V1 = Buffer.from('HPKE-v1');
const SPKI_X25519 = Buffer.from('302a300506032b656e032100', 'hex');
const PKCS8_X25519 = Buffer.from('302e020100300506032b656e04220420', 'hex');
const EMPTY = Buffer.alloc(0);
const NN = 12; // AEAD nonce length
const NH = 32; // SHA-256 output length
const TAG = 16;

export const MODE_BASE = 0x00;
export const MODE_PSK = 0x01;
export const MODE_AUTH = 0x02;
export const MODE_AUTH_PSK = 0x03;

function i2osp(n: number, w: number): Buffer {
  const b = Buffer.alloc(w);
  for (let i = w - 1, v = n; i >= 0 && v > 0; i--, v = Math.floor(v / 256)) b[i] = v & 0xff;
  return b;
}

const KEM_SUITE_ID = Buffer.concat([Buffer.from('KEM'), i2osp(0x0020, 2)]);

const suiteIds = new Map<number, Buffer>();
function hpkeSuiteId(s: SuiteParams): Buffer {
  let id = suiteIds.get(s.aeadId);
  if (!id) {
    id = Buffer.concat([Buffer.from('HPKE'), i2osp(s.kemId, 2), i2osp(s.kdfId, 2), i2osp(s.aeadId, 2)]);
    suiteIds.set(s.aeadId, id);
  }
  return id;
}

// HMAC-SHA256 (RFC 2104) on node's one-shot crypto.hash(). Why not createHmac()/hkdfSync():
// each of those builds a KeyObject per call, ~10 µs here, and a seal needs five HMACs — more
// than the X25519 work itself. Two one-shot hashes cost a few µs. The RFC 9180 vectors (every
// key, nonce, secret and export) pin this down, and interop tests hold it to @hpke/core.
const BLOCK = 64;

// One buffer per HMAC pass (pad || message), from node's pool: no zero-filling, no concat.
// Digests come out as 'binary' (latin1) strings (one char per byte, lossless): node's hash() returns a
// string in about half the time it takes to return a Buffer.
function hmacSha256(key: Uint8Array, ...message: Uint8Array[]): Buffer {
  const k = key.length > BLOCK ? hash('sha256', key, 'buffer') : key;
  let length = BLOCK;
  for (const m of message) length += m.length;
  const inner = Buffer.allocUnsafe(length).fill(0x36, 0, BLOCK);
  const outer = Buffer.allocUnsafe(BLOCK + NH).fill(0x5c, 0, BLOCK);
  for (let i = 0; i < k.length; i++) {
    const b = k[i] ?? 0;
    inner[i] = 0x36 ^ b;
    outer[i] = 0x5c ^ b;
  }
  let offset = BLOCK;
  for (const m of message) {
    inner.set(m, offset);
    offset += m.length;
  }
  outer.write(hash('sha256', inner, 'binary'), BLOCK, 'latin1');
  return Buffer.from(hash('sha256', outer, 'binary'), 'latin1');
}

// The labels are a handful of constant strings: their bytes are made once.
const labels = new Map<string, Buffer>();
function labelBytes(label: string): Buffer {
  let bytes = labels.get(label);
  if (!bytes) {
    bytes = Buffer.from(label);
    labels.set(label, bytes);
  }
  return bytes;
}

// The constant head of each labeled input ("HPKE-v1" || suite_id || label, and I2OSP(L, 2)
// before it for an expand) is made once per suite, label and length, not per envelope.
const heads = new WeakMap<Buffer, Map<string, Buffer>>();
function labeledHead(suiteId: Buffer, label: string, length?: number): Buffer {
  let perSuite = heads.get(suiteId);
  if (!perSuite) {
    perSuite = new Map();
    heads.set(suiteId, perSuite);
  }
  const key = length === undefined ? label : `${label}:${length}`;
  let head = perSuite.get(key);
  if (!head) {
    const parts = [HPKE_V1, suiteId, labelBytes(label)];
    head = Buffer.concat(length === undefined ? parts : [i2osp(length, 2), ...parts]);
    perSuite.set(key, head);
  }
  return head;
}

// HKDF-Extract with an empty salt is HMAC keyed with HashLen zero bytes; HMAC pads short keys
// with zeros, so an empty key gives the same result.
function labeledExtract(suiteId: Buffer, salt: Uint8Array, label: string, ikm: Uint8Array): Buffer {
  return hmacSha256(salt, labeledHead(suiteId, label), ikm);
}

const BLOCK_INDEX = Array.from({ length: 256 }, (_, i) => Uint8Array.of(i));

/** `info` may come in parts (the KEM context is enc || pkR), hashed as if concatenated. */
function labeledExpand(
  suiteId: Buffer,
  prk: Uint8Array,
  label: string,
  info: Uint8Array | readonly Uint8Array[],
  length: number,
): Buffer {
  const head = labeledHead(suiteId, label, length);
  const infoParts = info instanceof Uint8Array ? [info] : info;
  // Every length the sealer asks for (keys, nonces, secrets) fits one block: one HMAC.
  if (length <= NH)
    return hmacSha256(prk, head, ...infoParts, BLOCK_INDEX[1] as Uint8Array).subarray(0, length);
  const blocks: Buffer[] = [];
  let t: Buffer = EMPTY;
  for (let i = 1; blocks.length * NH < length; i++) {
    t = hmacSha256(prk, t, head, ...infoParts, BLOCK_INDEX[i] as Uint8Array);
    blocks.push(t);
  }
  return Buffer.concat(blocks).subarray(0, length);
}

// ---------------------------------------------------------------- KEM (X25519)

export function x25519PublicKeyObject(raw: Uint8Array): KeyObject {
  return createPublicKey({ key: Buffer.concat([SPKI_X25519, raw]), format: 'der', type: 'spki' });
}

export function x25519PrivateKeyObject(raw: Uint8Array): KeyObject {
  return createPrivateKey({ key: Buffer.concat([PKCS8_X25519, raw]), format: 'der', type: 'pkcs8' });
}

// JWK export is far cheaper than SPKI DER export in node (no ASN.1 encoder round trip).
export function rawX25519PublicKey(key: KeyObject): Buffer {
  return Buffer.from(key.export({ format: 'jwk' }).x ?? '', 'base64url');
}

/** RFC 9180 §7.1.3 DeriveKeyPair (deterministic; used for test vectors). */
export function deriveKeyPair(ikm: Uint8Array): { privateKey: KeyObject; publicKey: KeyObject } {
  const dkpPrk = labeledExtract(KEM_SUITE_ID, EMPTY, 'dkp_prk', ikm);
  const sk = labeledExpand(KEM_SUITE_ID, dkpPrk, 'sk', EMPTY, 32);
  const privateKey = x25519PrivateKeyObject(sk);
  return { privateKey, publicKey: createPublicKey(privateKey) };
}

function dh(privateKey: KeyObject, publicKey: KeyObject): Buffer {
  const z = diffieHellman({ privateKey, publicKey });
  // RFC 9180 §7.1.4: an all-zero X25519 output means a low-order public key; abort.
  if (z.every((b) => b === 0)) throw new Error('X25519 produced the all-zero shared secret');
  return z;
}

/** kem_context = enc || pkRm, given as its two parts. */
function extractAndExpand(dhValue: Uint8Array, enc: Uint8Array, pkRRaw: Uint8Array): Buffer {
  const eaePrk = labeledExtract(KEM_SUITE_ID, EMPTY, 'eae_prk', dhValue);
  return labeledExpand(KEM_SUITE_ID, eaePrk, 'shared_secret', [enc, pkRRaw], 32);
}

// The ephemeral public key is asked for as a JWK: its `x` is enc in base64url (what the
// envelope carries), and no public KeyObject is made only to be exported again.
const EPHEMERAL_JWK = { publicKeyEncoding: { format: 'jwk' } } as unknown as X25519KeyPairKeyObjectOptions;

function ephemeralKeyPair(): { privateKey: KeyObject; encB64: string } {
  const pair = generateKeyPairSync('x25519', EPHEMERAL_JWK) as unknown as {
    privateKey: KeyObject;
    publicKey: { x: string };
  };
  return { privateKey: pair.privateKey, encB64: pair.publicKey.x };
}

function encap(
  pkR: KeyObject,
  pkRRaw: Uint8Array,
  ephemeral?: { privateKey: KeyObject; publicKey: KeyObject },
) {
  let privateKey: KeyObject;
  let encB64: string;
  if (ephemeral) {
    privateKey = ephemeral.privateKey;
    encB64 = rawX25519PublicKey(ephemeral.publicKey).toString('base64url');
  } else ({ privateKey, encB64 } = ephemeralKeyPair());
  const enc = Buffer.from(encB64, 'base64url');
  const sharedSecret = extractAndExpand(dh(privateKey, pkR), enc, pkRRaw);
  return { enc, encB64, sharedSecret };
}

function decap(enc: Uint8Array, skR: KeyObject, pkRRaw: Uint8Array): Buffer {
  if (enc.length !== 32) throw new Error('enc must be 32 bytes');
  return extractAndExpand(dh(skR, x25519PublicKeyObject(enc)), enc, pkRRaw);
}

// ---------------------------------------------------------------- key schedule (§5.1)

export interface KeySchedule {
  keyScheduleContext: Buffer;
  key: Buffer;
  baseNonce: Buffer;
  secret: Buffer;
  /** Computed on first use: sealing never needs it, the exporter and the vector tests do. */
  readonly exporterSecret: Buffer;
}

export interface Psk {
  psk: Uint8Array;
  pskId: Uint8Array;
}

// psk_id_hash and info_hash depend only on (suite, info, psk_id): cache them, the sealer uses
// one info string per direction so this turns two HMACs per envelope into a map lookup.
// Keyed by the info array object (the sealer passes the same constant every time), then by
// suite/mode/psk_id, so a lookup costs no hashing or hex encoding of the info bytes.
const contextCache = new WeakMap<Uint8Array, Map<string, Buffer>>();

function keyScheduleContext(suite: SuiteParams, mode: number, info: Uint8Array, pskId: Uint8Array): Buffer {
  let perInfo = contextCache.get(info);
  if (!perInfo) {
    perInfo = new Map();
    contextCache.set(info, perInfo);
  }
  const cacheKey = `${suite.aeadId}:${mode}:${pskId.length === 0 ? '' : Buffer.from(pskId).toString('hex')}`;
  let ksc = perInfo.get(cacheKey);
  if (!ksc) {
    const suiteId = hpkeSuiteId(suite);
    const pskIdHash = labeledExtract(suiteId, EMPTY, 'psk_id_hash', pskId);
    const infoHash = labeledExtract(suiteId, EMPTY, 'info_hash', info);
    ksc = Buffer.concat([Uint8Array.of(mode), pskIdHash, infoHash]);
    if (perInfo.size < 64) perInfo.set(cacheKey, ksc);
  }
  return ksc;
}

/** RFC 9180 KeySchedule<ROLE>(); mode-generic so the vectors of all four modes can check it. */
export function keySchedule(
  suite: SuiteParams,
  mode: number,
  sharedSecret: Uint8Array,
  info: Uint8Array,
  psk?: Psk,
): KeySchedule {
  const hasPsk = psk !== undefined && psk.psk.length > 0;
  if (hasPsk !== (mode === MODE_PSK || mode === MODE_AUTH_PSK))
    throw new Error('psk presence does not match mode');
  const suiteId = hpkeSuiteId(suite);
  const ksc = keyScheduleContext(suite, mode, info, psk?.pskId ?? EMPTY);
  const secret = labeledExtract(suiteId, sharedSecret, 'secret', psk?.psk ?? EMPTY);
  let exporterSecret: Buffer | undefined;
  return {
    keyScheduleContext: ksc,
    secret,
    key: labeledExpand(suiteId, secret, 'key', ksc, suite.nk),
    baseNonce: labeledExpand(suiteId, secret, 'base_nonce', ksc, NN),
    get exporterSecret(): Buffer {
      exporterSecret ??= labeledExpand(suiteId, secret, 'exp', ksc, NH);
      return exporterSecret;
    },
  };
}

// ---------------------------------------------------------------- context (§5.2, §5.3)

// Why the AEAD key is a KeyObject made once per context: Node 24's createCipheriv with a raw
// key buffer first probes it as a KeyObject and as a CryptoKey (each probe a thrown and caught
// private-field check), which made the two cipher setups of a seal cost about 4× what they cost
// with a secret KeyObject — 18 % of a whole seal in the profile. A context seals or opens at
// least two messages (bind and ct) with the same key, so the KeyObject pays for itself.
export class FastContext {
  readonly enc: Buffer;
  /** enc in base64url, as the envelope carries it. */
  readonly encB64: string;
  private readonly suite: SuiteParams;
  private readonly ks: KeySchedule;
  private readonly aeadKey: KeyObject;
  private seq = 0;

  constructor(suite: SuiteParams, enc: Buffer, ks: KeySchedule, encB64?: string) {
    this.suite = suite;
    this.enc = enc;
    this.encB64 = encB64 ?? enc.toString('base64url');
    this.ks = ks;
    this.aeadKey = createSecretKey(ks.key);
  }

  private nextNonce(): Buffer {
    // base_nonce XOR I2OSP(seq, Nn): seq is XORed into the last bytes, big-endian. Sequence
    // numbers here never approach 2^53; the RFC's 2^96 limit is therefore moot.
    const nonce = Buffer.from(this.ks.baseNonce);
    for (let i = NN - 1, v = this.seq++; v > 0; i--, v = Math.floor(v / 256))
      nonce[i] = (nonce[i] ?? 0) ^ (v & 0xff);
    return nonce;
  }

  private cipher(nonce: Buffer) {
    const opts = { authTagLength: TAG };
    return this.suite.aeadId === 0x0001
      ? createCipheriv('aes-128-gcm', this.aeadKey, nonce, opts)
      : createCipheriv('chacha20-poly1305', this.aeadKey, nonce, opts);
  }

  private decipher(nonce: Buffer) {
    const opts = { authTagLength: TAG };
    return this.suite.aeadId === 0x0001
      ? createDecipheriv('aes-128-gcm', this.aeadKey, nonce, opts)
      : createDecipheriv('chacha20-poly1305', this.aeadKey, nonce, opts);
  }

  seal(plaintext: Uint8Array, aad: Uint8Array): Buffer {
    const c = this.cipher(this.nextNonce());
    c.setAAD(aad);
    return Buffer.concat([c.update(plaintext), c.final(), c.getAuthTag()]);
  }

  /** Throws on authentication failure; the sequence number advances only on success (as in the RFC). */
  open(ciphertext: Uint8Array, aad: Uint8Array): Buffer {
    if (ciphertext.length < TAG) throw new Error('ciphertext shorter than the tag');
    const nonce = this.nextNonce();
    try {
      const d = this.decipher(nonce);
      d.setAAD(aad);
      d.setAuthTag(ciphertext.subarray(ciphertext.length - TAG));
      return Buffer.concat([d.update(ciphertext.subarray(0, ciphertext.length - TAG)), d.final()]);
    } catch (e) {
      this.seq--;
      throw e;
    }
  }

  export(exporterContext: Uint8Array, length: number): Buffer {
    return labeledExpand(hpkeSuiteId(this.suite), this.ks.exporterSecret, 'sec', exporterContext, length);
  }
}

export interface FastSenderParams {
  suite: SuiteParams;
  /** Recipient public key as a KeyObject plus its raw bytes (callers cache both per device). */
  recipient: { key: KeyObject; raw: Uint8Array };
  info: Uint8Array;
  psk?: Psk;
  /** Test vectors only: the ephemeral key pair (from deriveKeyPair(ikmE)). */
  ephemeral?: { privateKey: KeyObject; publicKey: KeyObject };
}

/** SetupBaseS / SetupPSKS. */
export function setupSender(p: FastSenderParams): FastContext {
  const { enc, encB64, sharedSecret } = encap(p.recipient.key, p.recipient.raw, p.ephemeral);
  const mode = p.psk ? MODE_PSK : MODE_BASE;
  return new FastContext(p.suite, enc, keySchedule(p.suite, mode, sharedSecret, p.info, p.psk), encB64);
}

/** SetupBaseR / SetupPSKR. */
export function setupRecipient(p: {
  suite: SuiteParams;
  enc: Uint8Array;
  recipient: { privateKey: KeyObject; publicRaw: Uint8Array };
  info: Uint8Array;
  psk?: Psk;
}): FastContext {
  const sharedSecret = decap(p.enc, p.recipient.privateKey, p.recipient.publicRaw);
  const mode = p.psk ? MODE_PSK : MODE_BASE;
  return new FastContext(
    p.suite,
    Buffer.from(p.enc),
    keySchedule(p.suite, mode, sharedSecret, p.info, p.psk),
  );
}
