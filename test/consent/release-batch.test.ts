// The release path's database work, batched (docs/performance.md, "Release path"): a DPoP
// proof's replay record commits with the release's log entry instead of on its own, and the
// token → consent row is cached and dropped on announcements. What must still hold:
//   - a replayed proof never releases data, on one instance or across two;
//   - a revocation holds from the next request on, everywhere, even where the cache has not
//     heard of it (the consent is re-read inside the logging transaction), and the refusal
//     names its reason;
//   - the cache and the in-memory replay set forget what they must.
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { GrantCache } from '../../src/consent/grant-cache.ts';
import { claimProofsInBatch, RecentProofs } from '../../src/consent/index.ts';
import { readConfig } from '../../src/gateway/config.ts';
import { type RunningGateway, startGateway } from '../../src/gateway/runtime.ts';
import { type Database, openDatabase } from '../../src/storage/index.ts';
import { postgresBackend, postgresSkip, storageBackends } from '../support/backends.ts';
import { dpopProof, type Linked, linkCustomer } from '../support/consent.ts';
import { startTestGateway, type TestGateway } from '../support/gateway.ts';

describe('in-memory parts', () => {
  test('RecentProofs refuses a second use, and forgets only after a proof can no longer be accepted', () => {
    let now = 1_000_000;
    const recent = new RecentProofs(() => now);
    assert.equal(recent.add('k', 'jti-1'), true);
    assert.equal(recent.add('k', 'jti-1'), false);
    assert.equal(recent.add('other-key', 'jti-1'), true, 'a jti is per key');
    now += 65_000; // first rotation: jti-1 moves to the older generation, still refused
    assert.equal(recent.add('k', 'jti-1'), false);
    now += 65_000; // second rotation: gone (its proof's iat is now over 60 s old anyway)
    assert.equal(recent.add('k', 'jti-1'), true);
  });

  test('GrantCache: drops by announcement, ignores a read that raced one, and expires', async () => {
    let now = 0;
    const fakeDb = { listen: async () => async () => {} } as unknown as Database;
    const cache = new GrantCache<string>(fakeDb, { ttlMs: 5_000, clock: () => now });
    assert.equal(await cache.listening(), true);
    cache.set('token-a', 'row-a', ['consent-1', 'token:hash-a'], cache.generation);
    cache.set('token-b', 'row-b', ['consent-1', 'token:hash-b'], cache.generation);
    cache.set('token-c', 'row-c', ['consent-2', 'token:hash-c'], cache.generation);
    assert.equal(cache.get('token-a'), 'row-a');
    cache.drop('consent-1');
    assert.equal(cache.get('token-a'), undefined);
    assert.equal(cache.get('token-b'), undefined);
    assert.equal(cache.get('token-c'), 'row-c', 'another consent is kept');
    cache.drop('token:hash-c');
    assert.equal(cache.get('token-c'), undefined, 'a deleted token is dropped by its hash');

    const generation = cache.generation; // a read starts…
    cache.drop('consent-3'); // …an announcement arrives meanwhile…
    cache.set('token-d', 'stale', ['consent-3'], generation); // …the read's result is not kept
    assert.equal(cache.get('token-d'), undefined);

    cache.set('token-e', 'row-e', ['consent-4'], cache.generation);
    now += 5_000;
    assert.equal(cache.get('token-e'), undefined, 'no entry outlives the TTL');
  });

  test('GrantCache caches nothing when announcements cannot be received', async () => {
    const deaf = {
      listen: async () => {
        throw new Error('no LISTEN here');
      },
    } as unknown as Database;
    assert.equal(await new GrantCache<string>(deaf).listening(), false);
  });
});

for (const backend of await storageBackends('replay records in the batch')) {
  describe(`replay records written with the batch on ${backend.name}`, () => {
    let db: Awaited<ReturnType<typeof backend.open>>;
    before(async () => {
      db = await backend.open(); // migrated
    });
    after(() => db.dispose());

    test('one statement records the batch; a pair already recorded, or twice in the batch, is refused', async () => {
      const expiresAt = new Date(Date.now() + 120_000);
      const rec = (jti: string) => ({ jkt: 'key-1', jti, expiresAt });
      await db.database
        .tables()
        .transaction()
        .execute((trx) => claimProofsInBatch(trx, [{ position: 0, replay: rec('used-before') }]));
      const refused = await db.database
        .tables()
        .transaction()
        .execute((trx) =>
          claimProofsInBatch(trx, [
            { position: 0, replay: rec('fresh-1') },
            { position: 1, replay: rec('used-before') },
            { position: 2, replay: rec('fresh-2') },
            { position: 3, replay: rec('fresh-1') },
          ]),
        );
      assert.deepEqual([...refused.keys()].sort(), [1, 3]);
      for (const error of refused.values())
        assert.equal((error as { slug?: string }).slug, 'dpop-proof-replayed');
      const rows = await sql<{
        jti: string;
      }>`select jti from consent_dpop_jti where jkt = 'key-1' order by jti`.execute(db.database.tables());
      assert.deepEqual(
        rows.rows.map((r) => r.jti),
        ['fresh-1', 'fresh-2', 'used-before'],
      );
    });
  });
}

const unavailable = await postgresSkip('replay and revocation across two gateway instances');

describe('across two gateway instances on one PostgreSQL', { skip: unavailable ?? false }, () => {
  let t: TestGateway;
  let second: RunningGateway;
  let witnessDb: Database;
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
  });
  after(async () => {
    await second?.close();
    await witnessDb?.close();
    await t?.close();
  });

  const path = (l: Linked) => `/banks/northwind/open-banking/v3.1/aisp/accounts/${l.picked[0]!}/balances`;
  const proofFor = (l: Linked) =>
    dpopProof(l.link.dpopKeys, 'GET', `${t.gw.url}${path(l)}`, l.link.accessToken);
  const readOn = (instance: string, l: Linked, proof: string) =>
    fetch(`${instance}${path(l)}`, {
      headers: {
        authorization: `DPoP ${l.link.accessToken}`,
        dpop: proof,
        'x-proviso-purpose': 'balance_inquiry',
      },
    });
  const logSize = () => t.gw.logs.get('northwind')!.size();

  async function problem(res: Response, status: number, slug: string): Promise<Record<string, unknown>> {
    const body = (await res.json()) as Record<string, unknown>;
    assert.equal(res.status, status, JSON.stringify(body));
    assert.equal(body['type'], `urn:proviso:problem:${slug}`, JSON.stringify(body));
    assert.equal(body['Data'], undefined, 'no account data in a refusal');
    return body;
  }

  test('a proof used on A is refused on B, which has never seen it, and releases nothing', async () => {
    const l = await linkCustomer(t);
    assert.equal((await readOn(addrB, l, await proofFor(l))).status, 200, 'B has the token cached');
    const proof = await proofFor(l);
    assert.equal((await readOn(addrA, l, proof)).status, 200);
    const size = await logSize();
    await problem(await readOn(addrB, l, proof), 401, 'dpop-proof-replayed');
    await problem(await readOn(addrA, l, proof), 401, 'dpop-proof-replayed');
    assert.equal(await logSize(), size, 'the replay was not logged as a release');
  });

  test('the same proof sent to both at once: exactly one answer carries data', async () => {
    const l = await linkCustomer(t);
    // Both instances have the token cached, so neither waits on a lookup the other does not.
    assert.equal((await readOn(addrA, l, await proofFor(l))).status, 200);
    assert.equal((await readOn(addrB, l, await proofFor(l))).status, 200);
    for (let round = 0; round < 5; round++) {
      const proof = await proofFor(l);
      const answers = await Promise.all([readOn(addrA, l, proof), readOn(addrB, l, proof)]);
      const statuses = answers.map((r) => r.status).sort();
      assert.deepEqual(statuses, [200, 401], `round ${round}`);
      const refused = answers.find((r) => r.status === 401)!;
      await problem(refused, 401, 'dpop-proof-replayed');
    }
  });

  test('revoked behind both caches (no announcement): the next call on either is refused by name', async () => {
    const l = await linkCustomer(t);
    assert.equal((await readOn(addrA, l, await proofFor(l))).status, 200);
    assert.equal((await readOn(addrB, l, await proofFor(l))).status, 200);
    // As if the announcement were lost: only the database row changes.
    await sql`update consent set status = 'revoked', revoked_at = now(), revoked_by = 'customer', version = version + 1 where id = ${l.link.consentId}`.execute(
      t.gw.database.tables(),
    );
    const size = await logSize();
    const onB = await problem(await readOn(addrB, l, await proofFor(l)), 403, 'consent-not-authorised');
    assert.match(String(onB['detail']), /revoked/);
    const onA = await problem(await readOn(addrA, l, await proofFor(l)), 403, 'consent-not-authorised');
    assert.match(String(onA['detail']), /revoked/);
    assert.equal(await logSize(), size, 'nothing was released, so nothing was logged');
  });
});
