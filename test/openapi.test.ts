// The served OpenAPI document is valid OpenAPI 3.1 and describes every route we serve.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { validate } from '@readme/openapi-parser';
import { pgliteBackend } from './support/backends.ts';
import { startTestGateway, type TestGateway } from './support/gateway.ts';

let t: TestGateway;
before(async () => {
  t = await startTestGateway(pgliteBackend, 1);
});
after(() => t.close());

test('/openapi.json validates as OpenAPI 3.1', async () => {
  const doc = (await (await fetch(`${t.gw.url}/openapi.json`)).json()) as {
    openapi: string;
    paths: Record<string, unknown>;
  };
  assert.equal(doc.openapi, '3.1.0');
  const result = await validate(structuredClone(doc) as never);
  assert.ok(result.valid, JSON.stringify(result, null, 1).slice(0, 2000));
  for (const path of [
    '/.well-known/proviso',
    '/banks/{bankId}/jwks.json',
    '/banks/{bankId}/open-banking/v3.1/aisp/accounts',
    '/banks/{bankId}/open-banking/v3.1/aisp/accounts/{accountId}/transactions',
    '/healthz',
    '/readyz',
    '/metrics',
  ]) {
    assert.ok(doc.paths[path], `OpenAPI lacks ${path}`);
  }
});

test('the discovery document matches its published schema', async () => {
  const doc = (await (await fetch(`${t.gw.url}/.well-known/proviso`)).json()) as {
    banks: { id: string; jwks_uri: string }[];
  };
  assert.deepEqual(
    doc.banks.map((b) => b.id),
    ['northwind', 'fjord'],
  );
  for (const b of doc.banks) {
    const jwks = (await (await fetch(b.jwks_uri)).json()) as {
      keys: { kid: string; kty: string; d?: string }[];
    };
    assert.ok(jwks.keys.length >= 3);
    assert.ok(
      jwks.keys.every((k) => k.d === undefined),
      'no private key material in a JWKS',
    );
  }
});

test('the API reference page is served', async () => {
  const res = await fetch(`${t.gw.url}/docs`);
  assert.equal(res.status, 200);
  assert.match(await res.text(), /openapi\.json/);
});

test('health, readiness and metrics answer', async () => {
  assert.equal((await fetch(`${t.gw.url}/healthz`)).status, 200);
  const ready = (await (await fetch(`${t.gw.url}/readyz`)).json()) as {
    status: string;
    checks: Record<string, string>;
  };
  assert.equal(ready.status, 'ok');
  assert.equal(ready.checks['database'], 'ok');
  const metrics = await (await fetch(`${t.gw.url}/metrics`)).text();
  assert.match(metrics, /http_request_duration_seconds_bucket/);
});
