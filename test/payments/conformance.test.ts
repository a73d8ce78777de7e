// Every payment resource the bank serves, validated against the official UK Open Banking PIS
// v3.1.11 OpenAPI file (test/fixtures/uk-open-banking): consents in each state, the funds
// confirmation, payments completed and rejected, and the request bodies the bank takes.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import { sql } from 'kysely';
import { DEMO_MERCHANTS } from '../../src/payments/index.ts';
import { pgliteBackend } from '../support/backends.ts';
import { startTestGateway, type TestGateway } from '../support/gateway.ts';
import { TestMerchant } from '../support/merchant.ts';
import { fixturePath } from '../support/shared.ts';
import { approveAtBank, approvedConsent } from './flow.ts';

const spec = JSON.parse(
  readFileSync(fixturePath('uk-open-banking', 'payment-initiation-openapi.v3.1.11r5.json'), 'utf8'),
);
const ajv = new Ajv({ strict: false, allErrors: true });
addFormats.default(ajv);
ajv.addSchema(spec, 'pis.json');
const validator = (name: string) => ajv.compile({ $ref: `pis.json#/components/schemas/${name}` });

function assertValid(name: string, body: unknown): void {
  const validate = validator(name);
  assert.ok(validate(body), `${name}: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(body)}`);
}

let t: TestGateway;
let m: TestMerchant;
const seen = new Set<string>();
before(async () => {
  t = await startTestGateway(pgliteBackend, 3);
  m = await TestMerchant.create(t, 'northwind', DEMO_MERCHANTS[0]!);
  const demo = (await t.gw.core('northwind').customerByUsername('demo'))!;
  await sql`update core_account set ledger_balance = 100, credit_limit = null where bank_id = 'northwind' and customer_id = ${demo.id}`.execute(
    t.db.database.tables(),
  );
  await sql`delete from core_transaction where bank_id = 'northwind' and status = 'pending'
    and account_id in (select id from core_account where bank_id = 'northwind' and customer_id = ${demo.id})`.execute(
    t.db.database.tables(),
  );
  await sql`update core_card set status = 'active' where bank_id = 'northwind' and customer_id = ${demo.id}`.execute(
    t.db.database.tables(),
  );
});
after(() => t.close());

const initiation = (amount: string, order: string) => ({
  ...m.initiation(amount, order),
  SupplementaryData: {
    proviso_receipt: { elements: [{ title: 'A book', quantity: 1, price: Number(amount) }] },
  },
});

test('consent requests and responses in every state conform (OBWriteDomesticConsent4 / Response5)', async () => {
  const body = {
    Data: { Initiation: initiation('9.99', 'C-1') },
    Risk: { PaymentContextCode: 'EcommerceGoods' },
  };
  assertValid('OBWriteDomesticConsent4', body);
  const cc = await m.clientToken();
  const created = await m.call('POST', '/domestic-payment-consents', cc, body);
  assert.equal(created.status, 201, created.text);
  assertValid('OBWriteDomesticConsentResponse5', created.body);
  seen.add('AwaitingAuthorisation');
  const id = String((created.body['Data'] as Record<string, unknown>)['ConsentId']);
  // Declined → Rejected.
  const pending = await m.authorize(id, '9.99');
  await approveAtBank(t, pending.url, { decision: 'decline' });
  const rejected = await m.call('GET', `/domestic-payment-consents/${id}`, cc);
  assertValid('OBWriteDomesticConsentResponse5', rejected.body);
  assert.equal((rejected.body['Data'] as Record<string, unknown>)['Status'], 'Rejected');
  seen.add('Rejected');
});

test('an authorised consent, its funds confirmation, the payment and the consumed consent conform', async () => {
  const consentId = await m.createConsent('5.00', 'P-1', {
    SupplementaryData: { proviso_receipt: { elements: [{ title: 'A book', quantity: 1, price: 5 }] } },
  });
  const pending = await m.authorize(consentId, '5.00');
  const approval = await approveAtBank(t, pending.url);
  const token = await m.redeem(approval.callback, pending);
  const cc = await m.clientToken();
  const authorised = await m.call('GET', `/domestic-payment-consents/${consentId}`, cc);
  assertValid('OBWriteDomesticConsentResponse5', authorised.body);
  assert.equal((authorised.body['Data'] as Record<string, unknown>)['Status'], 'Authorised');
  const funds = await m.call('GET', `/domestic-payment-consents/${consentId}/funds-confirmation`, token);
  assert.equal(funds.status, 200, funds.text);
  assertValid('OBWriteFundsConfirmationResponse1', funds.body);
  const payment = {
    Data: {
      ConsentId: consentId,
      Initiation: {
        ...m.initiation('5.00', 'P-1'),
        SupplementaryData: { proviso_receipt: { elements: [{ title: 'A book', quantity: 1, price: 5 }] } },
      },
    },
    Risk: { PaymentContextCode: 'EcommerceGoods' },
  };
  assertValid('OBWriteDomestic2', payment);
  const paid = await m.call('POST', '/domestic-payments', token, payment);
  assert.equal(paid.status, 201, paid.text);
  assertValid('OBWriteDomesticResponse5', paid.body);
  const paymentId = String((paid.body['Data'] as Record<string, unknown>)['DomesticPaymentId']);
  assertValid('OBWriteDomesticResponse5', (await m.call('GET', `/domestic-payments/${paymentId}`, cc)).body);
  const consumed = await m.call('GET', `/domestic-payment-consents/${consentId}`, cc);
  assertValid('OBWriteDomesticConsentResponse5', consumed.body);
  assert.equal((consumed.body['Data'] as Record<string, unknown>)['Status'], 'Consumed');
  seen.add('Authorised').add('Consumed');
});

test('a rejected payment conforms (OBWriteDomesticResponse5, Status Rejected)', async () => {
  const { consentId, token } = await approvedConsent(t, m, '9999.00', 'N-1');
  const refused = await m.call('POST', '/domestic-payments', token, {
    Data: { ConsentId: consentId, Initiation: m.initiation('9999.00', 'N-1') },
    Risk: { PaymentContextCode: 'EcommerceGoods' },
  });
  assert.equal(refused.status, 422, refused.text);
  const read = await m.call(
    'GET',
    `/domestic-payments/${String(refused.body['DomesticPaymentId'])}`,
    await m.clientToken(),
  );
  assertValid('OBWriteDomesticResponse5', read.body);
  assert.equal((read.body['Data'] as Record<string, unknown>)['Status'], 'Rejected');
});

test('every consent state was validated, and the validator is not vacuous', () => {
  assert.deepEqual([...seen].sort(), ['Authorised', 'AwaitingAuthorisation', 'Consumed', 'Rejected']);
  const validate = validator('OBWriteDomesticResponse5');
  assert.equal(validate({ Data: { DomesticPaymentId: 'x', Status: 'Paid' } }), false);
});
