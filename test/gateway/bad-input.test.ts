// Route by route, from the served OpenAPI document: every kind of bad input gets a 4xx
// problem document, never a 500 and never a success.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { pgliteBackend } from '../support/backends.ts';
import { type DataAccess, dataAccess } from '../support/consent.ts';
import { startTestGateway, type TestGateway } from '../support/gateway.ts';

interface Operation {
  parameters?: {
    in: string;
    name: string;
    required?: boolean;
    schema: { type?: string; pattern?: string };
  }[];
  requestBody?: unknown;
}

let t: TestGateway;
let access: DataAccess;
let accountId: string;
let operations: { method: string; path: string; op: Operation }[];

before(async () => {
  t = await startTestGateway(pgliteBackend, 2);
  const demo = (await t.gw.core('northwind').customerByUsername('demo'))!;
  access = await dataAccess(t);
  accountId = (await t.gw.core('northwind').accounts(demo.id))[0]!.id;
  const doc = (await (await fetch(`${t.gw.url}/openapi.json`)).json()) as {
    paths: Record<string, Record<string, Operation>>;
  };
  operations = Object.entries(doc.paths).flatMap(([path, ops]) =>
    Object.entries(ops).map(([method, op]) => ({ method: method.toUpperCase(), path, op })),
  );
});
after(() => t.close());

/** A valid URL for the operation, with one part replaced. */
function url(path: string, replace: Record<string, string> = {}, query = ''): string {
  const filled = path.replace(/\{(\w+)\}/g, (_, name: string) => {
    if (name in replace) return encodeURIComponent(replace[name]!);
    return name === 'bankId' ? 'northwind' : name === 'accountId' ? accountId : 'x';
  });
  return `${t.gw.url}${filled}${query}`;
}

async function assertProblem(res: Response, what: string): Promise<void> {
  assert.ok(res.status >= 400 && res.status < 500, `${what}: status ${res.status}`);
  assert.match(res.headers.get('content-type') ?? '', /^application\/problem\+json/, what);
  const body = (await res.json()) as Record<string, unknown>;
  for (const field of ['type', 'title', 'status', 'detail'])
    assert.ok(body[field], `${what}: problem lacks ${field}`);
  assert.equal(body['status'], res.status);
  assert.notEqual(body['type'], 'about:blank');
}

const headers = (method: string, u: string) => access.headers(method, u);

test('every route rejects unknown query fields', async () => {
  assert.ok(operations.length >= 8);
  for (const { method, path } of operations) {
    const u = url(path, {}, '?surprise=1');
    const res = await fetch(u, { method, headers: await headers(method, u) });
    await assertProblem(res, `${method} ${path} ?surprise`);
  }
});

test('every path parameter rejects malformed values', async () => {
  for (const { method, path, op } of operations) {
    for (const p of (op.parameters ?? []).filter((p) => p.in === 'path')) {
      for (const bad of ['../etc', 'x'.repeat(300), 'UPPER CASE', '%00']) {
        const u = url(path, { [p.name]: bad });
        const res = await fetch(u, { method, headers: await headers(method, u) });
        await assertProblem(res, `${method} ${path} ${p.name}=${bad.slice(0, 10)}`);
      }
    }
  }
});

test('every typed query parameter rejects wrong types and out-of-range values', async () => {
  for (const { method, path, op } of operations) {
    for (const p of (op.parameters ?? []).filter((p) => p.in === 'query')) {
      const bads =
        p.schema.type === 'integer'
          ? ['-1', '0', 'ten', '1.5', '100000']
          : ['not a date', '2026-13-45', "'; drop table"];
      for (const bad of bads) {
        const u = url(path, {}, `?${p.name}=${encodeURIComponent(bad)}`);
        const res = await fetch(u, { method, headers: await headers(method, u) });
        await assertProblem(res, `${method} ${path} ${p.name}=${bad}`);
      }
    }
  }
});

test('bad dates, reversed ranges and forged cursors are named problems', async () => {
  const tx = `/banks/northwind/open-banking/v3.1/aisp/accounts/${accountId}/transactions`;
  const cases: [string, string][] = [
    ['?fromBookingDateTime=2026-02-30T10:00:00', 'bad-date'],
    ['?fromBookingDateTime=2026-02-31', 'bad-date'],
    ['?fromBookingDateTime=2026-10-10&toBookingDateTime=2026-10-01', 'bad-date-range'],
    ['?cursor=bm90LWEtY3Vyc29y', 'bad-cursor'],
    ['?page-size=-5', 'invalid-request'],
  ];
  for (const [query, slug] of cases) {
    const res = await fetch(`${t.gw.url}${tx}${query}`, {
      headers: await headers('GET', `${t.gw.url}${tx}`),
    });
    assert.equal(res.status, 400, query);
    const body = (await res.json()) as { type: string; detail: string };
    if (slug !== 'invalid-request' || body.type.endsWith('invalid-request'))
      assert.equal(body.type, `urn:proviso:problem:${slug}`, query);
    assert.ok(body.detail.length > 10);
  }
});

test('a huge body is refused with 413 and a malformed JSON body with 400, on any route', async () => {
  const big = JSON.stringify({ x: 'a'.repeat(200_000) });
  for (const { path } of operations.slice(0, 3)) {
    const res = await fetch(url(path), {
      method: 'POST',
      headers: { ...(await headers('POST', url(path))), 'content-type': 'application/json' },
      body: big,
    });
    await assertProblem(res, `POST ${path} huge`);
  }
  const res = await fetch(`${t.gw.url}/.well-known/proviso`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{"a":',
  });
  await assertProblem(res, 'malformed JSON');
});

test('unknown routes and methods are problem documents', async () => {
  await assertProblem(await fetch(`${t.gw.url}/nope`), 'unknown route');
  await assertProblem(await fetch(`${t.gw.url}/healthz`, { method: 'DELETE' }), 'unknown method');
  await assertProblem(
    await fetch(`${t.gw.url}/banks/nobank/open-banking/v3.1/aisp/accounts`, {
      headers: await headers('GET', `${t.gw.url}/banks/nobank/open-banking/v3.1/aisp/accounts`),
    }),
    'unknown bank',
  );
});
