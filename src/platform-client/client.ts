// The reference platform client (the relay's OAuth side) on oauth4webapi: PAR with a
// `proviso_account_access` authorization_details → the customer logs in and consents at
// the bank → code (state and RFC 9207 `iss` checked) → DPoP-bound tokens → data calls with
// a fresh DPoP proof and a declared purpose → refresh → revoke.
import { importJWK, type JWK } from 'jose';
import * as oauth from 'oauth4webapi';

export const PURPOSE_HEADER = 'x-proviso-purpose';

export interface PlatformClientOptions {
  /** The bank's issuer, e.g. http://127.0.0.1:4100/banks/northwind */
  issuer: string;
  clientId: string;
  redirectUri: string;
  /** Private ES256 JWK (with kid) registered with the bank. */
  privateJwk: JWK;
  /** Allow http:// (local demo and tests only). */
  allowInsecure?: boolean;
}

export interface LinkRequest {
  purposes: string[];
  clusters: string[];
  durationDays: number;
  /** The customer's device HPKE public key (X25519, base64url). */
  deviceKey: string;
  /** Extra authorization_details members (tests use it to try what the bank must refuse). */
  extraDetail?: Record<string, unknown>;
  /** The OAuth state to use (a caller that keeps its own pending links supplies it). */
  state?: string;
  /** Redirect URI for this link; default: the one the client was created with. */
  redirectUri?: string;
}

export interface PendingLink {
  authorizationUrl: URL;
  state: string;
  codeVerifier: string;
  dpopKeys: CryptoKeyPair;
  redirectUri: string;
}

export interface Link {
  accessToken: string;
  refreshToken: string | undefined;
  expiresAt: number;
  /** The customer's pairwise pseudonym at this platform (from the ID token). */
  subject: string;
  consentId: string;
  authorizationDetails: unknown[];
  dpopKeys: CryptoKeyPair;
}

export class PlatformClientError extends Error {
  override name = 'PlatformClientError';
}

/** oauth4webapi throws on a 401 with a challenge; callers here want the problem document. */
async function orChallenge(request: Promise<Response>): Promise<Response> {
  try {
    return await request;
  } catch (error) {
    if (error instanceof oauth.WWWAuthenticateChallengeError) return error.response;
    throw error;
  }
}

export class PlatformClient {
  readonly as: oauth.AuthorizationServer;
  readonly client: oauth.Client;
  readonly #auth: oauth.ClientAuth;
  readonly #options: PlatformClientOptions;
  readonly #http: { [oauth.allowInsecureRequests]?: boolean };
  readonly #pending = new Map<string, PendingLink>();

  private constructor(as: oauth.AuthorizationServer, options: PlatformClientOptions, key: CryptoKey) {
    this.as = as;
    this.#options = options;
    this.client = { client_id: options.clientId, id_token_signed_response_alg: 'ES256' };
    this.#auth = oauth.PrivateKeyJwt({ key, kid: String(options.privateJwk.kid) });
    this.#http = options.allowInsecure ? { [oauth.allowInsecureRequests]: true } : {};
  }

  /** Discovers the bank's authorization server and checks its issuer. */
  static async create(options: PlatformClientOptions): Promise<PlatformClient> {
    const issuer = new URL(options.issuer);
    const http = options.allowInsecure ? { [oauth.allowInsecureRequests]: true } : {};
    const response = await oauth.discoveryRequest(issuer, { algorithm: 'oidc', ...http });
    const as = await oauth.processDiscoveryResponse(issuer, response);
    const key = (await importJWK(options.privateJwk, 'ES256')) as CryptoKey;
    return new PlatformClient(as, options, key);
  }

  #dpop(keys: CryptoKeyPair): oauth.DPoPHandle {
    return oauth.DPoP(this.client, keys);
  }

  /** Pushes the authorization request; returns the URL to send the customer's browser to. */
  async startLink(request: LinkRequest): Promise<PendingLink> {
    const codeVerifier = oauth.generateRandomCodeVerifier();
    const state = request.state ?? oauth.generateRandomState();
    const redirectUri = request.redirectUri ?? this.#options.redirectUri;
    const dpopKeys = await oauth.generateKeyPair('ES256', { extractable: true });
    const detail = {
      type: 'proviso_account_access',
      purposes: request.purposes,
      clusters: request.clusters,
      duration_days: request.durationDays,
      device_key: request.deviceKey,
      ...request.extraDetail,
    };
    const params = new URLSearchParams({
      redirect_uri: redirectUri,
      response_type: 'code',
      scope: 'openid',
      state,
      code_challenge: await oauth.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
      authorization_details: JSON.stringify([detail]),
      dpop_jkt: await this.#dpop(dpopKeys).calculateThumbprint(),
    });
    const response = await oauth.pushedAuthorizationRequest(this.as, this.client, this.#auth, params, {
      DPoP: this.#dpop(dpopKeys),
      ...this.#http,
    });
    const par = await oauth.processPushedAuthorizationResponse(this.as, this.client, response);
    const authorizationUrl = new URL(this.as.authorization_endpoint!);
    authorizationUrl.searchParams.set('client_id', this.client.client_id);
    authorizationUrl.searchParams.set('request_uri', par.request_uri);
    const pending = { authorizationUrl, state, codeVerifier, dpopKeys, redirectUri };
    this.#pending.set(state, pending);
    return pending;
  }

  /** Handles the redirect back from the bank: checks state and iss, redeems the code with DPoP. */
  async completeLink(callbackUrl: URL | string): Promise<Link> {
    const url = new URL(callbackUrl);
    const state = url.searchParams.get('state') ?? '';
    const pending = this.#pending.get(state);
    if (!pending) throw new PlatformClientError('unknown or already used state');
    this.#pending.delete(state);
    return this.completePendingLink(url, pending);
  }

  /** The same, for a caller that kept the pending link itself (e.g. sealed in its database). */
  async completePendingLink(callbackUrl: URL | string, pending: PendingLink): Promise<Link> {
    const url = new URL(callbackUrl);
    this.#pending.delete(pending.state);
    const params = oauth.validateAuthResponse(this.as, this.client, url, pending.state);
    const response = await oauth.authorizationCodeGrantRequest(
      this.as,
      this.client,
      this.#auth,
      params,
      pending.redirectUri,
      pending.codeVerifier,
      { DPoP: this.#dpop(pending.dpopKeys), ...this.#http },
    );
    const tokens = await oauth.processAuthorizationCodeResponse(this.as, this.client, response, {
      expectedNonce: oauth.expectNoNonce,
      requireIdToken: true,
    });
    return this.#link(tokens, pending.dpopKeys);
  }

  #link(tokens: oauth.TokenEndpointResponse, dpopKeys: CryptoKeyPair, previous?: Link): Link {
    if (tokens.token_type.toLowerCase() !== 'dpop')
      throw new PlatformClientError('the bank did not issue a DPoP-bound token');
    const details = (tokens.authorization_details ?? previous?.authorizationDetails ?? []) as {
      consent_id?: string;
    }[];
    const claims = oauth.getValidatedIdTokenClaims(tokens);
    return {
      accessToken: tokens.access_token,
      refreshToken: tokens.refresh_token ?? previous?.refreshToken,
      expiresAt: Date.now() + (tokens.expires_in ?? 0) * 1000,
      subject: claims?.sub ?? previous?.subject ?? '',
      consentId: details[0]?.consent_id ?? previous?.consentId ?? '',
      authorizationDetails: details,
      dpopKeys,
    };
  }

  /** A data call with a fresh DPoP proof and the declared purpose. */
  async request(link: Link, url: string | URL, purpose: string, method = 'GET'): Promise<Response> {
    const headers = new Headers({ [PURPOSE_HEADER]: purpose, accept: 'application/json' });
    return orChallenge(
      oauth.protectedResourceRequest(link.accessToken, method, new URL(url), headers, null, {
        DPoP: this.#dpop(link.dpopKeys),
        ...this.#http,
      }),
    );
  }

  /** New tokens from the (DPoP-bound, rotating) refresh token. */
  async refresh(link: Link): Promise<Link> {
    if (!link.refreshToken) throw new PlatformClientError('no refresh token');
    const response = await oauth.refreshTokenGrantRequest(
      this.as,
      this.client,
      this.#auth,
      link.refreshToken,
      {
        DPoP: this.#dpop(link.dpopKeys),
        ...this.#http,
      },
    );
    const tokens = await oauth.processRefreshTokenResponse(this.as, this.client, response);
    return this.#link(tokens, link.dpopKeys, link);
  }

  /** RFC 7009: revokes the refresh token (and so the whole consent at the bank). */
  async revoke(link: Link): Promise<void> {
    const token = link.refreshToken ?? link.accessToken;
    const response = await oauth.revocationRequest(this.as, this.client, this.#auth, token, this.#http);
    await oauth.processRevocationResponse(response);
  }

  /** The consent API of the bank, under the issuer. */
  consentUrl(link: Link, suffix = ''): URL {
    return new URL(`${this.as.issuer}/consents/${link.consentId}${suffix}`);
  }

  /** DELETE the consent at the bank (platform-side revocation). */
  async deleteConsent(link: Link): Promise<Response> {
    return orChallenge(
      oauth.protectedResourceRequest(link.accessToken, 'DELETE', this.consentUrl(link), new Headers(), null, {
        DPoP: this.#dpop(link.dpopKeys),
        ...this.#http,
      }),
    );
  }

  /** Relays the device's key-rotation request (sealed by the device with its current key). */
  async rotateDeviceKey(link: Link, request: string): Promise<Response> {
    return orChallenge(
      oauth.protectedResourceRequest(
        link.accessToken,
        'PUT',
        this.consentUrl(link, '/device-key'),
        new Headers({ 'content-type': 'application/json', accept: 'application/json' }),
        JSON.stringify({ request }),
        { DPoP: this.#dpop(link.dpopKeys), ...this.#http },
      ),
    );
  }

  /** The platform's copy of the signed consent receipt (compact JWS). */
  async receipt(link: Link): Promise<string> {
    const response = await oauth.protectedResourceRequest(
      link.accessToken,
      'GET',
      this.consentUrl(link, '/receipt'),
      new Headers(),
      null,
      {
        DPoP: this.#dpop(link.dpopKeys),
        ...this.#http,
      },
    );
    if (!response.ok) throw new PlatformClientError(`receipt request failed with ${response.status}`);
    return response.text();
  }
}
