// Control characters in OAuth parameters, unknown endpoints and JSON clients (issue 11,
// point 3): the authorization server answers every one in the RFC 6749 error format with
// the client's mistake named — never a server_error — and a browser gets the bank's page.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { pgliteBackend } from '../support/backends.ts';
import { startTestGateway, type TestGateway } from '../support/gateway.ts';

let t: TestGateway;
before(async () => {
  t = await startTestGateway(pgliteBackend, 1);
});
after(() => t.close());

const form = (path: string, body: string, accept = 'application/json') =>
  fetch(`${t.gw.url}/banks/northwind${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept },
    body,
  });

test('a NUL or control character in an OAuth parameter is an invalid_request naming it', async () => {
  const cases: [string, Promise<Response>, RegExp][] = [
    ['PAR', form('/request', 'client_id=a%00b&response_type=code'), /client_id/],
    ['token', form('/token', 'grant_type=authorization_code&code=a%01b'), /code/],
    ['revocation', form('/token/revocation', 'token=x%00'), /token/],
    [
      'authorization',
      fetch(`${t.gw.url}/banks/northwind/auth?client_id=a%00&request_uri=urn:x`, {
        headers: { accept: 'application/json' },
      }),
      /client_id/,
    ],
  ];
  for (const [name, pending, named] of cases) {
    const res = await pending;
    assert.equal(res.status, 400, name);
    const body = await res.json();
    assert.equal(body.error, 'invalid_request', name);
    assert.match(body.error_description, named, name);
  }
  // The server logged no failure of its own.
  assert.deepEqual(
    t.logs.filter((line) => /"level":50/.test(line)),
    [],
  );
});

test('a browser gets the bank page naming the OAuth error; a JSON client gets JSON', async () => {
  const page = await fetch(`${t.gw.url}/banks/northwind/auth?client_id=a%00`, {
    headers: { accept: 'text/html' },
  });
  assert.equal(page.status, 400);
  assert.match(page.headers.get('content-type') ?? '', /text\/html/);
  assert.match(await page.text(), /<code>invalid_request<\/code>/);
  const json = await fetch(`${t.gw.url}/banks/northwind/auth?client_id=nobody&request_uri=urn:x`, {
    headers: { accept: 'application/json' },
  });
  assert.ok(json.status >= 400 && json.status < 500, String(json.status));
  assert.equal(typeof (await json.json()).error, 'string');
});

test('an unknown endpoint or method of the authorization server is an OAuth error, a percent-encoded bank id works', async () => {
  const unknown = await form('/jwks', 'x=1');
  assert.equal(unknown.status, 404);
  assert.equal((await unknown.json()).error, 'invalid_request');
  const encoded = await fetch(
    `${t.gw.url}/banks/%6e%6f%72%74%68%77%69%6e%64/.well-known/openid-configuration`,
  );
  assert.equal(encoded.status, 200);
  assert.equal((await encoded.json()).issuer, `${t.gw.url}/banks/northwind`);
});
