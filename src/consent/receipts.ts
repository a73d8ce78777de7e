// Consent receipts: a JWS signed with the bank's Ed25519 key (verifiable against the bank's
// JWKS). The customer's copy lists the accounts (masked numbers); the platform's copy has no
// account identifiers and names the customer only by the platform's pairwise subject.
import { decodeJwt, decodeProtectedHeader, SignJWT } from 'jose';
import type { KeyStore } from '../keys/index.ts';
import { deviceKeyFingerprint } from './rar.ts';
import type { ConsentRecord } from './store.ts';

export const RECEIPT_TYP = 'proviso-consent-receipt+jwt';

export interface ReceiptParty {
  issuer: string;
  bankName: string;
  platformName: string;
}

function common(c: ConsentRecord, p: ReceiptParty): Record<string, unknown> {
  return {
    consent_id: c.id,
    status: c.status,
    data_provider: p.bankName,
    recipient: { client_id: c.clientId, name: p.platformName },
    purposes: c.purposes,
    clusters: c.clusters,
    duration_days: c.durationDays,
    authorised_at: c.authorisedAt ? Math.floor(c.authorisedAt.getTime() / 1000) : null,
    expires_at: c.expiresAt ? Math.floor(c.expiresAt.getTime() / 1000) : null,
    revoked_at: c.revokedAt ? Math.floor(c.revokedAt.getTime() / 1000) : null,
    device_key_fingerprint: deviceKeyFingerprint(c.deviceKey),
    never_used_for: ['advertising', 'marketing', 'profiling', 'resale', 'credit_decisioning'],
  };
}

async function sign(
  keyStore: KeyStore,
  bankId: string,
  issuer: string,
  audience: string,
  claims: Record<string, unknown>,
): Promise<string> {
  const key = await keyStore.active(bankId, 'sign', 'EdDSA');
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'EdDSA', kid: key.kid, typ: RECEIPT_TYP })
    .setIssuer(issuer)
    .setAudience(audience)
    .setIssuedAt()
    .sign(key.privateKey);
}

export function customerReceipt(
  keyStore: KeyStore,
  c: ConsentRecord,
  p: ReceiptParty,
  accounts: { id: string; label: string }[],
): Promise<string> {
  return sign(keyStore, c.bankId, p.issuer, 'customer', { ...common(c, p), accounts });
}

export function platformReceipt(
  keyStore: KeyStore,
  c: ConsentRecord,
  p: ReceiptParty,
  pairwiseSub: string,
): Promise<string> {
  return sign(keyStore, c.bankId, p.issuer, c.clientId, {
    ...common(c, p),
    sub: pairwiseSub,
    account_count: c.accountIds.length,
  });
}

/** The receipt as signed, for the readable page: the claims and who signed them with which key. */
export interface ReadableReceipt {
  consentId: string;
  status: string;
  dataProvider: string;
  recipient: { clientId: string; name: string };
  purposes: string[];
  clusters: string[];
  durationDays: number;
  authorisedAt: Date | null;
  expiresAt: Date | null;
  revokedAt: Date | null;
  deviceKeyFingerprint: string;
  neverUsedFor: string[];
  accounts: { id: string; label: string }[];
  issuer: string;
  issuedAt: Date;
  keyId: string;
  algorithm: string;
  type: string;
}

const fromSeconds = (v: unknown): Date | null => (typeof v === 'number' ? new Date(v * 1000) : null);
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : []);

/**
 * Reads back a receipt this module signed (the page shows exactly what the JWS says). It does
 * not verify the signature: the page is rendered from the JWS the bank has just signed; anyone
 * holding the download verifies it against the bank's JWKS.
 */
export function readReceipt(jws: string): ReadableReceipt {
  const header = decodeProtectedHeader(jws);
  const c = decodeJwt(jws) as Record<string, unknown>;
  const recipient = (c['recipient'] ?? {}) as { client_id?: unknown; name?: unknown };
  const accounts = Array.isArray(c['accounts']) ? (c['accounts'] as { id?: unknown; label?: unknown }[]) : [];
  return {
    consentId: String(c['consent_id'] ?? ''),
    status: String(c['status'] ?? ''),
    dataProvider: String(c['data_provider'] ?? ''),
    recipient: { clientId: String(recipient.client_id ?? ''), name: String(recipient.name ?? '') },
    purposes: strings(c['purposes']),
    clusters: strings(c['clusters']),
    durationDays: Number(c['duration_days'] ?? 0),
    authorisedAt: fromSeconds(c['authorised_at']),
    expiresAt: fromSeconds(c['expires_at']),
    revokedAt: fromSeconds(c['revoked_at']),
    deviceKeyFingerprint: String(c['device_key_fingerprint'] ?? ''),
    neverUsedFor: strings(c['never_used_for']),
    accounts: accounts.map((a) => ({ id: String(a.id ?? ''), label: String(a.label ?? '') })),
    issuer: String(c['iss'] ?? ''),
    issuedAt: fromSeconds(c['iat']) ?? new Date(0),
    keyId: String(header.kid ?? ''),
    algorithm: String(header.alg ?? ''),
    type: String(header.typ ?? ''),
  };
}
