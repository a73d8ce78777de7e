// The Account and Transaction API end to end over real HTTP, on every storage backend.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { storageBackends } from '../support/backends.ts';
import { type DataAccess, dataAccess } from '../support/consent.ts';
import { startTestGateway, type TestGateway } from '../support/gateway.ts';

const AISP = (bank: string) => `/banks/${bank}/open-banking/v3.1/aisp`;

for (const backend of await storageBackends('gateway accounts API')) {
  describe(`account API on ${backend.name}`, () => {
    let t: TestGateway;
    let access: DataAccess;
    let otherAccess: DataAccess;
    let demoId: string;
    before(async () => {
      t = await startTestGateway(backend);
      const core = t.gw.core('northwind');
      const demo = (await core.customerByUsername('demo'))!;
      demoId = demo.id;
      access = await dataAccess(t);
      const others = await t.db.database
        .tables<{ core_customer: { id: string; bank_id: string; username: string } }>()
        .selectFrom('core_customer')
        .select(['id', 'username'])
        .where('bank_id', '=', 'northwind')
        .where('username', '!=', 'demo')
        .executeTakeFirstOrThrow();
      otherAccess = await dataAccess(t, { username: others.username });
    });
    after(() => t.close());

    // Each call declares the purpose that needs it (see dataAccess); responses are projected to it.
    const get = async (path: string, who = access) => {
      const u = `${t.gw.url}${path}`;
      return fetch(u, { headers: await who.headers('GET', u) });
    };

    test('lists the customer’s accounts and no one else’s', async () => {
      const res = await get(`${AISP('northwind')}/accounts`);
      assert.equal(res.status, 200);
      const body = (await res.json()) as {
        Data: { Account: { AccountId: string; AccountSubType: string }[] };
      };
      const expected = await t.gw.core('northwind').accounts(demoId);
      assert.deepEqual(body.Data.Account.map((a) => a.AccountId).sort(), expected.map((a) => a.id).sort());
      assert.ok(body.Data.Account.some((a) => a.AccountSubType === 'CurrentAccount'));
    });

    test('balances match the bank core (balance_inquiry sees the available balance only)', async () => {
      const [account] = await t.gw.core('northwind').accounts(demoId);
      const res = await get(`${AISP('northwind')}/accounts/${account!.id}/balances`);
      assert.equal(res.status, 200);
      const body = (await res.json()) as {
        Data: { Balance: { Type: string; Amount: { Amount: string } }[] };
      };
      const core = await t.gw.core('northwind').balances(account!.id);
      assert.deepEqual(
        body.Data.Balance.map((b) => [b.Type, b.Amount.Amount]),
        core.filter((b) => b.type === 'InterimAvailable').map((b) => [b.type, b.amount]),
      );
    });

    test('transactions page through the whole history exactly once, newest first', async () => {
      const accounts = await t.gw.core('northwind').accounts(demoId);
      const current = accounts.find((a) => a.kind === 'current')!;
      const seen: string[] = [];
      let times: number[] = [];
      let next: string | undefined = `${AISP('northwind')}/accounts/${current.id}/transactions?page-size=7`;
      while (next) {
        const res = await get(next);
        assert.equal(res.status, 200);
        const body = (await res.json()) as {
          Data: { Transaction: { TransactionId: string; BookingDateTime: string }[] };
          Links: { Next?: string };
        };
        assert.ok(body.Data.Transaction.length <= 7);
        seen.push(...body.Data.Transaction.map((x) => x.TransactionId));
        times = times.concat(body.Data.Transaction.map((x) => Date.parse(x.BookingDateTime)));
        next = body.Links.Next
          ? new URL(body.Links.Next).pathname + new URL(body.Links.Next).search
          : undefined;
      }
      const all = await t.gw.core('northwind').transactions(current.id, { limit: 100_000 });
      assert.equal(seen.length, all.items.length);
      assert.equal(new Set(seen).size, seen.length);
      assert.deepEqual(
        [...times].sort((a, b) => b - a),
        times,
      );
    });

    test('a date range filters by booking time', async () => {
      const current = (await t.gw.core('northwind').accounts(demoId)).find((a) => a.kind === 'current')!;
      const res = await get(
        `${AISP('northwind')}/accounts/${current.id}/transactions?fromBookingDateTime=2026-10-10&toBookingDateTime=2026-10-12T23:59:59`,
      );
      assert.equal(res.status, 200);
      const body = (await res.json()) as { Data: { Transaction: { BookingDateTime: string }[] } };
      assert.ok(body.Data.Transaction.length > 0);
      for (const x of body.Data.Transaction) {
        assert.ok(x.BookingDateTime >= '2026-10-10' && x.BookingDateTime < '2026-10-13', x.BookingDateTime);
      }
    });

    test("customer B's token cannot read customer A's account", async () => {
      const [account] = await t.gw.core('northwind').accounts(demoId);
      const res = await get(`${AISP('northwind')}/accounts/${account!.id}/balances`, otherAccess);
      assert.equal(res.status, 403);
      assert.equal(res.headers.get('content-type'), 'application/problem+json; charset=utf-8');
      const problem = (await res.json()) as { type: string };
      assert.equal(problem.type, 'urn:proviso:problem:account-not-consented');
    });

    test('a token of one bank is not valid at another', async () => {
      const res = await get(`${AISP('fjord')}/accounts`);
      assert.equal(res.status, 401);
    });

    test('no token, a malformed token and an unknown token are 401 problems', async () => {
      for (const auth of [undefined, 'Basic abc', 'Bearer pvt_doesnotexist']) {
        const res = await fetch(`${t.gw.url}${AISP('northwind')}/accounts`, {
          headers: auth ? { authorization: auth } : {},
        });
        assert.equal(res.status, 401, String(auth));
        assert.match(res.headers.get('www-authenticate') ?? '', /^DPoP/);
        assert.match(res.headers.get('content-type') ?? '', /^application\/problem\+json/);
      }
    });

    test('logs carry no token, account number or amount', async () => {
      const accounts = await t.gw.core('northwind').accounts(demoId);
      for (const a of accounts) {
        await get(`${AISP('northwind')}/accounts/${a.id}/balances`);
        await get(`${AISP('northwind')}/accounts/${a.id}/transactions`);
      }
      await get(`${AISP('northwind')}/accounts`);
      const logText = t.logs.join('');
      assert.ok(t.logs.length > 5, 'the gateway logged requests');
      assert.ok(!logText.includes(access.link.accessToken), 'token in logs');
      assert.ok(!logText.includes('pvt_'), 'token prefix in logs');
      for (const a of accounts) {
        assert.ok(!logText.includes(a.identification), 'account number in logs');
        for (const b of await t.gw.core('northwind').balances(a.id)) {
          assert.ok(!logText.includes(`"${b.amount}"`), 'balance amount in logs');
        }
      }
    });
  });
}
