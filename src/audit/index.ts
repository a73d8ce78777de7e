export {
  buildEntry,
  commit,
  ENTRY_KINDS,
  ENTRY_VERSION,
  type EntryFields,
  type EntryKind,
  encodeEntry,
  entryConcerns,
  type LogEntry,
  newCommitmentKey,
  parseEntry,
  releasedDigest,
} from './entry.ts';
export {
  type AuditEvent,
  type AuditRecord,
  AuditTrail,
  AuditUnavailableError,
  keyedReleaseDigest,
  LogNotCosignedError,
  type ReleasePolicy,
} from './trail.ts';
