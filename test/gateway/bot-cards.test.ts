// What the bank bot tells the device about cards, credit cards and spending, over real HTTP:
// cards named by type ("Debit card"/"Credit card" from the account they draw on) with their
// status; a credit card's balance says what is owed and what is available; freezing without
// naming a card only lists them (the device confirms a choice); the debits for spending sums
// on the device are exactly the core's, within a bounded window.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { linkToJson } from '../../src/platform-client/index.ts';
import { dpopAuthorizer, type Json } from '../../src/relay/index.ts';
import {
  exportX25519PublicKey,
  generateHpkeKeyPair,
  type JsonWebKeySet,
  openEnvelope,
  toBase64Url,
} from '../../src/seal/index.ts';
import { pgliteBackend } from '../support/backends.ts';
import { type Linked, linkCustomer } from '../support/consent.ts';
import { startTestGateway, type TestGateway } from '../support/gateway.ts';

describe('bank bot: cards, credit cards, spending data', () => {
  let t: TestGateway;
  let device: CryptoKeyPair;
  let linked: Linked;
  let url: string;
  let jwks: JsonWebKeySet;

  before(async () => {
    t = await startTestGateway(pgliteBackend, 3);
    device = await generateHpkeKeyPair();
    linked = await linkCustomer(t, {
      purposes: ['balance_inquiry', 'transaction_notifications', 'fraud_alerts'],
      clusters: ['accounts', 'balances', 'card_controls', 'transactions'],
      deviceKey: toBase64Url(await exportX25519PublicKey(device.publicKey)),
    });
    url = `${t.gw.url}/banks/northwind/bot/events`;
    jwks = (await (await fetch(`${t.gw.url}/banks/northwind/jwks.json`)).json()) as JsonWebKeySet;
  });
  after(() => t?.close());

  async function ask(event: Record<string, unknown>): Promise<{ envelopes: string[]; text?: string }> {
    const auth = await dpopAuthorizer((await linkToJson(linked.link)) as unknown as Json, 'POST', url);
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...auth },
      body: JSON.stringify({ sender: { id: linked.link.subject }, ...event }),
    });
    assert.equal(res.status, 200, await res.clone().text());
    return (await res.json()) as { envelopes: string[]; text?: string };
  }
  const open = async <T>(envelope: string) =>
    openEnvelope<T>(envelope, {
      deviceKey: device,
      bankKeys: jwks,
      expect: { bankId: 'northwind', consentCommitment: linked.link.consentId },
    });
  const core = () => t.gw.core('northwind');
  const demo = async () => (await core().customerByUsername('demo'))!;
  const shared = async () =>
    (await core().accounts((await demo()).id)).filter((a) => linked.picked.includes(a.id));

  test('"show my cards" lists each shared card with its type and status', async () => {
    const body = await ask({ message: { text: 'show my cards' } });
    const opened = await open<{ cards: { id: string; type: string; last4: string; frozen: boolean }[] }>(
      body.envelopes[0]!,
    );
    assert.equal(opened.header.type, 'cards');
    const accounts = await shared();
    const cards = (await core().cards((await demo()).id)).filter((c) =>
      accounts.some((a) => a.id === c.accountId),
    );
    assert.ok(cards.length > 0);
    assert.equal(opened.payload.cards.length, cards.length);
    for (const c of cards) {
      const kind = accounts.find((a) => a.id === c.accountId)!.kind;
      const shown = opened.payload.cards.find((x) => x.id === c.id)!;
      assert.equal(shown.type, kind === 'credit_card' ? 'Credit card' : 'Debit card');
      assert.equal(shown.last4, c.last4);
      assert.equal(shown.frozen, c.status === 'frozen');
    }
  });

  test('freezing without naming a card only lists the cards; nothing changes', async () => {
    const before = (await core().cards((await demo()).id)).map((c) => c.status);
    const body = await ask({ postback: { payload: 'FREEZE_CARD' } });
    const opened = await open<{ text: string }>(body.envelopes[0]!);
    assert.equal(opened.payload.text, 'Which card should I freeze?');
    assert.deepEqual(
      (await core().cards((await demo()).id)).map((c) => c.status),
      before,
    );
  });

  test('a credit card balance says what is owed and what is available', async () => {
    const credit = (await shared()).find((a) => a.kind === 'credit_card');
    assert.ok(credit, "the link shares the demo customer's credit card");
    const body = await ask({ postback: { payload: 'BALANCE' } });
    const opened = await open<{
      accounts: { type: string; balance: { amount: string }; owed?: { amount: string } }[];
    }>(body.envelopes[0]!);
    const shown = opened.payload.accounts.find((a) => a.type === 'credit_card')!;
    const balances = await core().balances(credit.id);
    const booked = balances.find((b) => b.type === 'InterimBooked')!;
    const available = balances.find((b) => b.type === 'InterimAvailable')!;
    assert.equal(shown.owed?.amount, booked.creditDebit === 'Debit' ? booked.amount : '0.00');
    assert.equal(shown.balance.amount.replace('-', ''), available.amount);
  });

  test('spending data: exactly the core debits since the day asked; no more than 100 days back', async () => {
    const since = new Date(Date.now() - 30 * 86_400_000).toISOString().slice(0, 10);
    const body = await ask({ postback: { payload: `SPENDING_DATA:${since}` } });
    const opened = await open<{ since: string; transactions: { id: string; category: string }[] }>(
      body.envelopes[0]!,
    );
    assert.equal(opened.header.type, 'spending_data');
    assert.equal(opened.header.purpose, 'transaction_notifications');
    const from = new Date(`${since}T00:00:00Z`);
    const expected: string[] = [];
    for (const a of await shared()) {
      let after: string | undefined;
      do {
        const page = await core().transactions(a.id, { from, limit: 200, after });
        for (const tx of page.items) if (tx.creditDebit === 'Debit') expected.push(tx.id);
        after = page.next ?? undefined;
      } while (after);
    }
    assert.deepEqual(opened.payload.transactions.map((x) => x.id).sort(), expected.sort());
    const old = new Date(Date.now() - 200 * 86_400_000).toISOString().slice(0, 10);
    const refused = await ask({ postback: { payload: `SPENDING_DATA:${old}` } });
    assert.deepEqual(refused.envelopes, []);
    assert.match(refused.text ?? '', /at most the last 100 days/);
  });
});
