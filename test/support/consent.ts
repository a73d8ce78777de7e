// Links a customer the way a browser would, without one: PAR from the reference platform
// client, then the bank's login and consent forms over plain HTTP with a cookie jar.

import { DEMO_PASSWORD, demoTotpSecret, totpFor } from '../../src/consent/index.ts';
import {
  DEMO_PLATFORM,
  type Link,
  type LinkRequest,
  loadOrCreatePlatformKeys,
  type PendingLink,
  PlatformClient,
} from '../../src/platform-client/index.ts';
import type { TestGateway } from './gateway.ts';
import { X25519KeyPair } from './x25519.ts';

export class CookieJar {
  readonly #cookies = new Map<string, string>();
  store(res: Response): void {
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const i = pair!.indexOf('=');
      const name = pair!.slice(0, i);
      const value = pair!.slice(i + 1);
      if (/max-age=0/i.test(c) || /expires=Thu, 01 Jan 1970/i.test(c)) this.#cookies.delete(name);
      else this.#cookies.set(name, value);
    }
  }
  header(): string {
    return [...this.#cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }
  async fetch(url: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    headers.set('cookie', this.header());
    const res = await fetch(url, { ...init, headers, redirect: 'manual' });
    this.store(res);
    return res;
  }
}

export function field(html: string, name: string): string {
  const m = new RegExp(`name="${name}" value="([^"]*)"`).exec(html);
  if (!m) throw new Error(`no field ${name} in page`);
  return m[1]!.replaceAll('&amp;', '&');
}

export function accountValues(html: string): string[] {
  return [...html.matchAll(/name="account" value="([^"]*)"/g)].map((m) => m[1]!);
}

export async function platformClient(t: TestGateway, bank = 'northwind'): Promise<PlatformClient> {
  const { privateJwk } = await loadOrCreatePlatformKeys(t.dataDir);
  return PlatformClient.create({
    issuer: `${t.gw.url}/banks/${bank}`,
    clientId: DEMO_PLATFORM.clientId,
    redirectUri: DEMO_PLATFORM.redirectUri,
    privateJwk,
    allowInsecure: true,
  });
}

/** Lets the demo authenticator accept a fresh TOTP code again in the same 30 s step (tests only). */
export async function resetTotp(t: TestGateway): Promise<void> {
  await t.db.database
    .tables<{ consent_credential: { totp_last_step: number } }>()
    .updateTable('consent_credential')
    .set({ totp_last_step: 0 })
    .execute();
}

export function otpNow(bank: string, username: string): string {
  return totpFor(demoTotpSecret(bank, username)).generate();
}

export const deviceKey = (): string => X25519KeyPair.generate().publicKey;

export interface LinkOptions {
  bank?: string;
  username?: string;
  purposes?: string[];
  clusters?: string[];
  durationDays?: number;
  /** Which of the customer's offered accounts to pick (default: all). */
  pick?: (accountIds: string[]) => string[];
  decision?: 'approve' | 'deny';
  client?: PlatformClient;
  extraDetail?: LinkRequest['extraDetail'];
  /** The device's public key (base64url X25519); default: a throwaway one. */
  deviceKey?: string;
}

export interface Linked {
  client: PlatformClient;
  link: Link;
  jar: CookieJar;
  picked: string[];
  callback: string;
  pending: PendingLink;
}

export interface ApproveOptions {
  bank: string;
  username: string;
  pick?: (accountIds: string[]) => string[];
  decision?: 'approve' | 'deny';
  /** Runs before the login form is posted (tests reset the one-time-code replay guard). */
  beforeLogin?: () => Promise<void>;
}

/** The customer's part at the bank, over plain HTTP: login (password + TOTP), consent, redirect. */
export async function approveAtBank(
  base: string,
  authorizationUrl: string,
  o: ApproveOptions,
): Promise<{ jar: CookieJar; picked: string[]; callback: string }> {
  const { bank, username } = o;
  const jar = new CookieJar();
  let res = await jar.fetch(authorizationUrl);
  if (res.status !== 303 && res.status !== 302)
    throw new Error(`authorization endpoint answered ${res.status}: ${await res.text()}`);
  let page = await jar.fetch(new URL(res.headers.get('location')!, base).toString());
  let html = await page.text();
  if (page.status !== 200) throw new Error(`login page ${page.status}: ${html}`);
  const interaction = new URL(page.url).pathname;
  await o.beforeLogin?.();
  res = await jar.fetch(`${base}${interaction}/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      csrf: field(html, 'csrf'),
      username,
      password: DEMO_PASSWORD,
      otp: otpNow(bank, username),
    }),
  });
  if (res.status !== 303) throw new Error(`login answered ${res.status}: ${await res.text()}`);
  // Resume at the authorization endpoint, which sends us to the consent screen.
  res = await jar.fetch(new URL(res.headers.get('location')!, base).toString());
  page = await jar.fetch(new URL(res.headers.get('location')!, base).toString());
  html = await page.text();
  if (page.status !== 200) throw new Error(`consent page ${page.status}: ${html}`);
  const consentPath = new URL(page.url).pathname;
  const offered = accountValues(html);
  const picked = (o.pick ?? ((a) => a))(offered);
  const body = new URLSearchParams({ csrf: field(html, 'csrf'), decision: o.decision ?? 'approve' });
  for (const a of picked) body.append('account', a);
  res = await jar.fetch(`${base}${consentPath}/consent`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body,
  });
  if (res.status !== 303) throw new Error(`consent answered ${res.status}: ${await res.text()}`);
  res = await jar.fetch(new URL(res.headers.get('location')!, base).toString());
  return { jar, picked, callback: res.headers.get('location')! };
}

/** Goes through PAR, login (password + TOTP) and consent; returns the platform's tokens. */
export async function linkCustomer(t: TestGateway, o: LinkOptions = {}): Promise<Linked> {
  const bank = o.bank ?? 'northwind';
  const username = o.username ?? 'demo';
  const client = o.client ?? (await platformClient(t, bank));
  const pending = await client.startLink({
    purposes: o.purposes ?? ['balance_inquiry'],
    clusters: o.clusters ?? ['accounts', 'balances'],
    durationDays: o.durationDays ?? 90,
    deviceKey: o.deviceKey ?? deviceKey(),
    ...(o.extraDetail ? { extraDetail: o.extraDetail } : {}),
  });
  const { jar, picked, callback } = await approveAtBank(t.gw.url, pending.authorizationUrl.toString(), {
    bank,
    username,
    ...(o.pick ? { pick: o.pick } : {}),
    ...(o.decision ? { decision: o.decision } : {}),
    beforeLogin: () => resetTotp(t),
  });
  if (!callback.startsWith(DEMO_PLATFORM.redirectUri))
    throw new Error(`expected the redirect to the platform, got ${callback}`);
  if (o.decision === 'deny') return { client, link: undefined as never, jar, picked, callback, pending };
  const link = await client.completeLink(callback);
  return { client, link, jar, picked, callback, pending };
}

/** A DPoP proof signed with the link's key (or another), for tests that bend the rules. */
export async function dpopProof(
  keys: CryptoKeyPair,
  method: string,
  url: string,
  accessToken: string,
  o: { jti?: string; iat?: number } = {},
): Promise<string> {
  const { SignJWT, exportJWK } = await import('jose');
  const { createHash, randomUUID } = await import('node:crypto');
  const jwk = await exportJWK(keys.publicKey);
  return new SignJWT({
    htm: method,
    htu: url,
    ath: createHash('sha256').update(accessToken).digest('base64url'),
    jti: o.jti ?? randomUUID(),
  })
    .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk })
    .setIssuedAt(o.iat)
    .sign(keys.privateKey);
}

/** A data call with a hand-made proof. */
export async function rawCall(
  link: Link,
  url: string,
  purpose: string | null,
  proof: string | null,
  method = 'GET',
): Promise<Response> {
  const headers: Record<string, string> = { authorization: `DPoP ${link.accessToken}` };
  if (proof !== null) headers['dpop'] = proof;
  if (purpose !== null) headers['x-proviso-purpose'] = purpose;
  return fetch(url, { method, headers });
}

export interface DataAccess {
  link: Link;
  client: PlatformClient;
  picked: string[];
  /** Headers for one data call: the DPoP token, a fresh proof for this method and URL, a purpose. */
  headers(method: string, url: string, purpose?: string): Promise<Record<string, string>>;
}

/** The demo customer linked for every purpose that reads accounts, balances and transactions. */
export async function dataAccess(t: TestGateway, o: LinkOptions = {}): Promise<DataAccess> {
  const linked = await linkCustomer(t, {
    purposes: ['balance_inquiry', 'transaction_notifications', 'customer_service'],
    clusters: ['accounts', 'balances', 'transactions'],
    ...o,
  });
  return {
    link: linked.link,
    client: linked.client,
    picked: linked.picked,
    async headers(method, url, purpose) {
      const path = new URL(url).pathname;
      const p =
        purpose ??
        (path.endsWith('/transactions')
          ? 'transaction_notifications'
          : path.endsWith('/balances')
            ? 'balance_inquiry'
            : 'customer_service');
      return {
        authorization: `DPoP ${linked.link.accessToken}`,
        dpop: await dpopProof(linked.link.dpopKeys, method, url, linked.link.accessToken),
        'x-proviso-purpose': p,
      };
    },
  };
}
