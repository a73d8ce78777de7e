// The consent re-check and the DPoP replay records of a log batch in one statement
// (admitReleasesInBatch): consents that ended are reported (their releases are withheld) and
// burn no replay record; a pair recorded before, or twice in the batch, is refused; entries
// that are not releases are claimed whatever their consent. Both storage backends.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { admitReleasesInBatch } from '../../src/consent/index.ts';
import { storageBackends } from '../support/backends.ts';
import { insertAuthorisedConsents } from '../support/consent-rows.ts';

for (const backend of await storageBackends('release admission')) {
  describe(`consent re-check and replay records in one statement on ${backend.name}`, () => {
    let db: Awaited<ReturnType<typeof backend.open>>;
    before(async () => {
      db = await backend.open(); // migrated
      await sql`insert into bank (id, name) values ('admit-bank', 'Admit Bank')`.execute(
        db.database.tables(),
      );
      await insertAuthorisedConsents(db.database, 'admit-bank', [
        { id: 'consent-live', customerId: 'customer-1' },
        { id: 'consent-ended', customerId: 'customer-1' },
      ]);
      await sql`update consent set status = 'revoked' where id = 'consent-ended'`.execute(
        db.database.tables(),
      );
    });
    after(() => db.dispose());

    const jtis = async () =>
      (
        await sql<{ jti: string }>`select jti from consent_dpop_jti where jkt = 'key-a' order by jti`.execute(
          db.database.tables(),
        )
      ).rows.map((r) => r.jti);

    test('ended consents withheld without a record; replays refused; the rest recorded', async () => {
      const expiresAt = new Date(Date.now() + 120_000);
      const rec = (jti: string) => ({ jkt: 'key-a', jti, expiresAt });
      const admit = (claims: Parameters<typeof admitReleasesInBatch>[2], ids: string[]) =>
        db.database
          .tables()
          .transaction()
          .execute((trx) => admitReleasesInBatch(trx, ids, claims, new Date()));

      const earlier = await admit(
        [{ position: 0, consentId: 'consent-live', replay: rec('used-before') }],
        ['consent-live'],
      );
      assert.equal(earlier.refused.size, 0);

      const result = await admit(
        [
          { position: 0, consentId: 'consent-live', replay: rec('fresh-1') },
          { position: 1, consentId: 'consent-live', replay: rec('used-before') },
          { position: 2, consentId: 'consent-ended', replay: rec('ended-1') },
          { position: 3, consentId: 'consent-live', replay: rec('fresh-1') },
          { position: 4, consentId: null, replay: rec('not-a-release') },
        ],
        ['consent-live', 'consent-ended', 'consent-unknown'],
      );
      assert.deepEqual([...result.live], ['consent-live']);
      assert.deepEqual([...result.refused.keys()].sort(), [1, 3]);
      for (const error of result.refused.values())
        assert.equal((error as { slug?: string }).slug, 'dpop-proof-replayed');
      assert.deepEqual(await jtis(), ['fresh-1', 'not-a-release', 'used-before']);
    });

    test('only consents, or only claims, or neither', async () => {
      const onlyConsents = await db.database
        .tables()
        .transaction()
        .execute((trx) => admitReleasesInBatch(trx, ['consent-live', 'consent-ended'], [], new Date()));
      assert.deepEqual([...onlyConsents.live], ['consent-live']);
      const expiresAt = new Date(Date.now() + 120_000);
      const onlyClaims = await db.database
        .tables()
        .transaction()
        .execute((trx) =>
          admitReleasesInBatch(
            trx,
            [],
            [{ position: 7, consentId: null, replay: { jkt: 'key-a', jti: 'claim-only', expiresAt } }],
            new Date(),
          ),
        );
      assert.equal(onlyClaims.refused.size, 0);
      assert.ok((await jtis()).includes('claim-only'));
      const neither = await admitReleasesInBatch(db.database.tables(), [], [], new Date());
      assert.equal(neither.live.size + neither.refused.size, 0);
    });
  });
}
