// Checkout at the bank end to end over real HTTP, on every storage backend: a merchant's
// consent, the customer's approval, the payment booked once, the signed confirmation.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DEMO_MERCHANTS, verifyPaymentConfirmation } from '../../src/payments/index.ts';
import { storageBackends } from '../support/backends.ts';
import { startTestGateway, type TestGateway } from '../support/gateway.ts';
import { TestMerchant } from '../support/merchant.ts';
import { approvedConsent } from './flow.ts';

for (const backend of await storageBackends('checkout')) {
  describe(`checkout on ${backend.name}`, () => {
    let t: TestGateway;
    let m: TestMerchant;
    before(async () => {
      t = await startTestGateway(backend, 3);
      m = await TestMerchant.create(t, 'northwind', DEMO_MERCHANTS[0]!);
    });
    after(() => t.close());

    test('consent, approval, payment once, confirmation verified offline', async () => {
      const { consentId, token, approval } = await approvedConsent(t, m, '12.34', 'A-1001');
      const payment = {
        Data: { ConsentId: consentId, Initiation: m.initiation('12.34', 'A-1001') },
        Risk: { PaymentContextCode: 'EcommerceGoods' },
      };
      const first = await m.call('POST', '/domestic-payments', token, payment, { key: 'pay-1' });
      if (first.status !== 201) console.error(t.logs.filter((l) => l.includes('"level":50')).join('\n'));
      assert.equal(first.status, 201, first.text);
      const data = first.body['Data'] as Record<string, unknown>;
      assert.equal(data['Status'], 'AcceptedSettlementCompleted');
      const jwks = await (await fetch(`${t.gw.url}/banks/northwind/jwks.json`)).json();
      const claims = await verifyPaymentConfirmation(first.headers.get('x-proviso-payment-confirmation')!, {
        jwks: jwks as never,
        issuer: `${t.gw.url}/banks/northwind`,
        merchant: m.merchant.clientId,
      });
      assert.equal(claims.amount, '12.34');
      assert.equal(claims.order_reference, 'A-1001');
      assert.ok(approval.account);
    });
  });
}
