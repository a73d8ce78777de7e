// The connected-apps login form's CSRF token is bound to a pre-session (issue 11, point 7):
// a random cookie set with the form, the token an HMAC of it. Two browsers get two tokens,
// a token is good only with its own cookie, and a failed attempt starts a new pre-session.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { pgliteBackend } from '../support/backends.ts';
import { CookieJar, field } from '../support/consent.ts';
import { startTestGateway, type TestGateway } from '../support/gateway.ts';

let t: TestGateway;
before(async () => {
  t = await startTestGateway(pgliteBackend, 1);
});
after(() => t.close());

const loginPage = async (jar: CookieJar) => {
  const page = await jar.fetch(`${t.gw.url}/banks/northwind/connected-apps`);
  assert.equal(page.status, 200);
  return field(await page.text(), 'csrf');
};
const login = (jar: CookieJar, csrf: string) =>
  jar.fetch(`${t.gw.url}/banks/northwind/connected-apps/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ csrf, username: 'demo', password: 'wrong', otp: '000000' }),
  });

test('each browser gets its own login token, good only with its own pre-session cookie', async () => {
  const alice = new CookieJar();
  const mallory = new CookieJar();
  const aliceToken = await loginPage(alice);
  const malloryToken = await loginPage(mallory);
  assert.notEqual(aliceToken, malloryToken);
  assert.match(alice.header(), /proviso_pre_northwind=/);
  // The same browser reloading keeps its pre-session and its token.
  assert.equal(await loginPage(alice), aliceToken);

  // Mallory's token in Alice's browser (a cross-site login form) is refused.
  const forged = await login(alice, malloryToken);
  assert.equal(forged.status, 403);
  assert.equal((await forged.json()).type, 'urn:proviso:problem:csrf');
  // No pre-session cookie at all: refused.
  const bare = await fetch(`${t.gw.url}/banks/northwind/connected-apps/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ csrf: aliceToken, username: 'demo', password: 'x', otp: '0' }),
  });
  assert.equal(bare.status, 403);

  // Alice's own token passes the check (then fails on the wrong password) and rotates.
  const attempt = await login(alice, aliceToken);
  assert.equal(attempt.status, 401);
  const next = field(await attempt.text(), 'csrf');
  assert.notEqual(next, aliceToken);
  assert.equal((await login(alice, aliceToken)).status, 403, 'the used token is gone with its pre-session');
});

test('a malformed cookie reads as none: the page is served, never a 5xx', async () => {
  for (const cookie of ['proviso_pre_northwind=%', 'proviso_bank_northwind=%E0%A4%A', '%%%=%%%; a', '=']) {
    const res = await fetch(`${t.gw.url}/banks/northwind/connected-apps`, { headers: { cookie } });
    assert.equal(res.status, 200, cookie);
    await res.text();
  }
});
