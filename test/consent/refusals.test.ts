// The consent door end to end over real HTTP, on every storage backend: what the
// authorization server refuses, and every way a data call is refused with a specific
// problem document.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { importJWK } from 'jose';
import { sql } from 'kysely';
import * as oauth from 'oauth4webapi';
import { DEMO_PLATFORM, loadOrCreatePlatformKeys } from '../../src/platform-client/index.ts';
import { storageBackends } from '../support/backends.ts';
import {
  deviceKey,
  dpopProof,
  type Linked,
  linkCustomer,
  platformClient,
  rawCall,
} from '../support/consent.ts';
import { startTestGateway, type TestGateway } from '../support/gateway.ts';

const AISP = (t: TestGateway, bank = 'northwind') => `${t.gw.url}/banks/${bank}/open-banking/v3.1/aisp`;

async function problem(res: Response, status: number, slug: string): Promise<Record<string, unknown>> {
  const body = (await res.json()) as Record<string, unknown>;
  assert.equal(res.status, status, JSON.stringify(body));
  assert.equal(res.headers.get('content-type')?.split(';')[0], 'application/problem+json');
  assert.equal(body['type'], `urn:proviso:problem:${slug}`, JSON.stringify(body));
  assert.ok(typeof body['detail'] === 'string' && (body['detail'] as string).length > 10);
  return body;
}

for (const backend of await storageBackends('consent refusals')) {
  describe(`consent on ${backend.name}`, () => {
    let t: TestGateway;
    let linked: Linked;
    before(async () => {
      t = await startTestGateway(backend);
      linked = await linkCustomer(t, { pick: (a) => a.slice(0, 1) });
    });
    after(() => t.close());

    const balances = (account: string) => `${AISP(t)}/accounts/${account}/balances`;

    test('discovery advertises the FAPI 2.0 settings', async () => {
      const meta = (await (
        await fetch(`${t.gw.url}/banks/northwind/.well-known/openid-configuration`)
      ).json()) as Record<string, unknown>;
      assert.equal(meta['issuer'], `${t.gw.url}/banks/northwind`);
      assert.equal(meta['require_pushed_authorization_requests'], true);
      assert.deepEqual(meta['token_endpoint_auth_methods_supported'], ['private_key_jwt']);
      assert.deepEqual(meta['code_challenge_methods_supported'], ['S256']);
      assert.equal(meta['authorization_response_iss_parameter_supported'], true);
      assert.ok((meta['dpop_signing_alg_values_supported'] as string[]).includes('ES256'));
      assert.ok((meta['subject_types_supported'] as string[]).includes('pairwise'));
      assert.equal(meta['revocation_endpoint'], `${t.gw.url}/banks/northwind/token/revocation`);
      // Links (platforms) and, since checkout, payments (merchants).
      assert.deepEqual((meta['authorization_details_types_supported'] as string[]).toSorted(), [
        'payment_initiation',
        'proviso_account_access',
      ]);
      // One issuer per bank.
      const fjord = (await (
        await fetch(`${t.gw.url}/banks/fjord/.well-known/openid-configuration`)
      ).json()) as Record<string, unknown>;
      assert.equal(fjord['issuer'], `${t.gw.url}/banks/fjord`);
    });

    test('an authorised call works and the subject is pairwise, not the bank customer id', async () => {
      const res = await linked.client.request(linked.link, balances(linked.picked[0]!), 'balance_inquiry');
      assert.equal(res.status, 200);
      const demo = await t.gw.core('northwind').customerByUsername('demo');
      assert.ok(linked.link.subject.length >= 32);
      assert.notEqual(linked.link.subject, demo!.id);
      assert.ok(!linked.link.subject.includes(demo!.id));
      assert.ok(linked.link.consentId.startsWith('cns_'));
    });

    test('no DPoP proof, or a Bearer token, is refused', async () => {
      await problem(
        await rawCall(linked.link, balances(linked.picked[0]!), 'balance_inquiry', null),
        401,
        'dpop-proof-missing',
      );
      const bearer = await fetch(balances(linked.picked[0]!), {
        headers: {
          authorization: `Bearer ${linked.link.accessToken}`,
          'x-proviso-purpose': 'balance_inquiry',
        },
      });
      await problem(bearer, 401, 'dpop-required');
      assert.match(bearer.headers.get('www-authenticate') ?? '', /^DPoP /);
    });

    test('a replayed DPoP proof is refused', async () => {
      const url = balances(linked.picked[0]!);
      const proof = await dpopProof(linked.link.dpopKeys, 'GET', url, linked.link.accessToken);
      assert.equal((await rawCall(linked.link, url, 'balance_inquiry', proof)).status, 200);
      await problem(await rawCall(linked.link, url, 'balance_inquiry', proof), 401, 'dpop-proof-replayed');
    });

    test('a proof for another key, method or URL is refused', async () => {
      const url = balances(linked.picked[0]!);
      const other = await oauth.generateKeyPair('ES256');
      await problem(
        await rawCall(
          linked.link,
          url,
          'balance_inquiry',
          await dpopProof(other, 'GET', url, linked.link.accessToken),
        ),
        401,
        'dpop-key-mismatch',
      );
      await problem(
        await rawCall(
          linked.link,
          url,
          'balance_inquiry',
          await dpopProof(linked.link.dpopKeys, 'POST', url, linked.link.accessToken),
        ),
        401,
        'dpop-method-mismatch',
      );
      await problem(
        await rawCall(
          linked.link,
          url,
          'balance_inquiry',
          await dpopProof(linked.link.dpopKeys, 'GET', `${AISP(t)}/accounts`, linked.link.accessToken),
        ),
        401,
        'dpop-url-mismatch',
      );
      const stale = await dpopProof(linked.link.dpopKeys, 'GET', url, linked.link.accessToken, {
        iat: Math.floor(Date.now() / 1000) - 600,
      });
      await problem(await rawCall(linked.link, url, 'balance_inquiry', stale), 401, 'dpop-proof-stale');
      // A query string or a different case in the host is the same htu.
      const upper = url.replace('127.0.0.1', '127.0.0.1') + '?x=1';
      const ok = await rawCall(
        linked.link,
        url,
        'balance_inquiry',
        await dpopProof(linked.link.dpopKeys, 'GET', upper, linked.link.accessToken),
      );
      assert.equal(ok.status, 200);
    });

    test('a missing purpose, a purpose not consented, and advertising are refused by name', async () => {
      const url = balances(linked.picked[0]!);
      await problem(await linked.client.request(linked.link, url, ''), 400, 'purpose-required');
      const notConsented = await problem(
        await linked.client.request(
          linked.link,
          `${AISP(t)}/accounts/${linked.picked[0]}/transactions`,
          'transaction_notifications',
        ),
        403,
        'purpose-not-consented',
      );
      assert.equal(notConsented['reason'], 'purpose_not_consented');
      const ad = await problem(
        await linked.client.request(linked.link, url, 'advertising'),
        403,
        'forbidden-purpose',
      );
      assert.equal(ad['reason'], 'forbidden_purpose');
      assert.match(String(ad['detail']), /advertising/);
      await problem(await linked.client.request(linked.link, url, 'weather'), 403, 'unknown-purpose');
    });

    test('advertising in authorization_details is refused at PAR, as are unknown clusters and over 365 days', async () => {
      for (const [extra, pattern] of [
        [{ purposes: ['balance_inquiry', 'advertising'] }, /advertising.*forbidden|forbidden/],
        [{ clusters: ['balances', 'browsing_history'] }, /cluster/],
        [{ duration_days: 366 }, /over the maximum of 365/],
        [{ device_key: 'too-short' }, /device_key/],
      ] as const) {
        await assert.rejects(
          linked.client.startLink({
            purposes: ['balance_inquiry'],
            clusters: ['balances'],
            durationDays: 30,
            deviceKey: deviceKey(),
            extraDetail: extra,
          }),
          (error: unknown) => {
            const e = error as {
              error?: string;
              error_description?: string;
              cause?: { error?: string; error_description?: string };
            };
            const body = e.cause ?? e;
            assert.equal(body.error, 'invalid_authorization_details', JSON.stringify(body));
            assert.match(String(body.error_description), pattern);
            return true;
          },
        );
      }
    });

    test('a data cluster or an account not consented is refused', async () => {
      const both = await linkCustomer(t, {
        purposes: ['balance_inquiry', 'transaction_notifications'],
        clusters: ['accounts', 'balances'],
        pick: (a) => a.slice(0, 1),
      });
      const cluster = await problem(
        await both.client.request(
          both.link,
          `${AISP(t)}/accounts/${both.picked[0]}/transactions`,
          'transaction_notifications',
        ),
        403,
        'cluster-not-consented',
      );
      assert.equal(cluster['reason'], 'cluster_not_consented');
      const all = await t.gw
        .core('northwind')
        .accounts((await t.gw.core('northwind').customerByUsername('demo'))!.id);
      const otherAccount = all.find((a) => a.id !== both.picked[0])!;
      await problem(
        await both.client.request(both.link, balances(otherAccount.id), 'balance_inquiry'),
        403,
        'account-not-consented',
      );
      // The account list only shows consented accounts.
      const list = (await (
        await both.client.request(both.link, `${AISP(t)}/accounts`, 'balance_inquiry')
      ).json()) as { Data: { Account: { AccountId: string }[] } };
      assert.deepEqual(
        list.Data.Account.map((a) => a.AccountId),
        both.picked,
      );
    });

    test("a token of customer A is refused on customer B's account", async () => {
      const core = t.gw.core('northwind');
      const other = await t.db.database
        .tables<{ core_customer: { id: string; bank_id: string; username: string } }>()
        .selectFrom('core_customer')
        .select('id')
        .where('bank_id', '=', 'northwind')
        .where('username', '!=', 'demo')
        .executeTakeFirstOrThrow();
      const [bAccount] = await core.accounts(other.id);
      await problem(
        await linked.client.request(linked.link, balances(bAccount!.id), 'balance_inquiry'),
        403,
        'account-not-consented',
      );
    });

    test('an expired consent is refused, and reauthorisation extends it without a new link', async () => {
      const l = await linkCustomer(t);
      const db = t.db.database.tables<{ consent: { id: string; expires_at: Date } }>();
      await db
        .updateTable('consent')
        .set({ expires_at: new Date(Date.now() - 1000) })
        .where('id', '=', l.link.consentId)
        .execute();
      const body = await problem(
        await l.client.request(l.link, balances(l.picked[0]!), 'balance_inquiry'),
        403,
        'consent-expired',
      );
      assert.equal(body['reason'], 'consent_expired');
      const jobs = await t.gw.consent.runJobs();
      assert.ok(jobs.expired >= 1);
      assert.equal((await t.gw.consent.store.get(l.link.consentId))!.status, 'expired');
      await problem(
        await l.client.request(l.link, balances(l.picked[0]!), 'balance_inquiry'),
        403,
        'consent-not-authorised',
      );
      const demo = await t.gw.core('northwind').customerByUsername('demo');
      const renewed = await t.gw.consent.store.reauthorise(l.link.consentId, demo!.id);
      assert.ok(renewed.expiresAt!.getTime() > Date.now() + 89 * 86_400_000);
      assert.ok(renewed.expiresAt!.getTime() <= Date.now() + 365 * 86_400_000);
      assert.equal((await l.client.request(l.link, balances(l.picked[0]!), 'balance_inquiry')).status, 200);
    });

    test('a reminder is queued 30 days before expiry, once', async () => {
      const l = await linkCustomer(t);
      const db = t.db.database.tables<{ consent: { id: string; expires_at: Date } }>();
      await db
        .updateTable('consent')
        .set({ expires_at: new Date(Date.now() + 20 * 86_400_000) })
        .where('id', '=', l.link.consentId)
        .execute();
      await t.gw.consent.runJobs();
      await t.gw.consent.runJobs();
      const reminders = (await t.gw.consent.store.pendingReminders('northwind')).filter(
        (r) => r.consent_id === l.link.consentId,
      );
      assert.equal(reminders.length, 1);
      assert.equal(reminders[0]!.kind, 'expiry_30_days');
    });

    test('refresh gives new DPoP-bound tokens; the refresh token is bound to the DPoP key', async () => {
      const l = await linkCustomer(t);
      const refreshed = await l.client.refresh(l.link);
      assert.notEqual(refreshed.accessToken, l.link.accessToken);
      assert.equal(
        (await l.client.request(refreshed, balances(l.picked[0]!), 'balance_inquiry')).status,
        200,
      );
      // The same refresh token with another DPoP key is refused.
      const other = { ...refreshed, dpopKeys: await oauth.generateKeyPair('ES256') };
      await assert.rejects(l.client.refresh(other), (e: unknown) => {
        const body = (e as { cause?: { error?: string } }).cause ?? (e as { error?: string });
        assert.equal(body.error, 'invalid_grant');
        return true;
      });
    });

    test('RFC 7009 revocation by the platform ends the consent; DELETE does too', async () => {
      const l = await linkCustomer(t);
      await l.client.revoke(l.link);
      assert.equal((await t.gw.consent.store.get(l.link.consentId))!.status, 'revoked');
      assert.equal((await t.gw.consent.store.get(l.link.consentId))!.revokedBy, 'platform');
      const res = await l.client.request(l.link, balances(l.picked[0]!), 'balance_inquiry');
      assert.ok(res.status === 401 || res.status === 403);

      const d = await linkCustomer(t);
      const del = await d.client.deleteConsent(d.link);
      assert.equal(del.status, 204);
      const after = await problem(
        await d.client.request(d.link, balances(d.picked[0]!), 'balance_inquiry'),
        403,
        'consent-not-authorised',
      );
      assert.match(String(after['detail']), /revoked/);
      await assert.rejects(d.client.refresh(d.link));
    });

    test('a request without PAR is refused', async () => {
      const url = new URL(`${t.gw.url}/banks/northwind/auth`);
      url.search = new URLSearchParams({
        client_id: DEMO_PLATFORM.clientId,
        redirect_uri: DEMO_PLATFORM.redirectUri,
        response_type: 'code',
        scope: 'openid',
        code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
        code_challenge_method: 'S256',
        state: 'x',
      }).toString();
      const res = await fetch(url, { redirect: 'manual' });
      const location = res.headers.get('location') ?? '';
      const text = location ? decodeURIComponent(location.replaceAll('+', ' ')) : await res.text();
      assert.match(text, /invalid_request/);
      assert.match(text, /[Pp]ushed [Aa]uthorization [Rr]equest/);
    });

    test('an authorization code works once, within 60 seconds', async () => {
      const l = await linkCustomer(t);
      const { privateJwk } = await loadOrCreatePlatformKeys(t.dataDir);
      const auth = oauth.PrivateKeyJwt({
        key: (await importJWK(privateJwk, 'ES256')) as CryptoKey,
        kid: String(privateJwk.kid),
      });
      const params = oauth.validateAuthResponse(
        l.client.as,
        l.client.client,
        new URL(l.callback),
        oauth.skipStateCheck,
      );
      const res = await oauth.authorizationCodeGrantRequest(
        l.client.as,
        l.client.client,
        auth,
        params,
        DEMO_PLATFORM.redirectUri,
        l.pending.codeVerifier,
        {
          DPoP: oauth.DPoP(l.client.client, l.pending.dpopKeys),
          [oauth.allowInsecureRequests]: true,
        },
      );
      assert.equal(res.status, 400);
      assert.equal(((await res.json()) as { error: string }).error, 'invalid_grant');
      const meta = (await (
        await fetch(`${t.gw.url}/banks/northwind/.well-known/openid-configuration`)
      ).json()) as Record<string, unknown>;
      assert.ok(meta['token_endpoint']);
    });

    test('receipts: the customer copy lists accounts, the platform copy has none; both signed by the bank', async () => {
      const { decodeJwt, createLocalJWKSet, jwtVerify } = await import('jose');
      const jwks = createLocalJWKSet(
        (await (await fetch(`${t.gw.url}/banks/northwind/jwks.json`)).json()) as never,
      );
      const platformCopy = await linked.client.receipt(linked.link);
      const { payload } = await jwtVerify(platformCopy, jwks, {
        issuer: `${t.gw.url}/banks/northwind`,
        audience: DEMO_PLATFORM.clientId,
        typ: 'proviso-consent-receipt+jwt',
      });
      assert.equal(payload['consent_id'], linked.link.consentId);
      assert.equal(payload['sub'], linked.link.subject);
      assert.equal(payload['accounts'], undefined);
      assert.ok(!JSON.stringify(payload).includes(linked.picked[0]!));
      // The customer's copy, from the dashboard (session cookie from the linking login).
      const res = await linked.jar.fetch(
        `${t.gw.url}/banks/northwind/connected-apps/${linked.link.consentId}/receipt`,
      );
      assert.equal(res.status, 200);
      const customerCopy = await res.text();
      await jwtVerify(customerCopy, jwks, { audience: 'customer' });
      assert.ok(JSON.stringify(decodeJwt(customerCopy)['accounts']).includes(linked.picked[0]!));
    });

    test('the receipt page: what the signed receipt says, for the logged-in customer only', async () => {
      const { decodeJwt, decodeProtectedHeader } = await import('jose');
      const url = `${t.gw.url}/banks/northwind/connected-apps/${linked.link.consentId}/receipt/view`;
      const res = await linked.jar.fetch(url);
      assert.equal(res.status, 200);
      assert.match(String(res.headers.get('content-type')), /^text\/html/);
      assert.match(String(res.headers.get('content-security-policy')), /default-src 'none'/);
      const html = await res.text();
      const jws = await (
        await linked.jar.fetch(`${t.gw.url}/banks/northwind/connected-apps/${linked.link.consentId}/receipt`)
      ).text();
      const claims = decodeJwt(jws) as { device_key_fingerprint: string; recipient: { name: string } };
      assert.ok(html.includes(claims.device_key_fingerprint), 'device key fingerprint');
      assert.ok(html.includes(`<code>${decodeProtectedHeader(jws).kid}</code>`), 'signing key id');
      assert.match(html, /<dt>Who receives your data<\/dt><dd>Proviso Chat<\/dd>/);
      assert.match(html, /<dt>Never used for<\/dt><dd><ul><li>Advertising<\/li>/);
      assert.match(html, /href="[^"]+\/receipt" download="consent-receipt-cns_[^"]+\.jws"/);
      // Not logged in: refused; a consent that is not this customer's: not found.
      assert.equal((await fetch(url)).status, 401);
      const rows = await sql<{ username: string }>`
        select username from core_customer where bank_id = 'northwind' and username <> 'demo' order by id limit 1`.execute(
        t.gw.database.tables(),
      );
      const other = await linkCustomer(t, { username: rows.rows[0]!.username });
      assert.equal((await other.jar.fetch(url)).status, 404);
      assert.equal((await other.jar.fetch(url.replace('/view', ''))).status, 404);
    });

    test('failed logins are throttled per username', async () => {
      const jar = (await import('../support/consent.ts')).CookieJar;
      const j = new jar();
      const page = await j.fetch(`${t.gw.url}/banks/fjord/connected-apps`);
      const { field } = await import('../support/consent.ts');
      let csrf = field(await page.text(), 'csrf');
      const statuses: number[] = [];
      for (let i = 0; i < 6; i++) {
        const res = await j.fetch(`${t.gw.url}/banks/fjord/connected-apps/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ csrf, username: 'demo', password: 'wrong', otp: '000000' }),
        });
        statuses.push(res.status);
        // Each attempt starts a new pre-session: the next form carries a new token.
        csrf = field(await res.text(), 'csrf');
      }
      assert.deepEqual(statuses, [401, 401, 401, 401, 401, 429]);
    });

    test('the platform never sees a forbidden purpose or another platform’s consent', async () => {
      const c = await platformClient(t);
      assert.ok(c.as.pushed_authorization_request_endpoint);
    });
  });
}
