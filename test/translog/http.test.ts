import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { createHttpApp } from '../../src/http/index.ts';
import { openCheckpoint } from '../../src/translog/cosigned.ts';
import { translogRoutes } from '../../src/translog/http.ts';
import type { TransparencyLog } from '../../src/translog/log.ts';
import { hashLeaf, verifyConsistency, verifyInclusion } from '../../src/translog/merkle.ts';
import { auditLogFromTiles } from '../../src/translog/tile-client.ts';
import { httpTileFetcher } from '../../src/translog/verify.ts';
import { pgliteBackend, type TestDatabase } from '../support/backends.ts';
import { LOG_VKEY, testLog } from './support/log.ts';

describe('translog HTTP routes', () => {
  let t: TestDatabase;
  let log: TransparencyLog;
  let app: FastifyInstance;
  let base: string;
  before(async () => {
    t = await pgliteBackend.open();
    log = await testLog(t.database, { logId: 'acme' });
    for (let i = 0; i < 300; i++) await log.append(new TextEncoder().encode(`e${i}`));
    await log.waitForCheckpoint(300);
    app = await createHttpApp({ title: 't', version: '0', description: 't', logLevel: false });
    await app.register(translogRoutes, { resolveLog: (bank) => (bank === 'acme' ? log : undefined) });
    base = `${await app.listen({ host: '127.0.0.1', port: 0 })}/banks/acme/log`;
  });
  after(async () => {
    await app.close();
    await log.close();
    await t.dispose();
  });

  test('checkpoint is a signed note with a short cache', async () => {
    const res = await fetch(`${base}/checkpoint`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'text/plain; charset=utf-8');
    assert.equal(res.headers.get('cache-control'), 'public, max-age=1');
    assert.equal(openCheckpoint(await res.text(), { logKeys: [LOG_VKEY] }).checkpoint.size, 300);
  });

  test('the whole log verifies over HTTP from tiles alone', async () => {
    const cp = openCheckpoint(await (await fetch(`${base}/checkpoint`)).text(), {
      logKeys: [LOG_VKEY],
    }).checkpoint;
    const entries = await auditLogFromTiles(httpTileFetcher(base), cp.size, cp.root);
    assert.equal(new TextDecoder().decode(entries[299]), 'e299');
    const full = await fetch(`${base}/tile/0/000`);
    assert.equal(full.headers.get('cache-control'), 'public, max-age=31536000, immutable');
    assert.equal(full.headers.get('content-type'), 'application/octet-stream');
    assert.equal((await full.arrayBuffer()).byteLength, 8192);
    const partial = await fetch(`${base}/tile/entries/001.p/44`);
    assert.equal(partial.status, 200);
    assert.equal(partial.headers.get('cache-control'), 'public, max-age=31536000, immutable');
  });

  test('proof endpoints return proofs that verify', async () => {
    const cp = openCheckpoint(await (await fetch(`${base}/checkpoint`)).text(), {
      logKeys: [LOG_VKEY],
    }).checkpoint;
    const inc = await (await fetch(`${base}/proof/inclusion?index=7&size=300`)).json();
    verifyInclusion(
      7,
      300,
      hashLeaf(new TextEncoder().encode('e7')),
      inc.proof.map((p: string) => Buffer.from(p, 'base64')),
      cp.root,
    );
    const older = (await log.checkpoints())[1]!;
    const con = await (await fetch(`${base}/proof/consistency?from=${older.size}&to=300`)).json();
    verifyConsistency(
      older.size,
      300,
      con.proof.map((p: string) => Buffer.from(p, 'base64')),
      older.root,
      cp.root,
    );
  });

  test('bad input is a 4xx problem document', async () => {
    for (const [path, status] of [
      ['/tile/0/1', 400],
      ['/tile/0/x000/001', 400],
      ['/tile/0/005', 404],
      ['/tile/entries/001', 404],
      ['/proof/inclusion?index=300&size=300', 400],
      ['/proof/inclusion?index=1&size=301', 404],
      ['/proof/inclusion?index=-1&size=3', 400],
      ['/proof/inclusion?index=1', 400],
      ['/proof/inclusion?index=1&size=2&extra=1', 400],
      ['/proof/consistency?from=0&to=3', 400],
      ['/proof/consistency?from=a&to=3', 400],
    ] as const) {
      const res = await fetch(`${base}${path}`);
      assert.equal(res.status, status, path);
      assert.equal(res.headers.get('content-type'), 'application/problem+json; charset=utf-8', path);
      const doc = await res.json();
      for (const k of ['type', 'title', 'status', 'detail']) assert.ok(k in doc, `${path} ${k}`);
    }
    const other = await fetch(base.replace('acme', 'nobank') + '/checkpoint');
    assert.equal(other.status, 404);
    const bad = await fetch(base.replace('acme', 'Bad!') + '/checkpoint');
    assert.equal(bad.status, 400);
  });
});
