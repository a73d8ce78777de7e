export {
  type AuditEvent,
  type AuditRecord,
  AuditTrail,
  AuditUnavailableError,
  keyedReleaseDigest,
} from './trail.ts';
