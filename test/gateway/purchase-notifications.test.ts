// Purchase notifications (issue #12): a card payment that the card processor sends through the
// ingest, and a transfer the bank books itself (the core's booked hook), reach the device of a
// customer with a transaction_notifications consent sealed to its key, as they happen, each
// release in the bank's log; a customer without that purpose gets nothing.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import type { TransactionNotice } from '../../src/gateway/purchase-notifications.ts';
import {
  exportX25519PublicKey,
  generateHpkeKeyPair,
  type JsonWebKeySet,
  openEnvelope,
  toBase64Url,
} from '../../src/seal/index.ts';
import { storageBackends } from '../support/backends.ts';
import { linkCustomer } from '../support/consent.ts';
import { startTestGateway, type TestGateway } from '../support/gateway.ts';

interface Push {
  recipient: string;
  mid: string;
  envelope: string;
}

async function until(cond: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.fail(`timed out waiting for ${what}`);
}

for (const backend of await storageBackends('purchase notifications')) {
  describe(`purchase notifications on ${backend.name}`, () => {
    let t: TestGateway;
    const pushes: Push[] = [];
    const relay = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => {
        body += c;
      });
      req.on('end', () => {
        for (const m of JSON.parse(body).entry[0].messaging)
          if (m.message)
            pushes.push({ recipient: m.recipient.id, mid: m.message.mid, envelope: m.message.envelope });
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    let device: CryptoKeyPair;
    let consentId: string;
    let jwks: JsonWebKeySet;
    let other: { id: string; username: string };
    before(async () => {
      t = await startTestGateway(backend, 3);
      await new Promise<void>((r) => relay.listen(0, '127.0.0.1', r));
      t.gw.connectRelay({
        url: `http://127.0.0.1:${(relay.address() as AddressInfo).port}/webhook`,
        secret: () => 'app-secret',
      });
      device = await generateHpkeKeyPair();
      consentId = (
        await linkCustomer(t, {
          purposes: ['transaction_notifications'],
          clusters: ['accounts', 'transactions'],
          deviceKey: toBase64Url(await exportX25519PublicKey(device.publicKey)),
        })
      ).link.consentId;
      const { rows } = await sql<{ id: string; username: string }>`
        select id, username from core_customer where bank_id = 'northwind' and username <> 'demo' order by id limit 1`.execute(
        t.db.database.tables(),
      );
      other = rows[0]!;
      // Another customer linked for balances only: no notifications.
      await linkCustomer(t, { username: other.username });
      jwks = (await (await fetch(`${t.gw.url}/banks/northwind/jwks.json`)).json()) as JsonWebKeySet;
    });
    after(async () => {
      relay.closeAllConnections();
      await new Promise<void>((r) => relay.close(() => r()));
      await t?.close();
    });

    const open = (envelope: string) =>
      openEnvelope<TransactionNotice>(envelope, {
        deviceKey: device,
        bankKeys: jwks,
        expect: { bankId: 'northwind', consentCommitment: consentId },
      });

    test('a card payment through the ingest reaches the device sealed, logged; not for a customer without the purpose', async () => {
      const core = t.gw.core('northwind');
      const demo = (await core.customerByUsername('demo'))!;
      const card = (await core.cards(demo.id)).find((c) => c.status === 'active')!;
      const otherCard = (await core.cards(other.id))[0]!;
      const payment = (id: string, cardId: string, customerId: string) => ({
        transactionId: id,
        bankId: 'northwind',
        cardId,
        customerId,
        terminalId: 'T-TESCO-1',
        merchantName: 'Tesco',
        mcc: '5411',
        country: 'GB',
        channel: 'contactless',
        amount: '12.40',
        currency: 'GBP',
        time: new Date().toISOString(),
      });
      const res = await fetch(`${t.gw.url}/banks/northwind/screening/authorisations`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${t.gw.ingestKeys.get('northwind')}`,
        },
        body: JSON.stringify({
          events: [
            payment('tesco-other-1', otherCard.id, other.id),
            payment('tesco-demo-1', card.id, demo.id),
          ],
        }),
      });
      assert.equal(res.status, 200, await res.clone().text());
      // Both are card payments in the core now.
      assert.equal((await core.transaction('tesco-demo-1'))?.status, 'pending');
      assert.equal((await core.transaction('tesco-other-1'))?.merchantName, 'Tesco');

      await until(() => pushes.some((p) => p.mid === 'txn-tesco-demo-1'), 'the notification at the relay');
      const push = pushes.find((p) => p.mid === 'txn-tesco-demo-1')!;
      assert.ok(!JSON.stringify(push).includes('Tesco'), 'sealed: the merchant is not in the clear');
      const opened = await open(push.envelope);
      assert.equal(opened.header.type, 'transaction_notification');
      assert.equal(opened.header.purpose, 'transaction_notifications');
      assert.deepEqual(opened.payload.amount, { amount: '12.40', currency: 'GBP' });
      assert.equal(opened.payload.merchant, 'Tesco');
      const kind = (await core.account(card.accountId))?.kind;
      assert.deepEqual(opened.payload.card, {
        type: kind === 'credit_card' ? 'Credit card' : 'Debit card',
        last4: card.last4,
      });
      // In the log, under its purpose, at the index the envelope names.
      const history = await t.gw.audit.history('northwind', demo.id);
      assert.ok(
        history.some((h) => h.kind === 'data.access' && h.purpose === 'transaction_notifications'),
        JSON.stringify(history.map((h) => [h.kind, h.purpose])),
      );

      // The other customer's payment: nothing queued, nothing pushed.
      await t.gw.outboxWorker.drain();
      assert.ok(!pushes.some((p) => p.mid === 'txn-tesco-other-1'));
      const left = await sql<{ n: number }>`select count(*)::int as n from outbox_message`.execute(
        t.db.database.tables(),
      );
      assert.equal(left.rows[0]?.n, 0);
    });

    test('a payment the bank books itself is announced through the core hook', async () => {
      const core = t.gw.core('northwind');
      const demo = (await core.customerByUsername('demo'))!;
      const account = (await core.accounts(demo.id))[0]!;
      const transaction = {
        id: 'transfer-demo-1',
        accountId: account.id,
        bookedAt: new Date(),
        status: 'booked' as const,
        amount: '250.00',
        creditDebit: 'Debit' as const,
        currency: 'GBP',
        description: 'To J Smith',
        merchantName: null,
        mcc: null,
        country: 'GB',
        channel: 'transfer' as const,
        category: 'transfer',
        cardId: null,
      };
      await t.db.database
        .tables<unknown>()
        .transaction()
        .execute(async (trx) => {
          await sql`insert into core_transaction (bank_id, id, account_id, booked_at, status, amount, credit_debit,
                      currency, description, country, channel, category)
                    values ('northwind', ${transaction.id}, ${account.id}, now(), 'booked', 250, 'Debit', 'GBP',
                      'To J Smith', 'GB', 'transfer', 'transfer')`.execute(trx);
          await t.gw.bookings.booked(trx, [{ bankId: 'northwind', customerId: demo.id, transaction }]);
        });
      await until(() => pushes.some((p) => p.mid === 'txn-transfer-demo-1'), 'the transfer notification');
      const opened = await open(pushes.find((p) => p.mid === 'txn-transfer-demo-1')!.envelope);
      assert.equal(opened.payload.merchant, null, 'a transfer has no merchant');
      assert.equal(opened.payload.category, 'transfer');
      assert.equal(opened.payload.direction, 'debit');
      assert.equal(opened.payload.card, undefined);
    });
  });
}
