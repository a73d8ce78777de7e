// Platforms (OAuth clients) registered with the banks. Static registration: each platform
// is a confidential client authenticating with private_key_jwt; the bank holds only its
// public keys.
import type { JWK } from 'jose';
import { PAYMENT_INITIATION_TYPE } from './payment-rar.ts';
import { ACCOUNT_ACCESS_TYPE } from './rar.ts';

export interface PlatformRegistration {
  clientId: string;
  /** Trading name shown to customers on consent and dashboard screens. */
  tradingName: string;
  redirectUris: string[];
  /** Public signing keys of the platform (private_key_jwt, ES256). */
  jwks: { keys: JWK[] };
  /**
   * https URL naming the platform's pairwise sector. Default: the host of the first redirect
   * URI (so adding redirect URIs on other hosts never changes the customer's pseudonyms).
   */
  sectorIdentifierUri?: string;
}

/** The sector URI: given, or one on the first redirect URI's host when the redirect hosts differ. */
function sectorIdentifierUri(p: PlatformRegistration): string | undefined {
  if (p.sectorIdentifierUri) return p.sectorIdentifierUri;
  const hosts = new Set(p.redirectUris.map((u) => new URL(u).host));
  if (hosts.size <= 1) return undefined;
  return `https://${new URL(p.redirectUris[0]!).host}/.well-known/proviso-sector`;
}

/** oidc-provider client metadata for a platform, FAPI 2.0 settings included. */
export function clientMetadata(p: PlatformRegistration): Record<string, unknown> {
  return {
    client_id: p.clientId,
    client_name: p.tradingName,
    redirect_uris: p.redirectUris,
    jwks: p.jwks,
    token_endpoint_auth_method: 'private_key_jwt',
    token_endpoint_auth_signing_alg: 'ES256',
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    subject_type: 'pairwise',
    ...(sectorIdentifierUri(p) ? { sector_identifier_uri: sectorIdentifierUri(p) } : {}),
    id_token_signed_response_alg: 'ES256',
    dpop_bound_access_tokens: true,
    require_pushed_authorization_requests: true,
    authorization_details_types: [ACCOUNT_ACCESS_TYPE],
  };
}

/** A merchant registered with a bank: initiates payments (PIS), never reads accounts. */
export interface MerchantClient {
  clientId: string;
  tradingName: string;
  redirectUris: string[];
  jwks: { keys: JWK[] };
}

/**
 * oidc-provider metadata for a merchant: FAPI 2.0 like a platform (PAR, private_key_jwt,
 * DPoP), client credentials for its payment consents, no refresh tokens (one token per
 * approved payment) and only the `payment_initiation` RAR type.
 */
export function merchantClientMetadata(m: MerchantClient): Record<string, unknown> {
  return {
    client_id: m.clientId,
    client_name: m.tradingName,
    redirect_uris: m.redirectUris,
    jwks: m.jwks,
    token_endpoint_auth_method: 'private_key_jwt',
    token_endpoint_auth_signing_alg: 'ES256',
    grant_types: ['authorization_code', 'client_credentials'],
    response_types: ['code'],
    subject_type: 'pairwise',
    id_token_signed_response_alg: 'ES256',
    dpop_bound_access_tokens: true,
    require_pushed_authorization_requests: true,
    authorization_details_types: [PAYMENT_INITIATION_TYPE],
  };
}
