// Pending links and links as plain JSON, so a platform can keep them in its own database
// (the relay seals them at rest) and any of its instances can finish or use a link. The
// DPoP key pair travels as JWKs; it is re-imported non-extractable where it is used.
import type { JWK } from 'jose';
import type { Link, PendingLink } from './client.ts';

export interface PendingLinkJson {
  authorization_url: string;
  state: string;
  code_verifier: string;
  redirect_uri: string;
  dpop_private_jwk: JWK;
}

export interface LinkJson {
  access_token: string;
  refresh_token?: string;
  expires_at: number;
  sub: string;
  consent_id: string;
  authorization_details: unknown[];
  /** Private ES256 JWK of the DPoP key the tokens are bound to (includes the public part). */
  dpop_jwk: JWK;
}

const ES256 = { name: 'ECDSA', namedCurve: 'P-256' } as const;

async function exportPrivate(keys: CryptoKeyPair): Promise<JWK> {
  const { key_ops: _ops, ext: _ext, ...jwk } = (await crypto.subtle.exportKey('jwk', keys.privateKey)) as JWK;
  return jwk;
}

async function importPair(jwk: JWK): Promise<CryptoKeyPair> {
  const { d: _d, key_ops: _ops, ext: _ext, ...pub } = jwk;
  const privateKey = await crypto.subtle.importKey('jwk', jwk as JsonWebKey, ES256, true, ['sign']);
  const publicKey = await crypto.subtle.importKey('jwk', pub as JsonWebKey, ES256, true, ['verify']);
  return { privateKey, publicKey };
}

export async function pendingToJson(p: PendingLink): Promise<PendingLinkJson> {
  return {
    authorization_url: p.authorizationUrl.href,
    state: p.state,
    code_verifier: p.codeVerifier,
    redirect_uri: p.redirectUri,
    dpop_private_jwk: await exportPrivate(p.dpopKeys),
  };
}

export async function pendingFromJson(j: PendingLinkJson): Promise<PendingLink> {
  return {
    authorizationUrl: new URL(j.authorization_url),
    state: j.state,
    codeVerifier: j.code_verifier,
    redirectUri: j.redirect_uri,
    dpopKeys: await importPair(j.dpop_private_jwk),
  };
}

export async function linkToJson(l: Link): Promise<LinkJson> {
  return {
    access_token: l.accessToken,
    ...(l.refreshToken ? { refresh_token: l.refreshToken } : {}),
    expires_at: l.expiresAt,
    sub: l.subject,
    consent_id: l.consentId,
    authorization_details: l.authorizationDetails,
    dpop_jwk: await exportPrivate(l.dpopKeys),
  };
}

export async function linkFromJson(j: LinkJson): Promise<Link> {
  return {
    accessToken: j.access_token,
    refreshToken: j.refresh_token,
    expiresAt: j.expires_at,
    subject: j.sub,
    consentId: j.consent_id,
    authorizationDetails: j.authorization_details,
    dpopKeys: await importPair(j.dpop_jwk),
  };
}
