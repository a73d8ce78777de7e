// Consent receipts: a JWS signed with the bank's Ed25519 key (verifiable against the bank's
// JWKS). The customer's copy lists the accounts (masked numbers); the platform's copy has no
// account identifiers and names the customer only by the platform's pairwise subject.
import { SignJWT } from 'jose';
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
