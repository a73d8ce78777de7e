export {
  type AuditEvent,
  type AuditRecord,
  AuditTrail,
  AuditUnavailableError,
  keyedReleaseDigest,
  LogNotCosignedError,
  type ReleasePolicy,
} from './trail.ts';
