// Precise error types so callers (HTTP routes, the witness, the verifier) can map each
// failure to the right status or report line without parsing messages.

/** Bytes that do not follow a format (note, checkpoint, tile path, entry, request body). */
export class FormatError extends Error {
  override name = 'FormatError';
}

/** A Merkle proof that does not verify, or proof parameters that make no sense. */
export class ProofError extends Error {
  override name = 'ProofError';
}

/** A signed note whose signatures do not satisfy the verifier (unknown key, bad signature, no quorum). */
export class SignatureError extends Error {
  override name = 'SignatureError';
}

/** Stored log state that contradicts itself (a tile of the wrong width, a missing node). */
export class LogCorruptionError extends Error {
  override name = 'LogCorruptionError';
}

/** A requested index, size or tile that the log does not (yet) have. */
export class NotFoundError extends Error {
  override name = 'NotFoundError';
}
