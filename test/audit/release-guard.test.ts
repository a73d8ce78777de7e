// A release already past its authorisation when the consent ends is stopped by the consent
// re-check inside the transaction that logs it (one statement for the batch): the release
// is refused with ConsentEndedError, nothing of it is appended, and the other entries of the
// same batch are logged as usual. Both storage backends.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { ConsentEndedError } from '../../src/audit/index.ts';
import { storageBackends } from '../support/backends.ts';
import { dataAccess } from '../support/consent.ts';
import { startTestGateway, type TestGateway } from '../support/gateway.ts';

for (const backend of await storageBackends('release guard')) {
  describe(`release re-checks its consent in the logging transaction on ${backend.name}`, () => {
    let t: TestGateway;
    before(async () => {
      t = await startTestGateway(backend, 3);
    });
    after(() => t.close());

    const release = (consentId: string, customerId: string, released: string | null) =>
      t.gw.audit.record({
        bankId: 'northwind',
        customerId,
        pairwiseId: 'pairwise-test',
        consentId,
        platform: 'proviso-chat',
        kind: 'data.access',
        purpose: 'balance_inquiry',
        clusters: ['balances'],
        released: released === null ? null : Buffer.from(released),
      });

    const counts = async () => {
      const log = t.gw.logs.get('northwind')!;
      const rows = await sql<{
        n: string;
      }>`select count(*) as n from audit_entry where bank_id = 'northwind'`.execute(t.gw.database.tables());
      return { size: await log.size(), rows: Number(rows.rows[0]!.n) };
    };

    test('authorised: logged; ended meanwhile: refused, not appended, and the batch beside it logged', async () => {
      const access = await dataAccess(t);
      const consentId = access.link.consentId;
      const consent = await t.gw.consent.store.get(consentId);
      assert.ok(consent?.customerId);
      const customerId = consent.customerId;

      const first = await release(consentId, customerId, '{"balance":"1.00"}');
      assert.ok(Number.isInteger(first));

      // Another instance revokes it after this request was authorised: only the database row knows.
      await sql`update consent set status = 'revoked', revoked_at = now(), revoked_by = 'customer' where id = ${consentId}`.execute(
        t.gw.database.tables(),
      );
      const before = await counts();
      const [refused, unrelated, alsoRefused] = await Promise.allSettled([
        release(consentId, customerId, '{"balance":"2.00"}'),
        release(consentId, customerId, null), // not a release: a record of what happened, always logged
        release(consentId, customerId, '{"balance":"3.00"}'),
      ]);
      assert.equal(refused.status, 'rejected');
      assert.ok((refused as PromiseRejectedResult).reason instanceof ConsentEndedError);
      assert.equal(alsoRefused.status, 'rejected');
      assert.ok((alsoRefused as PromiseRejectedResult).reason instanceof ConsentEndedError);
      assert.equal(unrelated.status, 'fulfilled');
      const afterwards = await counts();
      assert.equal(afterwards.size, before.size + 1, 'only the non-release entry was appended');
      assert.equal(afterwards.rows, before.rows + 1, 'one audit row per appended entry');
      assert.equal((unrelated as PromiseFulfilledResult<number>).value, before.size);
      // The log is whole: every index has its entry.
      assert.ok(await t.gw.logs.get('northwind')!.entry(afterwards.size - 1));
    });

    test('over HTTP: a read after the row changed is refused and nothing is released', async () => {
      const access = await dataAccess(t);
      const url = `${t.gw.url}/banks/northwind/open-banking/v3.1/aisp/accounts/${access.picked[0]}/balances`;
      const ok = await fetch(url, { headers: await access.headers('GET', url) });
      assert.equal(ok.status, 200);
      await sql`update consent set status = 'revoked', revoked_at = now(), revoked_by = 'bank' where id = ${access.link.consentId}`.execute(
        t.gw.database.tables(),
      );
      const refused = await fetch(url, { headers: await access.headers('GET', url) });
      assert.equal(refused.status, 403);
      const body = (await refused.json()) as { type: string };
      assert.match(body.type, /consent/);
    });
  });
}
