// The shared HTTP kit (src/http) turns a client's mistake into a 4xx problem document in
// every app: unstorable text anywhere in a request, requests Node's HTTP parser refuses,
// header values that would echo a hostile path.
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { createHttpApp, unauthorized } from '../../src/http/index.ts';

let app: FastifyInstance;
let port: number;
before(async () => {
  app = await createHttpApp({ title: 't', version: '0', description: 't', logLevel: false });
  app.post('/echo/:name', async (request) => ({ ok: true, body: request.body }));
  app.get(
    '/page',
    {
      schema: {
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { limit: { type: 'integer', minimum: 1, maximum: 500 } },
        },
      },
    },
    async (request) => ({ limit: (request.query as { limit?: number }).limit ?? null }),
  );
  app.get('/realm/:name', async (request) => {
    throw unauthorized('x', 'no', `Basic realm="${(request.params as { name: string }).name}"`);
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  port = (app.server.address() as { port: number }).port;
});
after(() => app.close());

test('a NUL or a lone surrogate in params, query or body is a 400 invalid-text problem naming where', async () => {
  const cases: [string, string | undefined, string][] = [
    ['/echo/a%00b', undefined, 'params/name'],
    ['/echo/a?q=%00', undefined, 'query/q'],
    ['/echo/a', '{"deep": {"list": ["ok", "bad\\u0000"]}}', 'body/deep/list[1]'],
    ['/echo/a', '{"x": "\\ud800"}', 'body/x'],
  ];
  for (const [path, body, where] of cases) {
    const res = await app.inject({
      method: 'POST',
      url: path,
      headers: { 'content-type': 'application/json' },
      payload: body ?? '{}',
    });
    assert.equal(res.statusCode, 400, path);
    assert.equal(res.json().type, 'urn:proviso:problem:invalid-text');
    assert.match(res.json().detail, new RegExp(where.replace(/[[\]]/g, '\\$&')));
  }
  const fine = await app.inject({ method: 'POST', url: '/echo/a', payload: { x: 'tab\tand é 😀' } });
  assert.equal(fine.statusCode, 200);
});

test('a number the validator coerces to Infinity is a 400 problem, not a database error', async () => {
  for (const value of ['1e400', '-1e400']) {
    const res = await app.inject({ method: 'GET', url: `/page?limit=${value}` });
    assert.equal(res.statusCode, 400, value);
    assert.match(res.json().type, /^urn:proviso:problem:(number-out-of-range|invalid-request)$/);
  }
  assert.equal((await app.inject({ method: 'GET', url: '/page?limit=5' })).json().limit, 5);
});

test('a challenge echoing a hostile path parameter stays a 401, not a 500', async () => {
  const res = await fetch(`http://127.0.0.1:${port}/realm/%F0%9F%98%80%0A`);
  assert.equal(res.status, 401);
  assert.equal((await res.json()).type, 'urn:proviso:problem:x');
});

test('headers too large for the HTTP parser: a 431 problem document', async () => {
  const answer = await new Promise<string>((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.write(`GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
    });
    let text = '';
    socket.on('data', (chunk) => {
      text += String(chunk);
    });
    socket.on('end', () => resolve(text));
    socket.on('error', reject);
  });
  assert.match(answer, /^HTTP\/1\.1 431 /);
  assert.match(answer, /content-type: application\/problem\+json/i);
  assert.match(answer, /"type":"urn:proviso:problem:headers-too-large"/);
});
