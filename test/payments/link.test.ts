// Checkout through the customer's chat link (purpose checkout), on every storage backend: the
// funds attestation (a signed yes/no, never a balance, budgeted), the returning customer who
// approves with the one-time code alone, and the full receipt sealed to the device through
// the relay — opened only with the device key, logged first.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { sql } from 'kysely';
import { DEMO_MERCHANTS, PROBES_PER_DAY } from '../../src/payments/index.ts';
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
import { TestMerchant } from '../support/merchant.ts';
import { proof } from './dpop.ts';
import { approvedConsent } from './flow.ts';

const BANK = 'northwind';

/** A stand-in for the platform's relay webhook: keeps what the bank pushes. */
async function fakeRelay(): Promise<{ server: Server; url: string; bodies: Record<string, unknown>[] }> {
  const bodies: Record<string, unknown>[] = [];
  const server = createServer((req, res) => {
    let text = '';
    req.on('data', (c) => {
      text += c;
    });
    req.on('end', () => {
      bodies.push(JSON.parse(text) as Record<string, unknown>);
      res.writeHead(200).end('{}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhook`, bodies };
}

async function until<T>(probe: () => T | undefined, what: string): Promise<T> {
  for (let i = 0; i < 100; i++) {
    const value = probe();
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

for (const backend of await storageBackends('checkout link')) {
  describe(`checkout through the chat link on ${backend.name}`, () => {
    let t: TestGateway;
    let linked: Linked;
    /** A second link of the same customer, for purchase notifications. */
    let notified: Linked;
    let device: CryptoKeyPair;
    let relay: Awaited<ReturnType<typeof fakeRelay>>;
    let jwks: JsonWebKeySet;
    before(async () => {
      t = await startTestGateway(backend, 3);
      relay = await fakeRelay();
      t.gw.connectRelay({ url: relay.url, secret: () => 'test-secret' });
      device = await generateHpkeKeyPair();
      linked = await linkCustomer(t, {
        purposes: ['checkout'],
        clusters: ['payments'],
        deviceKey: toBase64Url(await exportX25519PublicKey(device.publicKey)),
      });
      jwks = (await (await fetch(`${t.gw.url}/banks/${BANK}/jwks.json`)).json()) as JsonWebKeySet;
      notified = await linkCustomer(t, {
        purposes: ['transaction_notifications'],
        clusters: ['transactions'],
      });
    });
    after(async () => {
      await t.close();
      relay.server.close();
    });

    async function attest(amount: string, currency = 'GBP'): Promise<Response> {
      const url = `${t.gw.url}/banks/${BANK}/checkout/funds-attestations`;
      return fetch(url, {
        method: 'POST',
        headers: {
          authorization: `DPoP ${linked.link.accessToken}`,
          dpop: await proof(linked.link.dpopKeys, 'POST', url, linked.link.accessToken),
          'x-proviso-purpose': 'checkout',
          'content-type': 'application/json',
        },
        body: JSON.stringify({ amount, currency }),
      });
    }

    test('funds attestation: a signed yes/no with the pairwise subject, never a balance; 5 a day', async () => {
      const first = await attest('1.00');
      const body = (await first.json()) as Record<string, unknown>;
      assert.equal(first.status, 200, JSON.stringify(body));
      assert.deepEqual(Object.keys(body).sort(), [
        'attestation',
        'expiresAt',
        'fundsAvailable',
        'logIndex',
        'probesLeft',
      ]);
      const claims = decodeJwt(String(body['attestation']));
      assert.equal(decodeProtectedHeader(String(body['attestation'])).typ, 'proviso-funds+jwt');
      assert.equal(claims.sub, linked.link.subject);
      assert.equal(claims['amount'], '1.00');
      assert.equal(claims['funds_available'], body['fundsAvailable']);
      assert.ok(Number(claims.exp) - Number(claims.iat) <= 120);
      assert.deepEqual(Object.keys(claims).sort(), [
        'amount',
        'aud',
        'currency',
        'exp',
        'funds_available',
        'iat',
        'iss',
        'jti',
        'log_index',
        'sub',
      ]);
      const { jwtVerify, createLocalJWKSet } = await import('jose');
      await jwtVerify(String(body['attestation']), createLocalJWKSet(jwks as never), {
        issuer: `${t.gw.url}/banks/${BANK}`,
      });
      for (let i = 1; i < PROBES_PER_DAY; i++) assert.equal((await attest('2.00')).status, 200);
      const over = await attest('3.00');
      assert.equal(over.status, 429);
      assert.equal(
        ((await over.json()) as Record<string, unknown>)['type'],
        'urn:proviso:problem:funds-check-budget-exhausted',
      );
      assert.ok(Number(over.headers.get('retry-after')) > 0);
    });

    test('a returning customer approves with the code alone; the sealed receipt reaches the device', async () => {
      const m = await TestMerchant.create(t, BANK, DEMO_MERCHANTS[1]!);
      const demo = (await t.gw.core(BANK).customerByUsername('demo'))!;
      const current = (await t.gw.core(BANK).accounts(demo.id)).find((a) => a.kind === 'current')!;
      await sql`update core_account set ledger_balance = 50, credit_limit = null where bank_id = ${BANK} and id = ${current.id}`.execute(
        t.db.database.tables(),
      );
      await sql`delete from core_transaction where bank_id = ${BANK} and account_id = ${current.id} and status = 'pending'`.execute(
        t.db.database.tables(),
      );
      await sql`update core_card set status = 'active' where bank_id = ${BANK} and account_id = ${current.id}`.execute(
        t.db.database.tables(),
      );
      const { consentId, token, approval } = await approvedConsent(t, m, '7.50', 'T-77', {
        jar: linked.jar,
        pick: (ids) => ids.find((id) => id === current.id),
      });
      assert.match(approval.pageHtml, /one-time code/i);
      assert.doesNotMatch(approval.pageHtml, /name="password"/, 'no password for a returning customer');
      const paid = await m.call('POST', '/domestic-payments', token, {
        Data: { ConsentId: consentId, Initiation: m.initiation('7.50', 'T-77') },
        Risk: { PaymentContextCode: 'EcommerceGoods' },
      });
      assert.equal(paid.status, 201, paid.text);
      const paymentId = String((paid.body['Data'] as Record<string, unknown>)['DomesticPaymentId']);
      const pushed = await until(
        () =>
          relay.bodies
            .flatMap((b) =>
              (b['entry'] as { messaging: Record<string, unknown>[] }[]).flatMap((e) => e.messaging),
            )
            .find((msg) => (msg['message'] as { mid?: string } | undefined)?.mid === `receipt-${paymentId}`),
        'the receipt push',
      );
      assert.deepEqual(pushed['recipient'], { id: linked.link.subject });
      const envelope = (pushed['message'] as { envelope: string }).envelope;
      assert.doesNotMatch(envelope, /T-77|Harbour/, 'the relay sees ciphertext only');
      const opened = await openEnvelope<Record<string, unknown>>(envelope, {
        deviceKey: device,
        bankKeys: jwks,
        expect: { bankId: BANK, consentCommitment: linked.link.consentId },
      });
      assert.equal(opened.header.type, 'receipt');
      assert.equal(opened.header.purpose, 'checkout');
      const receipt = opened.payload;
      assert.equal(receipt['order_number'], 'T-77');
      assert.equal(receipt['merchant_name'], 'Harbour Tea Co.');
      assert.equal((receipt['summary'] as Record<string, unknown>)['total_cost'], 7.5);
      assert.equal(receipt['bank_reference'], paymentId);
      assert.equal((receipt['paid_from'] as Record<string, unknown>)['account_id'], current.id);
      assert.equal(receipt['confirmation'], paid.headers.get('x-proviso-payment-confirmation'));
      // The core's booked hook: the debit is also a purchase notification to the customer's
      // transaction_notifications link (another device), as it happens.
      const debit = (await t.gw.core(BANK).transactions(current.id, { limit: 5 })).items.find((x) =>
        x.description.includes('T-77'),
      )!;
      const notice = await until(
        () =>
          relay.bodies
            .flatMap((b) =>
              (b['entry'] as { messaging: Record<string, unknown>[] }[]).flatMap((e) => e.messaging),
            )
            .find((msg) => (msg['message'] as { mid?: string } | undefined)?.mid === `txn-${debit.id}`),
        'the purchase notification',
      );
      assert.deepEqual(notice['recipient'], { id: notified.link.subject });
      // A refund: the money back, and a refund receipt sealed to the same device.
      const refund = await m.call(
        'POST',
        `/domestic-payments/${paymentId}/proviso-refunds`,
        await m.clientToken(),
        {
          Data: { Amount: { Amount: '2.50', Currency: 'GBP' }, Reference: 'T-77 part' },
        },
      );
      assert.equal(refund.status, 201, refund.text);
      const refundId = String((refund.body['Data'] as Record<string, unknown>)['RefundId']);
      const refundPush = await until(
        () =>
          relay.bodies
            .flatMap((b) =>
              (b['entry'] as { messaging: Record<string, unknown>[] }[]).flatMap((e) => e.messaging),
            )
            .find(
              (msg) => (msg['message'] as { mid?: string } | undefined)?.mid === `refund_receipt-${refundId}`,
            ),
        'the refund receipt push',
      );
      const refunded = await openEnvelope<Record<string, unknown>>(
        (refundPush['message'] as { envelope: string }).envelope,
        {
          deviceKey: device,
          bankKeys: jwks,
          expect: { bankId: BANK, consentCommitment: linked.link.consentId },
        },
      );
      assert.equal(refunded.header.type, 'refund_receipt');
      assert.equal(refunded.payload['status'], 'Refunded');
      assert.equal((refunded.payload['summary'] as Record<string, unknown>)['total_cost'], -2.5);
      // Every step of it is in the customer's log: funds checks, approval, execution, receipt.
      const kinds = (await t.gw.audit.history(BANK, demo.id)).map((e) => e.kind);
      for (const kind of [
        'payment.funds-check',
        'payment.initiated',
        'payment.authorised',
        'payment.executed',
        'payment.refunded',
        'payment.receipt',
      ])
        assert.ok(kinds.includes(kind as never), `${kind} in ${kinds.join(', ')}`);
    });

    test('connected apps list the payments made through the link, and stop future ones', async () => {
      const base = `${t.gw.url}/banks/${BANK}`;
      const page = await linked.jar.fetch(`${base}/connected-apps/${linked.link.consentId}`);
      const html = await page.text();
      assert.equal(page.status, 200, html);
      assert.match(html, /Payments through this app/);
      assert.match(html, /Harbour Tea Co\.<\/strong> — GBP 7\.50, order T-77, Paid/);
      const history = await (await linked.jar.fetch(`${base}/access-history`)).text();
      assert.match(
        history,
        /data-kind="payment.executed" data-platform="merchant-harbour-tea"[\s\S]*?A payment to [\s\S]{0,60}Harbour Tea Co\.[\s\S]{0,20} was made/,
      );
      assert.match(history, /Your bank sent a payment receipt to your device/);
      const csrf = /name="csrf" value="([^"]+)"/.exec(html)![1]!;
      const stop = await linked.jar.fetch(`${base}/connected-apps/${linked.link.consentId}/stop-checkout`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ csrf }),
      });
      assert.equal(stop.status, 303);
      const after = await attest('1.00');
      assert.equal(after.status, 403);
      assert.equal(
        ((await after.json()) as Record<string, unknown>)['type'],
        'urn:proviso:problem:checkout-stopped',
      );
      assert.match(
        await (await linked.jar.fetch(`${base}/connected-apps/${linked.link.consentId}`)).text(),
        /Stopped:/,
      );
    });
  });
}
