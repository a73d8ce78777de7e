// The customer's part of a checkout at the bank, over plain HTTP with a cookie jar: the
// approval screen, login (password + code), the account choice, Approve or Decline.
import { DEMO_PASSWORD } from '../../src/consent/index.ts';
import { CookieJar, field, otpNow, resetTotp } from '../support/consent.ts';
import type { TestGateway } from '../support/gateway.ts';
import type { TestMerchant } from '../support/merchant.ts';

export const accountsOffered = (html: string) =>
  [...html.matchAll(/name="account" value="([^"]*)"/g)].map((m) => m[1]!);

async function follow(jar: CookieJar, base: string, res: Response): Promise<Response> {
  return jar.fetch(new URL(res.headers.get('location')!, base).toString());
}

export interface Approval {
  jar: CookieJar;
  callback: string;
  account: string | undefined;
  pageHtml: string;
}

/** Pays (or declines) at the bank; returns the merchant callback URL. */
export async function approveAtBank(
  t: TestGateway,
  url: string,
  o: {
    username?: string;
    decision?: 'approve' | 'decline';
    pick?: (ids: string[]) => string | undefined;
    jar?: CookieJar;
    bank?: string;
  } = {},
): Promise<Approval> {
  const base = t.gw.url;
  const bank = o.bank ?? 'northwind';
  const username = o.username ?? 'demo';
  const jar = o.jar ?? new CookieJar();
  let res = await jar.fetch(url);
  if (res.status !== 303) throw new Error(`authorization endpoint ${res.status}: ${await res.text()}`);
  let page = await follow(jar, base, res);
  let html = await page.text();
  if (page.status !== 200) throw new Error(`approval page ${page.status}: ${html}`);
  let path = new URL(page.url).pathname;
  const returning = html.includes('name="account"');
  if (!returning) {
    if (o.decision === 'decline') {
      res = await jar.fetch(
        `${base}${path}/decide`,
        form({ csrf: field(html, 'csrf'), decision: 'decline' }),
      );
      if (res.status !== 303) throw new Error(`decline ${res.status}: ${await res.text()}`);
      res = await follow(jar, base, res);
      return { jar, callback: res.headers.get('location')!, account: undefined, pageHtml: html };
    }
    await resetTotp(t);
    res = await jar.fetch(
      `${base}${path}/login`,
      form({ csrf: field(html, 'csrf'), username, password: DEMO_PASSWORD, otp: otpNow(bank, username) }),
    );
    if (res.status !== 303) throw new Error(`login ${res.status}: ${await res.text()}`);
    res = await follow(jar, base, res);
    page = await follow(jar, base, res);
    html = await page.text();
    if (page.status !== 200) throw new Error(`approval page after login ${page.status}: ${html}`);
    // After login the authorization server opens a new interaction (a new uid).
    path = new URL(page.url).pathname;
  }
  const account = (o.pick ?? ((ids) => ids[0]))(accountsOffered(html));
  const body: Record<string, string> = { csrf: field(html, 'csrf'), decision: o.decision ?? 'approve' };
  if (account) body['account'] = account;
  if (returning) {
    await resetTotp(t);
    body['otp'] = otpNow(bank, username);
  }
  res = await jar.fetch(`${base}${path}/decide`, form(body));
  if (res.status !== 303) throw new Error(`decide ${res.status}: ${await res.text()}`);
  res = await follow(jar, base, res);
  return { jar, callback: res.headers.get('location')!, account, pageHtml: html };
}

function form(values: Record<string, string>): RequestInit {
  return {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(values),
  };
}

/** Consent → PAR → approval → token: an authorization-code token for the consent. */
export async function approvedConsent(
  t: TestGateway,
  m: TestMerchant,
  amount: string,
  order: string,
  o: Parameters<typeof approveAtBank>[2] = {},
) {
  const consentId = await m.createConsent(amount, order);
  const pending = await m.authorize(consentId, amount);
  const approval = await approveAtBank(t, pending.url, { bank: m.bank, ...o });
  const token = await m.redeem(approval.callback, pending);
  return { consentId, token, approval };
}
