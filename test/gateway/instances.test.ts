// PROVISO_INSTANCES: gateway processes sharing one port (SO_REUSEPORT) on one PostgreSQL. The
// first instance runs in this process, the second is forked exactly as `proviso start` forks
// it (src/cli/instances.ts); each ask goes over a new connection, so the kernel picks the
// instance. Both serve; a consent revoked through either is refused by both from the next ask.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { after, before, describe, test } from 'node:test';
import { type ExtraInstances, sharedFrom, startExtraInstances } from '../../src/cli/instances.ts';
import { ConfigError, readConfig } from '../../src/gateway/config.ts';
import { KeyEncryptionKey } from '../../src/keys/index.ts';
import { postgresBackend, postgresSkip } from '../support/backends.ts';
import { dpopProof, type Linked, linkCustomer } from '../support/consent.ts';
import { startTestGateway, type TestGateway } from '../support/gateway.ts';

describe('PROVISO_INSTANCES configuration', () => {
  test('above 1 is refused without PostgreSQL (the embedded database has one owner)', () => {
    assert.throws(() => readConfig({ PROVISO_INSTANCES: '2' }), ConfigError);
    assert.equal(readConfig({ PROVISO_INSTANCES: '2', DATABASE_URL: 'postgres://x/y' }).instances, 2);
    assert.equal(readConfig({}).instances, 1);
    assert.throws(() => readConfig({ PROVISO_INSTANCES: '0', DATABASE_URL: 'postgres://x/y' }), ConfigError);
  });
});

const unavailable = await postgresSkip('gateway instances sharing one port');

describe('two gateway processes on one port and one PostgreSQL', { skip: unavailable ?? false }, () => {
  let t: TestGateway;
  let extra: ExtraInstances;
  /** Asks the release path of the in-process instance began (passed or refused). */
  let servedHere = 0;

  before(async () => {
    const kek = randomBytes(32);
    t = await startTestGateway(postgresBackend, 5, {
      kek: KeyEncryptionKey.fromBytes(kek),
      config: { instances: 2 },
    });
    extra = await startExtraInstances(1, {
      ...sharedFrom(t.gw),
      env: {
        PROVISO_DATA: t.dataDir,
        DATABASE_URL: t.db.url!,
        PROVISO_KEK: kek.toString('base64url'),
        PROVISO_INSTANCES: '2',
        LOG_LEVEL: 'silent',
      },
    });
    t.gw.release.observe((step) => {
      if (step === 'authenticate') servedHere++;
    });
  });
  after(async () => {
    await extra?.close();
    await t?.close();
  });

  const path = (account: string) => `/banks/northwind/open-banking/v3.1/aisp/accounts/${account}/balances`;

  /** A balance ask over a connection of its own (no keep-alive): the kernel picks the instance. */
  async function askOnNewConnection(l: Linked): Promise<{ status: number; body: Record<string, unknown> }> {
    const url = `${t.gw.url}${path(l.picked[0]!)}`;
    const headers = {
      authorization: `DPoP ${l.link.accessToken}`,
      dpop: await dpopProof(l.link.dpopKeys, 'GET', url, l.link.accessToken),
      'x-proviso-purpose': 'balance_inquiry',
    };
    return new Promise((resolve, reject) => {
      const req = http.get(url, { headers, agent: false }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) }),
        );
      });
      req.on('error', reject);
    });
  }

  /** `n` asks one after another; how many the in-process instance began. */
  async function asks(l: Linked, n: number) {
    const before = servedHere;
    const answers = [];
    for (let i = 0; i < n; i++) answers.push(await askOnNewConnection(l));
    return { answers, here: servedHere - before };
  }

  test('both processes serve the port (the kernel spreads connections)', async () => {
    assert.equal(extra.pids.length, 1);
    assert.notEqual(extra.pids[0], process.pid);
    const l = await linkCustomer(t);
    const { answers, here } = await asks(l, 24);
    for (const a of answers) assert.equal(a.status, 200, JSON.stringify(a.body));
    assert.ok(here > 0, 'the first instance served some asks');
    assert.ok(here < answers.length, `the second instance served some asks (first: ${here} of 24)`);
  });

  test('revoked through the port: refused by both instances from the next ask', async () => {
    const l = await linkCustomer(t);
    assert.equal((await askOnNewConnection(l)).status, 200);
    const p = `/banks/northwind/consents/${l.link.consentId}`;
    const del = await fetch(`${t.gw.url}${p}`, {
      method: 'DELETE',
      headers: {
        authorization: `DPoP ${l.link.accessToken}`,
        dpop: await dpopProof(l.link.dpopKeys, 'DELETE', `${t.gw.url}${p}`, l.link.accessToken),
      },
    });
    assert.equal(del.status, 204);
    const { answers, here } = await asks(l, 24);
    for (const a of answers) {
      assert.equal(a.status, 403, JSON.stringify(a.body));
      assert.equal(a.body['type'], 'urn:proviso:problem:consent-not-authorised');
    }
    assert.ok(here > 0 && here < answers.length, `both instances refused (first: ${here} of 24)`);
  });
});
