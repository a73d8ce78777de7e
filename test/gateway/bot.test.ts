// The bank bot over real HTTP: a linked demo customer's platform posts chat events with its
// DPoP-bound token; answers are envelopes only the consent's device key opens, each release
// in the bank's log first; refusals are problem documents or polite plain text.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { parseEntry } from '../../src/audit/index.ts';
import { linkToJson } from '../../src/platform-client/index.ts';
import { dpopAuthorizer, type Json } from '../../src/relay/index.ts';
import {
  exportX25519PublicKey,
  generateHpkeKeyPair,
  type JsonWebKeySet,
  openEnvelope,
  toBase64Url,
} from '../../src/seal/index.ts';
import { storageBackends } from '../support/backends.ts';
import { type Linked, linkCustomer } from '../support/consent.ts';
import { startTestGateway, type TestGateway } from '../support/gateway.ts';

for (const backend of await storageBackends('bank bot')) {
  describe(`bank bot on ${backend.name}`, () => {
    let t: TestGateway;
    let device: CryptoKeyPair;
    let linked: Linked;
    let url: string;
    let jwks: JsonWebKeySet;

    before(async () => {
      t = await startTestGateway(backend, 3);
      device = await generateHpkeKeyPair();
      linked = await linkCustomer(t, {
        purposes: ['balance_inquiry', 'fraud_alerts'],
        clusters: ['accounts', 'balances', 'card_controls', 'transactions'],
        deviceKey: toBase64Url(await exportX25519PublicKey(device.publicKey)),
      });
      url = `${t.gw.url}/banks/northwind/bot/events`;
      jwks = (await (await fetch(`${t.gw.url}/banks/northwind/jwks.json`)).json()) as JsonWebKeySet;
    });
    after(() => t?.close());

    async function post(body: unknown, link = linked.link): Promise<Response> {
      const auth = await dpopAuthorizer((await linkToJson(link)) as unknown as Json, 'POST', url);
      return fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...auth },
        body: JSON.stringify(body),
      });
    }
    const sender = () => ({ id: linked.link.subject });

    test('a balance answer opens only on the device, verified, and its release is in the log first', async () => {
      const res = await post({ sender: sender(), postback: { payload: 'BALANCE' } });
      assert.equal(res.status, 200);
      const raw = await res.text();
      const body = JSON.parse(raw) as { envelopes: string[]; text?: string };
      assert.equal(body.envelopes.length, 1);
      const opened = await openEnvelope<{ accounts: { name: string; balance: { amount: string } }[] }>(
        body.envelopes[0]!,
        {
          deviceKey: device,
          bankKeys: jwks,
          expect: { bankId: 'northwind', consentCommitment: linked.link.consentId },
        },
      );
      assert.equal(opened.header.type, 'balance');
      assert.equal(opened.header.purpose, 'balance_inquiry');
      // The figures are the bank core's, and they are not in the bytes the platform received.
      const core = t.gw.core('northwind');
      const demo = (await core.customerByUsername('demo'))!;
      for (const accountId of linked.picked) {
        const available = (await core.balances(accountId)).find((b) => b.type === 'InterimAvailable')!;
        assert.ok(
          opened.payload.accounts.some((a) => a.balance.amount.replace('-', '') === available.amount),
          `balance of ${accountId}`,
        );
        assert.ok(!raw.includes(available.amount), 'no plaintext figure in what the platform got');
      }
      // The entry at the envelope's log index records this release, by commitment only.
      const log = t.gw.logs.get('northwind')!;
      await log.waitForCheckpoint(opened.header.log + 1, { timeoutMs: 10_000 });
      const entry = parseEntry(await log.entry(opened.header.log));
      assert.equal(entry.kind, 'data.access');
      assert.equal(entry.purpose, 'balance_inquiry');
      assert.deepEqual(entry.clusters, ['balances']);
      assert.ok(!JSON.stringify(entry).includes(demo.id));
      assert.ok(!JSON.stringify(entry).includes(linked.link.consentId));
    });

    test('help and unknown text get plain text, no data', async () => {
      const res = await post({ sender: sender(), message: { text: 'tell me a joke' } });
      assert.equal(res.status, 200);
      const body = (await res.json()) as { envelopes: string[]; text: string };
      assert.deepEqual(body.envelopes, []);
      assert.match(body.text, /did not understand/);
    });

    test('a purpose the consent lacks is declined politely', async () => {
      const res = await post({ sender: sender(), postback: { payload: 'TRANSACTIONS' } });
      assert.equal(res.status, 200);
      const body = (await res.json()) as { envelopes: string[]; text: string };
      assert.deepEqual(body.envelopes, []);
      assert.match(body.text, /does not cover that/);
    });

    test('bad events are problem documents', async () => {
      const cases: [unknown, number, RegExp][] = [
        [{ sender: sender() }, 400, /message-or-postback/],
        [
          { sender: sender(), message: { text: 'hi' }, postback: { payload: 'BALANCE' } },
          400,
          /message-or-postback/,
        ],
        [{ sender: sender(), postback: { payload: 'BALANCE' }, extra: 1 }, 400, /invalid-request|validation/],
        [{ sender: sender(), postback: { payload: 'balance; drop' } }, 400, /invalid-request|validation/],
        [{ sender: { id: 'someone-else' }, postback: { payload: 'BALANCE' } }, 403, /sender-mismatch/],
      ];
      for (const [body, status, type] of cases) {
        const res = await post(body);
        assert.equal(res.status, status, JSON.stringify(body));
        assert.equal(res.headers.get('content-type'), 'application/problem+json; charset=utf-8');
        assert.match(((await res.json()) as { type: string }).type, type);
      }
      const noToken = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ sender: sender(), postback: { payload: 'BALANCE' } }),
      });
      assert.equal(noToken.status, 401);
    });

    test("a transaction's details open for the consented accounts only", async () => {
      const key = await generateHpkeKeyPair();
      const tx = await linkCustomer(t, {
        purposes: ['transaction_notifications'],
        clusters: ['accounts', 'transactions'],
        deviceKey: toBase64Url(await exportX25519PublicKey(key.publicKey)),
      });
      const ask = async (payload: string) =>
        (await (await post({ sender: { id: tx.link.subject }, postback: { payload } }, tx.link)).json()) as {
          envelopes: string[];
          text?: string;
        };
      const expect = { bankId: 'northwind', consentCommitment: tx.link.consentId };
      const list = await ask('TRANSACTIONS');
      const recent = await openEnvelope<{ transactions: { id: string }[] }>(list.envelopes[0]!, {
        deviceKey: key,
        bankKeys: jwks,
        expect,
      });
      const id = recent.payload.transactions[0]!.id;
      const detail = await ask(`TX_DETAIL:${id}`);
      const opened = await openEnvelope<{ transaction: { merchant: string } }>(detail.envelopes[0]!, {
        deviceKey: key,
        bankKeys: jwks,
        expect,
      });
      assert.equal(opened.header.type, 'transaction');
      const core = t.gw.core('northwind');
      assert.equal(opened.payload.transaction.merchant, (await core.transaction(id))!.merchantName);
      // Another customer's transaction reads as not found, with nothing released.
      const demoAccounts = await core.accounts((await core.customerByUsername('demo'))!.id);
      const otherCustomer = (await t.gw.database
        .tables<{ core_transaction: { id: string; account_id: string; bank_id: string } }>()
        .selectFrom('core_transaction')
        .select(['id', 'account_id'])
        .where('bank_id', '=', 'northwind')
        .where(
          'account_id',
          'not in',
          demoAccounts.map((a) => a.id),
        )
        .executeTakeFirst())!;
      const refused = await ask(`TX_DETAIL:${otherCustomer.id}`);
      assert.deepEqual(refused.envelopes, []);
      assert.match(refused.text ?? '', /could not find that transaction/);
    });

    test('after revocation the bot refuses by name', async () => {
      const other = await linkCustomer(t, {
        purposes: ['balance_inquiry'],
        clusters: ['accounts', 'balances'],
      });
      await t.gw.consent.revoke(other.link.consentId, 'customer');
      const res = await post(
        { sender: { id: other.link.subject }, postback: { payload: 'BALANCE' } },
        other.link,
      );
      assert.equal(res.status, 403);
      assert.match(((await res.json()) as { type: string }).type, /consent-not-authorised/);
    });
  });
}
