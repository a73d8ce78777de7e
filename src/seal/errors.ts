// Every way an envelope or reply can be refused has a stable code (for programs and tests)
// and a sentence (for the person looking at the chat: "why didn't this message open?").

export type EnvelopeErrorCode =
  | 'malformed' // not a well-formed envelope/reply: bad JWS, JSON, field types, non-canonical header
  | 'unsupported_version' // envelope version, JWS typ/alg or HPKE suite this code does not speak
  | 'unknown_key' // the bank's signing key id is not in the bank's JWKS
  | 'bad_signature' // the bank's signature does not verify: something was changed in transit
  | 'wrong_bank' // signed and sealed, but for another bank id than the one expected
  | 'wrong_consent' // sealed under another consent than the one this conversation is bound to
  | 'wrong_purpose' // sealed for another purpose (e.g. a balance replayed as an alert)
  | 'wrong_type' // another message type than expected
  | 'wrong_recipient' // sealed to a device key this device does not hold (or the reply's sender is unknown)
  | 'wrong_message' // a reply that answers another message than the one expected
  | 'expired' // older than maxAge, past its exp, or dated in the future
  | 'aad_mismatch' // the header presented is not the header the ciphertext was sealed with
  | 'decrypt_failed'; // the header matches but the ciphertext body does not authenticate

export class EnvelopeError extends Error {
  readonly code: EnvelopeErrorCode;
  /** Human-readable reason, safe to show: never contains plaintext or key material. */
  readonly reason: string;

  constructor(code: EnvelopeErrorCode, reason: string, options?: { cause?: unknown }) {
    super(`${code}: ${reason}`, options);
    this.name = 'EnvelopeError';
    this.code = code;
    this.reason = reason;
  }
}

export function isEnvelopeError(e: unknown, code?: EnvelopeErrorCode): e is EnvelopeError {
  return e instanceof EnvelopeError && (code === undefined || e.code === code);
}
