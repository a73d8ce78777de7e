// Two gateway instances against one PostgreSQL, both serving the same public URL (as behind
// a load balancer): a consent revoked or expired through one is refused by the other on the
// very next call, with no wait — PostgreSQL is the source of truth: the token → consent cache
// is dropped by LISTEN/NOTIFY, and the consent is re-read inside the transaction that logs
// each release (src/consent/grant-cache.ts, release-guard.ts).
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { readConfig } from '../../src/gateway/config.ts';
import { type RunningGateway, startGateway } from '../../src/gateway/runtime.ts';
import { openDatabase } from '../../src/storage/index.ts';
import { postgresBackend, postgresSkip } from '../support/backends.ts';
import { CookieJar, dpopProof, field, type Linked, linkCustomer } from '../support/consent.ts';
import { startTestGateway, type TestGateway } from '../support/gateway.ts';

const unavailable = await postgresSkip('consent across two gateway instances on one PostgreSQL');

describe('consent across two gateway instances on one PostgreSQL', { skip: unavailable ?? false }, () => {
  let t: TestGateway;
  let second: RunningGateway;
  let witnessDb: Awaited<ReturnType<typeof openDatabase>>;
  /** Where each instance really listens; both advertise t.gw.url. */
  let addrA: string;
  let addrB: string;

  before(async () => {
    t = await startTestGateway(postgresBackend);
    witnessDb = await openDatabase();
    const config = {
      ...readConfig({
        PROVISO_DATA: t.dataDir,
        DATABASE_URL: t.db.url!,
        PROVISO_PUBLIC_URL: t.gw.url,
        PROVISO_DEMO_WITNESS: 'false',
      }),
      port: 0,
      logLevel: 'silent',
    };
    second = await startGateway(config, { kek: t.kek, witnessDatabase: witnessDb });
    addrA = t.gw.url;
    addrB = `http://127.0.0.1:${(second.app.server.address() as AddressInfo).port}`;
    assert.notEqual(addrA, addrB);
    assert.equal(second.url, t.gw.url, 'both instances serve the same public URL');
  });
  after(async () => {
    await second?.close();
    await witnessDb?.close();
    await t?.close();
  });

  const path = (account: string) => `/banks/northwind/open-banking/v3.1/aisp/accounts/${account}/balances`;

  /** A balance read sent to one instance, with a proof for the public URL (htu) as a client behind a balancer would. */
  async function readOn(instance: string, l: Linked): Promise<Response> {
    const p = path(l.picked[0]!);
    return fetch(`${instance}${p}`, {
      headers: {
        authorization: `DPoP ${l.link.accessToken}`,
        dpop: await dpopProof(l.link.dpopKeys, 'GET', `${t.gw.url}${p}`, l.link.accessToken),
        'x-proviso-purpose': 'balance_inquiry',
      },
    });
  }

  async function refused(res: Response, slug: string, detail?: RegExp): Promise<void> {
    const body = (await res.json()) as Record<string, unknown>;
    assert.equal(res.status, 403, JSON.stringify(body));
    assert.equal(res.headers.get('content-type')?.split(';')[0], 'application/problem+json');
    assert.equal(body['type'], `urn:proviso:problem:${slug}`, JSON.stringify(body));
    if (detail) assert.match(String(body['detail']), detail);
  }

  test('a consent granted through A is served by B', async () => {
    const l = await linkCustomer(t);
    assert.equal((await readOn(addrB, l)).status, 200);
    assert.equal((await readOn(addrA, l)).status, 200);
  });

  test('revoked on the connected-apps page of A: B refuses the next call', async () => {
    const l = await linkCustomer(t);
    assert.equal((await readOn(addrB, l)).status, 200);
    // The customer, logged in at the bank (served by A), presses "Stop sharing".
    const page = await l.jar.fetch(`${addrA}/banks/northwind/connected-apps`);
    const html = await page.text();
    const csrf = field(html, 'csrf');
    const res = await l.jar.fetch(`${addrA}/banks/northwind/connected-apps/${l.link.consentId}/revoke`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ csrf }),
    });
    assert.equal(res.status, 303);
    // No wait, no retry: the very next call on the other instance.
    await refused(await readOn(addrB, l), 'consent-not-authorised', /revoked/);
    await refused(await readOn(addrA, l), 'consent-not-authorised', /revoked/);
  });

  test('revoked by the platform through B (DELETE): A refuses the next call', async () => {
    const l = await linkCustomer(t);
    assert.equal((await readOn(addrA, l)).status, 200);
    const p = `/banks/northwind/consents/${l.link.consentId}`;
    const del = await fetch(`${addrB}${p}`, {
      method: 'DELETE',
      headers: {
        authorization: `DPoP ${l.link.accessToken}`,
        dpop: await dpopProof(l.link.dpopKeys, 'DELETE', `${t.gw.url}${p}`, l.link.accessToken),
      },
    });
    assert.equal(del.status, 204);
    await refused(await readOn(addrA, l), 'consent-not-authorised', /revoked/);
  });

  test('expired: refused on B the moment it expires, and after the expiry job on A', async () => {
    const l = await linkCustomer(t);
    assert.equal((await readOn(addrB, l)).status, 200);
    await t.db.database
      .tables<{ consent: { id: string; expires_at: Date } }>()
      .updateTable('consent')
      .set({ expires_at: new Date(Date.now() - 1000) })
      .where('id', '=', l.link.consentId)
      .execute();
    await refused(await readOn(addrB, l), 'consent-expired');
    const jobs = await t.gw.consent.runJobs();
    assert.ok(jobs.expired >= 1);
    await refused(await readOn(addrB, l), 'consent-not-authorised', /expired/);
  });

  test("a customer's session from A works on B (sessions live in PostgreSQL too)", async () => {
    const l = await linkCustomer(t);
    const jar = new CookieJar();
    for (const c of l.jar.header().split('; ')) {
      const [k, v] = c.split('=');
      if (k && v) jar.store(new Response(null, { headers: { 'set-cookie': `${k}=${v}` } }));
    }
    const page = await jar.fetch(`${addrB}/banks/northwind/connected-apps`);
    assert.match(await page.text(), /Active \(\d+\)/);
  });
});
