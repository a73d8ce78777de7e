// The relay's OAuth side, on the reference platform client (src/platform-client, built on
// oauth4webapi): PAR → the customer at the bank → code → DPoP-bound tokens, refreshed before
// they expire, revoked on unlink. Pending links and credentials are plain JSON here; the relay
// seals them at rest, so any relay instance can finish a link or call the bank.
import type { JWK } from 'jose';
import {
  type LinkJson,
  linkFromJson,
  linkToJson,
  PlatformClient as OAuthClient,
  type PendingLinkJson,
  pendingFromJson,
  pendingToJson,
} from '../platform-client/index.ts';
import {
  type BankInfo,
  BankRefusedRequestError,
  dpopAuthorizer,
  type GatewayCaller,
  httpGatewayCaller,
  type Json,
  type PlatformClient,
} from './platform.ts';

export interface OAuthPlatformOptions {
  clientId: string;
  /** The platform's private_key_jwt key (ES256, with kid), registered with every bank. */
  privateJwk: JWK;
  /** http:// issuers (one-machine demo and tests only). */
  allowInsecure: boolean;
}

/** Refresh this long before the access token expires. */
const REFRESH_MARGIN_MS = 30_000;

export function oauthPlatform(registration: OAuthPlatformOptions): {
  platform: PlatformClient;
  gateway: GatewayCaller;
} {
  const clients = new Map<string, Promise<OAuthClient>>();
  function clientFor(bank: BankInfo, redirectUri = 'http://invalid/'): Promise<OAuthClient> {
    let c = clients.get(bank.issuer);
    if (!c) {
      c = OAuthClient.create({
        issuer: bank.issuer,
        clientId: registration.clientId,
        redirectUri,
        privateJwk: registration.privateJwk,
        allowInsecure: registration.allowInsecure,
      });
      // A bank that was down must be discoverable again on the next try.
      c.catch(() => clients.delete(bank.issuer));
      clients.set(bank.issuer, c);
    }
    return c;
  }

  async function fresh(bank: BankInfo, credentials: Json): Promise<{ link: LinkJson; refreshed: boolean }> {
    const link = credentials as unknown as LinkJson;
    if (link.expires_at - REFRESH_MARGIN_MS > Date.now() || !link.refresh_token)
      return { link, refreshed: false };
    const client = await clientFor(bank);
    const next = await client.refresh(await linkFromJson(link));
    return { link: await linkToJson(next), refreshed: true };
  }

  const platform: PlatformClient = {
    async startLink({ bank, redirectUri, state, authorizationDetails }) {
      const detail = authorizationDetails[0];
      if (!detail) throw new Error('authorization_details must name the access asked for');
      const client = await clientFor(bank, redirectUri);
      const pending = await client.startLink({
        state,
        redirectUri,
        purposes: detail.purposes,
        clusters: detail.clusters,
        durationDays: detail.duration_days,
        deviceKey: detail.device_key,
      });
      return {
        authorizationUrl: pending.authorizationUrl.href,
        pending: (await pendingToJson(pending)) as unknown as Json,
      };
    },
    async finishLink({ bank, pending, callbackUrl }) {
      const client = await clientFor(bank);
      const link = await client.completePendingLink(
        callbackUrl,
        await pendingFromJson(pending as unknown as PendingLinkJson),
      );
      return {
        credentials: (await linkToJson(link)) as unknown as Json,
        sub: link.subject,
        ...(link.consentId ? { consent: link.consentId } : {}),
      };
    },
    async revoke({ bank, credentials }) {
      const client = await clientFor(bank);
      const link = await linkFromJson(credentials as unknown as LinkJson);
      // Consent DELETE first (it needs a live access token), then RFC 7009 on the refresh
      // token, which also ends the consent should the DELETE not have got through.
      const errors: unknown[] = [];
      await client.deleteConsent(link).catch((e) => errors.push(e));
      await client.revoke(link).catch((e) => errors.push(e));
      if (errors.length === 2) throw errors[1];
    },
    async rotateDeviceKey({ bank, credentials, request }) {
      const client = await clientFor(bank);
      const { link } = await fresh(bank, credentials);
      const res = await client.rotateDeviceKey(await linkFromJson(link), request);
      if (!res.ok) {
        const problem = (await res.json().catch(() => ({}))) as { detail?: unknown };
        const detail =
          typeof problem.detail === 'string' ? problem.detail : `the bank answered ${res.status}`;
        // A 4xx is about the sealed request the device wrote; anything else is the bank's.
        if (res.status >= 400 && res.status < 500 && res.status !== 401)
          throw new BankRefusedRequestError(res.status, detail);
        throw new Error(detail);
      }
    },
  };

  const http = httpGatewayCaller(dpopAuthorizer);
  const gateway: GatewayCaller = {
    async botEvent({ bank, credentials, event }) {
      let current: { link: LinkJson; refreshed: boolean };
      try {
        current = await fresh(bank, credentials);
      } catch {
        // The refresh token is gone (revoked at the bank, or the consent ended): the link is over.
        return { ok: false, status: 401, problem: { title: 'The link to the bank has ended' } };
      }
      const outcome = await http.botEvent({ bank, credentials: current.link as unknown as Json, event });
      return current.refreshed ? { ...outcome, credentials: current.link as unknown as Json } : outcome;
    },
  };
  return { platform, gateway };
}
