// The seams between the relay and the bank side: the platform's OAuth client (link, revoke)
// and the caller of the bank bot. The real implementations come from src/platform-client
// (oauth4webapi: PAR, DPoP, refresh, revoke); the relay codes against these interfaces and
// treats every credential and pending-authorization value as opaque JSON, sealed at rest.
import { createHash, randomUUID } from 'node:crypto';
import { importJWK, type JWK, SignJWT } from 'jose';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export interface BankInfo {
  id: string;
  name: string;
  issuer: string;
  jwks_uri: string;
  /** Where bot events go: `{gateway}/banks/{id}/bot/events`. */
  bot_events_url: string;
}

export interface AuthorizationDetail {
  type: 'proviso_account_access';
  purposes: string[];
  clusters: string[];
  duration_days: number;
  /** The device's X25519 public key, base64url of 32 bytes. */
  device_key: string;
}

export interface StartLinkInput {
  bank: BankInfo;
  redirectUri: string;
  state: string;
  authorizationDetails: AuthorizationDetail[];
}

export interface FinishLinkInput {
  bank: BankInfo;
  redirectUri: string;
  state: string;
  /** What startLink returned as `pending` (opaque to the relay). */
  pending: Json;
  /** The full callback URL the bank redirected the browser to (code, state, iss or error). */
  callbackUrl: URL;
}

export interface PlatformClient {
  /** PAR with authorization_details; returns the URL to open in the browser. */
  startLink(input: StartLinkInput): Promise<{ authorizationUrl: string; pending: Json }>;
  /** Checks the callback (state, iss), exchanges the code (DPoP), returns credentials and the pairwise sub. */
  finishLink(input: FinishLinkInput): Promise<{ credentials: Json; sub: string; consent?: string }>;
  /** RFC 7009 revocation + consent DELETE. */
  revoke(input: { bank: BankInfo; credentials: Json }): Promise<void>;
  /** Relays a device's key-rotation request to the bank; resolves when the bank accepted it. */
  rotateDeviceKey?(input: { bank: BankInfo; credentials: Json; request: string }): Promise<void>;
}

export interface BotEvent {
  sender: { id: string };
  message?: { text: string };
  postback?: { payload: string };
  reply?: string;
}

export interface BotResponse {
  envelopes: string[];
  text?: string;
}

export type BotOutcome =
  | { ok: true; response: BotResponse; credentials?: Json }
  | {
      ok: false;
      status: number;
      problem?: { type?: string; title?: string; detail?: string };
      credentials?: Json;
    };

export interface GatewayCaller {
  /** POST the event to the bank bot with the link's credentials; may return refreshed credentials. */
  botEvent(input: { bank: BankInfo; credentials: Json; event: BotEvent }): Promise<BotOutcome>;
}

/** Computes the authorization headers of one request from a link's credentials. */
export type Authorizer = (credentials: Json, method: string, url: string) => Promise<Record<string, string>>;

const MAX_BOT_RESPONSE = 1024 * 1024;

/** GatewayCaller over fetch: JSON in, JSON out, problem documents passed through. */
export function httpGatewayCaller(authorize: Authorizer, timeoutMs = 10_000): GatewayCaller {
  return {
    async botEvent({ bank, credentials, event }) {
      const headers = await authorize(credentials, 'POST', bank.bot_events_url);
      let res: Response;
      try {
        res = await fetch(bank.bot_events_url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', accept: 'application/json', ...headers },
          body: JSON.stringify(event),
          signal: AbortSignal.timeout(timeoutMs),
        });
      } catch {
        return { ok: false, status: 503, problem: { title: 'The bank did not answer' } };
      }
      const text = await res.text();
      if (text.length > MAX_BOT_RESPONSE)
        return { ok: false, status: 502, problem: { title: 'Bot answer too large' } };
      let body: unknown;
      try {
        body = text ? JSON.parse(text) : undefined;
      } catch {
        return { ok: false, status: 502, problem: { title: 'Bot answer is not JSON' } };
      }
      if (!res.ok) {
        const p = (body ?? {}) as Record<string, unknown>;
        const problem: { type?: string; title?: string; detail?: string } = {};
        for (const k of ['type', 'title', 'detail'] as const) if (typeof p[k] === 'string') problem[k] = p[k];
        return { ok: false, status: res.status, problem };
      }
      const b = body as Partial<BotResponse> | undefined;
      if (
        !b ||
        !Array.isArray(b.envelopes) ||
        b.envelopes.some((e) => typeof e !== 'string') ||
        (b.text !== undefined && typeof b.text !== 'string')
      )
        return { ok: false, status: 502, problem: { title: 'Bot answer has the wrong shape' } };
      return {
        ok: true,
        response: { envelopes: b.envelopes, ...(b.text !== undefined ? { text: b.text } : {}) },
      };
    },
  };
}

/**
 * DPoP authorizer (RFC 9449) for credentials shaped `{ access_token, dpop_jwk }` (a private
 * EC P-256 or OKP Ed25519 JWK). The platform client from src/platform-client supersedes it;
 * it exists so the relay can call a DPoP-protected bot before that lands.
 */
export const dpopAuthorizer: Authorizer = async (credentials, method, url) => {
  const c = credentials as { access_token?: string; dpop_jwk?: JWK };
  if (typeof c?.access_token !== 'string' || !c.dpop_jwk)
    throw new Error('credentials lack access_token/dpop_jwk');
  const alg = c.dpop_jwk.kty === 'OKP' ? 'EdDSA' : 'ES256';
  const { d: _d, ...publicJwk } = c.dpop_jwk;
  const key = await importJWK(c.dpop_jwk, alg);
  const u = new URL(url);
  const proof = await new SignJWT({
    htm: method,
    htu: `${u.origin}${u.pathname}`,
    jti: randomUUID(),
    ath: createHash('sha256').update(c.access_token).digest('base64url'),
  })
    .setProtectedHeader({ alg, typ: 'dpop+jwt', jwk: publicJwk })
    .setIssuedAt()
    .sign(key);
  return { authorization: `DPoP ${c.access_token}`, dpop: proof };
};

function unavailable(): never {
  throw new LinkingUnavailableError();
}

export class LinkingUnavailableError extends Error {
  override name = 'LinkingUnavailableError';
  constructor() {
    super('no platform OAuth client is configured for this relay');
  }
}

/**
 * The bank refused, with a 4xx, a request whose content the device wrote (a sealed key
 * rotation): the device's mistake, answered to it as a 4xx problem — never a 502.
 */
export class BankRefusedRequestError extends Error {
  override name = 'BankRefusedRequestError';
  readonly status: number;
  constructor(status: number, detail: string) {
    super(detail);
    this.status = status;
  }
}

/** Placeholder until src/platform-client is wired: every link operation says so. */
export const unconfiguredPlatformClient: PlatformClient = {
  startLink: async () => unavailable(),
  finishLink: async () => unavailable(),
  revoke: async () => unavailable(),
};
