// Browser entry of the sealed-envelope context (the device: web chat client, later apps).
// Imports only WebCrypto, jose and @hpke/core (+ @hpke/chacha20poly1305, pure JS): nothing
// Node-specific, so web/ (Vite) can bundle it. Node code (sealer, fast path, openReply) lives
// in index.ts.

export { type DeviceKey, type DeviceKeystore, openDeviceKeystore } from './device-keystore.ts';
export { fromBase64Url, toBase64Url } from './encoding.ts';
export { EnvelopeError, type EnvelopeErrorCode, isEnvelopeError } from './errors.ts';
export { ENVELOPE_VERSION, type EnvelopeHeader, headerAad, parseHeader } from './header.ts';
export {
  exportX25519PublicKey,
  generateHpkeKeyPair,
  importX25519PublicKey,
  keyFingerprint,
  keyThumbprint,
  type PublicKeyInput,
  publicJwk,
  rawPublicKey,
  type X25519PublicJwk,
} from './keys.ts';
export { DEFAULT_MAX_AGE_SECONDS, type Expectations, type Freshness } from './open-common.ts';
export {
  type BankKeyResolver,
  type DeviceKeyInput,
  ENVELOPE_JWS_ALGS,
  ENVELOPE_JWS_TYP,
  type JsonWebKeySet,
  type OpenEnvelopeOptions,
  type OpenedEnvelope,
  openEnvelope,
} from './open-envelope.ts';
export { type SealReplyInput, sealReply } from './seal-reply.ts';
export { DEFAULT_SUITE, SUITES, type SuiteName } from './suite.ts';
