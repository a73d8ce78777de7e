// Public API of the transparency-log context. Other contexts import only from here.

export type { AppendCompanion } from './appender.ts';
export { type LogEntryChecker, logEntryChecker } from './browser-check.ts';
export { type Checkpoint, EmptyTreeRootError, formatCheckpoint, parseCheckpoint } from './checkpoint.ts';
export type { Cosigning, StoredCheckpoint } from './checkpointer.ts';
export { type CheckpointPolicy, type OpenedCheckpoint, openCheckpoint } from './cosigned.ts';
export { FormatError, LogCorruptionError, NotFoundError, ProofError, SignatureError } from './errors.ts';
export { FAULT_POINTS, type FaultPoint, faultPoint } from './fault.ts';
export { FsckError, type FsckOptions, fsckLog } from './fsck.ts';
export { logPathPrefix, type TranslogRoutesOptions, translogRoutes } from './http.ts';
export {
  ed25519Signer,
  formatVerifierKey,
  type NoteSigner,
  noteVerifier,
  parsePrivateKey,
  parseVerifierKey,
  SIG_COSIGNATURE_V1,
  SIG_ED25519,
  signerFromPrivateKey,
} from './keys.ts';
export { createLog, type LogHealth, type LogOptions, type TransparencyLog } from './log.ts';
export { EMPTY_ROOT, hashLeaf, verifyConsistency, verifyInclusion } from './merkle.ts';
export { formatNote, type Note, type NoteSignature, type NoteVerifier, openNote, parseNote } from './note.ts';
export { consistencyProof, inclusionProof, type NodeReader, treeRoot } from './proof.ts';
export { cosignText, signNote } from './sign.ts';
export {
  auditLogFromTiles,
  proveConsistencyFromTiles,
  proveInclusionFromTiles,
  readEntries,
  type TileFetcher,
  tileNodeReader,
} from './tile-client.ts';
export { MAX_ENTRY_SIZE, parseTilePath, type TileId, tilePath } from './tiles.ts';
export {
  type FullCheckOptions,
  type FullCheckReport,
  httpTileFetcher,
  type VerifyOptions,
  type VerifyReport,
  verifyLog,
} from './verify.ts';
export {
  type AddCheckpointResult,
  createWitness,
  type Witness,
  type WitnessedLog,
  type WitnessOptions,
} from './witness.ts';
export {
  fetchTransport,
  type WitnessCosigningOptions,
  type WitnessEndpoint,
  type WitnessTransport,
  witnessCosigning,
} from './witness-client.ts';
export { type WitnessRoutesOptions, witnessRoutes } from './witness-http.ts';
