// Log entry format, version 1: canonical JSON (keys sorted, no whitespace, every field
// present, null when not applicable), UTF-8, at most 65535 bytes. It carries no personal
// data in the clear: the customer's pairwise id and the consent id appear only as keyed
// commitments (HMAC-SHA256 under a commitment key that the bank and the customer's device
// share), so only key holders can find "their" entries. The log never reads entries: this
// format belongs to the audit side (docs/translog.md).
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { FormatError, MAX_ENTRY_SIZE } from '../translog/index.ts';

export const ENTRY_VERSION = 1;

export const ENTRY_KINDS = [
  'consent.requested',
  'consent.authorised',
  'consent.rejected',
  'consent.revoked',
  'consent.expired',
  'consent.reauthorised',
  'data.access',
  'alert.raised',
  'alert.reply',
  // The bank's fraud team on an alert (investigator view): decided fraud, genuine, or contact tried.
  'alert.confirmed',
  'alert.cleared',
  'alert.contact',
  'card.action',
  'payment.funds-check',
  'payment.initiated',
  'payment.authorised',
  'payment.rejected',
  // Checkout (issue #12): the payment booked, a refund booked, the sealed receipt sent.
  'payment.executed',
  'payment.refunded',
  'payment.receipt',
] as const;
export type EntryKind = (typeof ENTRY_KINDS)[number];

/** What a caller supplies; commitments are computed here from the ids and the key. */
export interface EntryFields {
  readonly bank: string;
  /** OAuth client id of the platform (data recipient). */
  readonly platform: string;
  readonly kind: EntryKind;
  readonly purpose: string | null;
  readonly clusters: readonly string[];
  readonly time: Date;
  /** Exact bytes released (the sealed envelope, never plaintext); null when nothing was released. */
  readonly released: Uint8Array | null;
  /** Commitment key shared by bank and device (32 bytes). */
  readonly commitmentKey: Uint8Array;
  readonly pairwiseId: string;
  readonly consentId: string | null;
}

/** The decoded entry as it appears in the log. */
export interface LogEntry {
  readonly v: 1;
  readonly bank: string;
  readonly platform: string;
  readonly kind: EntryKind;
  readonly purpose: string | null;
  readonly clusters: readonly string[];
  /** RFC 3339 UTC with milliseconds. */
  readonly time: string;
  /** base64url SHA-256 of the released bytes, or null. */
  readonly digest: string | null;
  /** base64url HMAC commitment to the pairwise subject id. */
  readonly subject: string;
  /** base64url HMAC commitment to the consent id, or null. */
  readonly consent: string | null;
}

const KEYS = [
  'bank',
  'clusters',
  'consent',
  'digest',
  'kind',
  'platform',
  'purpose',
  'subject',
  'time',
  'v',
] as const;
// Ids, purposes and cluster names: no spaces or quotes, so entries stay short and unambiguous.
const TOKEN = /^[A-Za-z0-9][\w.:-]{0,127}$/;
const B64URL_32 = /^[A-Za-z0-9_-]{43}$/;
const TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

export function newCommitmentKey(): Uint8Array {
  return new Uint8Array(randomBytes(32));
}

/** Keyed commitment; the label separates domains so a subject commitment never equals a consent one. */
export function commit(key: Uint8Array, label: 'subject' | 'consent', value: string): string {
  if (key.length < 32) throw new FormatError('commitment key must be at least 32 bytes');
  return createHmac('sha256', key).update(`proviso-commit/v1\0${label}\0${value}`).digest('base64url');
}

export function releasedDigest(released: Uint8Array): string {
  return createHash('sha256').update(released).digest('base64url');
}

export function buildEntry(f: EntryFields): LogEntry {
  return {
    v: ENTRY_VERSION,
    bank: f.bank,
    platform: f.platform,
    kind: f.kind,
    purpose: f.purpose,
    clusters: [...new Set(f.clusters)].sort(),
    time: f.time.toISOString(),
    digest: f.released ? releasedDigest(f.released) : null,
    subject: commit(f.commitmentKey, 'subject', f.pairwiseId),
    consent: f.consentId === null ? null : commit(f.commitmentKey, 'consent', f.consentId),
  };
}

function validate(e: LogEntry): void {
  const fail = (what: string) => {
    throw new FormatError(`entry ${what}`);
  };
  if (e.v !== ENTRY_VERSION) fail('version is not 1');
  if (!TOKEN.test(e.bank)) fail('bank is invalid');
  if (!TOKEN.test(e.platform)) fail('platform is invalid');
  if (!(ENTRY_KINDS as readonly string[]).includes(e.kind)) fail('kind is unknown');
  if (e.purpose !== null && (typeof e.purpose !== 'string' || !TOKEN.test(e.purpose)))
    fail('purpose is invalid');
  if (!Array.isArray(e.clusters) || !e.clusters.every((c) => typeof c === 'string' && TOKEN.test(c))) {
    fail('clusters are invalid');
  }
  const sorted = [...new Set(e.clusters)].sort();
  if (sorted.join('\n') !== e.clusters.join('\n')) fail('clusters are not sorted and unique');
  if (typeof e.time !== 'string' || !TIME.test(e.time) || new Date(e.time).toISOString() !== e.time)
    fail('time is invalid');
  if (e.digest !== null && (typeof e.digest !== 'string' || !B64URL_32.test(e.digest)))
    fail('digest is invalid');
  if (typeof e.subject !== 'string' || !B64URL_32.test(e.subject)) fail('subject commitment is invalid');
  if (e.consent !== null && (typeof e.consent !== 'string' || !B64URL_32.test(e.consent))) {
    fail('consent commitment is invalid');
  }
}

/** Canonical bytes: keys in sorted order, no whitespace. */
export function encodeEntry(e: LogEntry): Uint8Array {
  validate(e);
  const ordered = Object.fromEntries(KEYS.map((k) => [k, e[k]]));
  const bytes = new TextEncoder().encode(JSON.stringify(ordered));
  if (bytes.length > MAX_ENTRY_SIZE) throw new FormatError('entry is larger than 65535 bytes');
  return bytes;
}

/** Strict parse: only the canonical encoding of a valid v1 entry is accepted. */
export function parseEntry(bytes: Uint8Array): LogEntry {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    throw new FormatError('entry is not UTF-8 JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new FormatError('entry is not an object');
  const keys = Object.keys(value).sort();
  if (keys.join(',') !== [...KEYS].join(','))
    throw new FormatError('entry fields are not exactly the v1 fields');
  const entry = value as LogEntry;
  const canonical = encodeEntry(entry);
  if (Buffer.compare(canonical, bytes) !== 0) throw new FormatError('entry is not canonically encoded');
  return entry;
}

/** True when the entry's subject (and consent, when given) commitments open to these ids under the key. */
export function entryConcerns(e: LogEntry, key: Uint8Array, pairwiseId: string, consentId?: string): boolean {
  const eq = (a: string, b: string) =>
    a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));
  if (!eq(e.subject, commit(key, 'subject', pairwiseId))) return false;
  return consentId === undefined || (e.consent !== null && eq(e.consent, commit(key, 'consent', consentId)));
}
