// Checkout at the bank end to end over real HTTP, on every storage backend: a merchant's
// consent, the customer's approval at the bank, the payment booked once, the signed
// confirmation — and every failure a shopper meets, each with its specific problem type.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { sql } from 'kysely';
import {
  DEMO_MERCHANTS,
  verifyPaymentConfirmation,
  verifyRefundConfirmation,
} from '../../src/payments/index.ts';
import { storageBackends } from '../support/backends.ts';
import { startTestGateway, type TestGateway } from '../support/gateway.ts';
import { TestMerchant } from '../support/merchant.ts';
import { approveAtBank, approvedConsent } from './flow.ts';

const BANK = 'northwind';
const risk = { PaymentContextCode: 'EcommerceGoods' };

function problem(res: { status: number; body: Record<string, unknown> }, status: number, slug: string) {
  assert.equal(res.status, status, JSON.stringify(res.body));
  assert.equal(res.body['type'], `urn:proviso:problem:${slug}`, JSON.stringify(res.body));
}

for (const backend of await storageBackends('checkout')) {
  describe(`checkout on ${backend.name}`, () => {
    let t: TestGateway;
    let m: TestMerchant;
    let jwks: { keys: unknown[] };
    let demoId: string;
    const issuer = () => `${t.gw.url}/banks/${BANK}`;
    const db = () => t.db.database.tables<Record<string, Record<string, unknown>>>();

    /** The demo customer's first current account, with a known balance and no card frozen. */
    async function resetAccount(balance: string): Promise<string> {
      const accounts = await t.gw.core(BANK).accounts(demoId);
      const current = accounts.find((a) => a.kind === 'current')!;
      await sql`update core_account set ledger_balance = ${balance}::numeric, credit_limit = null, blocked = false
        where bank_id = ${BANK} and id = ${current.id}`.execute(db());
      await sql`delete from core_transaction where bank_id = ${BANK} and account_id = ${current.id} and status = 'pending'`.execute(
        db(),
      );
      await sql`update core_card set status = 'active' where bank_id = ${BANK} and account_id = ${current.id}`.execute(
        db(),
      );
      return current.id;
    }
    const pick = (id: string) => (ids: string[]) => ids.find((x) => x === id);
    const payBody = (consentId: string, amount: string, order: string) => ({
      Data: { ConsentId: consentId, Initiation: m.initiation(amount, order) },
      Risk: risk,
    });

    before(async () => {
      t = await startTestGateway(backend, 3);
      m = await TestMerchant.create(t, BANK, DEMO_MERCHANTS[0]!);
      jwks = (await (await fetch(`${issuer()}/jwks.json`)).json()) as { keys: unknown[] };
      demoId = (await t.gw.core(BANK).customerByUsername('demo'))!.id;
    });
    after(() => t.close());
    let accountId: string;
    beforeEach(async () => {
      accountId = await resetAccount('100.00');
    });

    test('approved and paid once: double submit charged once, booked in the core and the transaction list', async () => {
      const { consentId, token } = await approvedConsent(t, m, '12.34', 'A-1001', { pick: pick(accountId) });
      const body = payBody(consentId, '12.34', 'A-1001');
      const first = await m.call('POST', '/domestic-payments', token, body, { key: 'pay-A-1001' });
      assert.equal(first.status, 201, first.text);
      const again = await m.call('POST', '/domestic-payments', token, body, { key: 'pay-A-1001' });
      assert.equal(again.status, 201);
      assert.equal(again.text, first.text, 'the same key and body: the first answer again');
      const otherKey = await m.call('POST', '/domestic-payments', token, body, { key: 'pay-A-1001-b' });
      problem(otherKey, 409, 'consent-not-authorised');
      const data = first.body['Data'] as Record<string, unknown>;
      assert.equal(data['Status'], 'AcceptedSettlementCompleted');
      assert.equal('Debtor' in data, false, 'nothing about the debtor');
      // Charged once: one debit of 12.34, balance 87.66.
      const page = await t.gw.core(BANK).transactions(accountId, { limit: 10 });
      const debits = page.items.filter((x) => x.description.includes('A-1001'));
      assert.equal(debits.length, 1);
      assert.equal(debits[0]!.amount, '12.34');
      assert.equal(debits[0]!.creditDebit, 'Debit');
      const available = (await t.gw.core(BANK).balances(accountId)).find((b) => b.type === 'InterimBooked')!;
      assert.equal(available.amount, '87.66');
      const merchantLine = await t.gw
        .core(BANK)
        .transactions(m.merchant.accounts[BANK]!.accountId, { limit: 50 });
      assert.ok(
        merchantLine.items.some((x) => x.creditDebit === 'Credit' && x.description.includes('A-1001')),
      );
      // The consent is Consumed, the payment readable by its merchant.
      const consent = await m.call('GET', `/domestic-payment-consents/${consentId}`, await m.clientToken());
      assert.equal((consent.body['Data'] as Record<string, unknown>)['Status'], 'Consumed');
      const read = await m.call(
        'GET',
        `/domestic-payments/${data['DomesticPaymentId']}`,
        await m.clientToken(),
      );
      assert.equal(read.status, 200);
      // The confirmation verifies offline against the bank's JWKS.
      const claims = await verifyPaymentConfirmation(first.headers.get('x-proviso-payment-confirmation')!, {
        jwks: jwks as never,
        issuer: issuer(),
        merchant: m.merchant.clientId,
      });
      assert.deepEqual(
        [claims.status, claims.amount, claims.currency, claims.order_reference, claims.payment_id],
        ['AcceptedSettlementCompleted', '12.34', 'GBP', 'A-1001', data['DomesticPaymentId']],
      );
      assert.equal(typeof claims.log_index, 'number');
      // Nothing about the account in the gateway's logs: not its number, not the amount.
      const account = (await t.gw.core(BANK).account(accountId))!;
      const logs = t.logs.join('');
      assert.equal(logs.includes(account.identification), false, 'account number in the logs');
      // As a whole number, not as digits inside another (a response time such as 112.3456 ms).
      assert.doesNotMatch(logs, /(?<![\d.])12\.34(?!\d)/, 'amount in the logs');
      assert.ok(logs.includes('/domestic-payments'), 'the logs do hold the requests');
    });

    test('the bank signs its answers: x-jws-signature verifies over the body with the bank JWKS', async () => {
      const { verifyDetachedJws } = await import('../../src/payments/index.ts');
      const res = await m.call('GET', '/domestic-payment-consents/pc_unknown', await m.clientToken());
      problem(res, 404, 'payment-consent-not-found');
      const header = await verifyDetachedJws(
        res.text,
        res.headers.get('x-jws-signature')!,
        jwks as never,
        issuer(),
      );
      assert.equal(header['alg'], 'ES256');
      await assert.rejects(
        verifyDetachedJws(`${res.text} `, res.headers.get('x-jws-signature')!, jwks as never),
      );
    });

    test('a request body changed after signing is refused; an unsigned one too', async () => {
      const body = JSON.stringify({ Data: { Initiation: m.initiation('1.00', 'T-1') }, Risk: risk });
      const token = await m.clientToken();
      const signed = await m.call('POST', '/domestic-payment-consents', token, undefined, { text: body });
      assert.equal(signed.status, 201, signed.text);
      // The merchant's signature over the original text, sent with a changed amount.
      const tampered = await fetch(`${m.pisBase}/domestic-payment-consents`, {
        method: 'POST',
        headers: {
          authorization: `DPoP ${token}`,
          dpop: await (await import('./dpop.ts')).proof(
            m.dpopKeys,
            'POST',
            `${m.pisBase}/domestic-payment-consents`,
            token,
          ),
          'content-type': 'application/json',
          'x-idempotency-key': 'tamper-1',
          'x-jws-signature': signed.headers.get('x-jws-signature') ?? 'x..y',
        },
        body: body.replace('1.00', '9.00'),
      });
      problem(
        { status: tampered.status, body: (await tampered.json()) as Record<string, unknown> },
        400,
        'jws-signature-invalid',
      );
      const unsigned = await fetch(`${m.pisBase}/domestic-payment-consents`, {
        method: 'POST',
        headers: {
          authorization: `DPoP ${token}`,
          dpop: await (await import('./dpop.ts')).proof(
            m.dpopKeys,
            'POST',
            `${m.pisBase}/domestic-payment-consents`,
            token,
          ),
          'content-type': 'application/json',
          'x-idempotency-key': 'unsigned-1',
        },
        body,
      });
      assert.equal(unsigned.status, 400);
      assert.match(String(((await unsigned.json()) as Record<string, unknown>)['detail']), /x-jws-signature/);
    });

    test('the same idempotency key with another body is refused', async () => {
      const token = await m.clientToken();
      const one = { Data: { Initiation: m.initiation('2.00', 'K-1') }, Risk: risk };
      const two = { Data: { Initiation: m.initiation('3.00', 'K-1') }, Risk: risk };
      const first = await m.call('POST', '/domestic-payment-consents', token, one, { key: 'idem-1' });
      assert.equal(first.status, 201);
      const replay = await m.call('POST', '/domestic-payment-consents', token, one, { key: 'idem-1' });
      assert.equal(replay.text, first.text);
      problem(
        await m.call('POST', '/domestic-payment-consents', token, two, { key: 'idem-1' }),
        422,
        'idempotency-key-reused',
      );
    });

    test('an idempotency key may be used again after 24 hours (the purge job)', async () => {
      const token = await m.clientToken();
      const one = { Data: { Initiation: m.initiation('2.00', 'K-9') }, Risk: risk };
      const two = { Data: { Initiation: m.initiation('3.00', 'K-9') }, Risk: risk };
      assert.equal(
        (await m.call('POST', '/domestic-payment-consents', token, one, { key: 'idem-9' })).status,
        201,
      );
      await sql`update payment_idempotency set created_at = now() - interval '25 hours' where key = 'idem-9'`.execute(
        db(),
      );
      await t.gw.payments.store.purgeIdempotency();
      assert.equal(
        (await m.call('POST', '/domestic-payment-consents', token, two, { key: 'idem-9' })).status,
        201,
      );
    });

    test('insufficient funds: Rejected with a specific problem, no balance revealed', async () => {
      await resetAccount('5.00');
      const { consentId, token } = await approvedConsent(t, m, '42.00', 'NF-1', { pick: pick(accountId) });
      const res = await m.call('POST', '/domestic-payments', token, payBody(consentId, '42.00', 'NF-1'));
      problem(res, 422, 'insufficient-funds');
      assert.doesNotMatch(res.text, /5\.00|37\.00|balance/i);
      const paymentId = String(res.body['DomesticPaymentId']);
      const read = await m.call('GET', `/domestic-payments/${paymentId}`, await m.clientToken());
      assert.equal((read.body['Data'] as Record<string, unknown>)['Status'], 'Rejected');
      const consent = await m.call('GET', `/domestic-payment-consents/${consentId}`, await m.clientToken());
      assert.equal((consent.body['Data'] as Record<string, unknown>)['Status'], 'Rejected');
      const booked = await t.gw.core(BANK).transactions(accountId, { limit: 5 });
      assert.equal(
        booked.items.some((x) => x.description.includes('NF-1')),
        false,
        'nothing booked',
      );
    });

    test('a frozen card or a blocked account refuses the payment', async () => {
      const card = (await t.gw.core(BANK).cards(demoId)).find((c) => c.accountId === accountId);
      assert.ok(card, 'the demo current account has a card');
      await t.gw.core(BANK).setCardStatus(card.id, 'frozen');
      const frozen = await approvedConsent(t, m, '1.00', 'FR-1', { pick: pick(accountId) });
      problem(
        await m.call('POST', '/domestic-payments', frozen.token, payBody(frozen.consentId, '1.00', 'FR-1')),
        422,
        'account-blocked',
      );
      await t.gw.core(BANK).setCardStatus(card.id, 'active');
      await sql`update core_account set blocked = true where bank_id = ${BANK} and id = ${accountId}`.execute(
        db(),
      );
      const blocked = await approvedConsent(t, m, '1.00', 'BL-1', { pick: pick(accountId) });
      problem(
        await m.call('POST', '/domestic-payments', blocked.token, payBody(blocked.consentId, '1.00', 'BL-1')),
        422,
        'account-blocked',
      );
    });

    test('the customer declines at the bank: the merchant gets access_denied, the consent is Rejected', async () => {
      const consentId = await m.createConsent('4.00', 'D-1');
      const pending = await m.authorize(consentId, '4.00');
      const { callback } = await approveAtBank(t, pending.url, { decision: 'decline' });
      assert.equal(new URL(callback).searchParams.get('error'), 'access_denied');
      const consent = await m.call('GET', `/domestic-payment-consents/${consentId}`, await m.clientToken());
      assert.equal((consent.body['Data'] as Record<string, unknown>)['Status'], 'Rejected');
    });

    test('approval not given in time: the consent expires to Rejected and the screen says so', async () => {
      const consentId = await m.createConsent('4.00', 'E-1');
      const pending = await m.authorize(consentId, '4.00');
      await sql`update payment_consent set expires_at = now() - interval '1 second' where id = ${consentId}`.execute(
        db(),
      );
      const consent = await m.call('GET', `/domestic-payment-consents/${consentId}`, await m.clientToken());
      assert.equal((consent.body['Data'] as Record<string, unknown>)['Status'], 'Rejected');
      await assert.rejects(approveAtBank(t, pending.url), /approval page 400/);
    });

    test('refund: the money back in the transaction list, a signed refund confirmation, never more than paid', async () => {
      const { consentId, token } = await approvedConsent(t, m, '20.00', 'R-1', { pick: pick(accountId) });
      const paid = await m.call('POST', '/domestic-payments', token, payBody(consentId, '20.00', 'R-1'));
      assert.equal(paid.status, 201, paid.text);
      const paymentId = String((paid.body['Data'] as Record<string, unknown>)['DomesticPaymentId']);
      const cc = await m.clientToken();
      const refundBody = { Data: { Amount: { Amount: '15.00', Currency: 'GBP' }, Reference: 'R-1 return' } };
      const refund = await m.call('POST', `/domestic-payments/${paymentId}/proviso-refunds`, cc, refundBody, {
        key: 'refund-1',
      });
      assert.equal(refund.status, 201, refund.text);
      const again = await m.call('POST', `/domestic-payments/${paymentId}/proviso-refunds`, cc, refundBody, {
        key: 'refund-1',
      });
      assert.equal(again.text, refund.text, 'refunded once');
      const claims = await verifyRefundConfirmation(refund.headers.get('x-proviso-refund-confirmation')!, {
        jwks: jwks as never,
        issuer: issuer(),
        merchant: m.merchant.clientId,
      });
      assert.equal(claims.amount, '15.00');
      const lines = await t.gw.core(BANK).transactions(accountId, { limit: 10 });
      assert.ok(
        lines.items.some(
          (x) => x.creditDebit === 'Credit' && x.amount === '15.00' && x.description.includes('Refund'),
        ),
      );
      const booked = (await t.gw.core(BANK).balances(accountId)).find((b) => b.type === 'InterimBooked')!;
      assert.equal(booked.amount, '95.00');
      const tooMuch = { Data: { Amount: { Amount: '5.01', Currency: 'GBP' }, Reference: 'R-1 more' } };
      problem(
        await m.call('POST', `/domestic-payments/${paymentId}/proviso-refunds`, cc, tooMuch),
        422,
        'refund-exceeds-payment',
      );
    });

    test("a tampered or another merchant's confirmation is rejected by the verifier", async () => {
      const { ConfirmationInvalidError } = await import('../../src/payments/index.ts');
      const { consentId, token } = await approvedConsent(t, m, '3.00', 'V-1', { pick: pick(accountId) });
      const paid = await m.call('POST', '/domestic-payments', token, payBody(consentId, '3.00', 'V-1'));
      const jws = paid.headers.get('x-proviso-payment-confirmation')!;
      const [h, p, s] = jws.split('.');
      const claims = JSON.parse(Buffer.from(p!, 'base64url').toString()) as Record<string, unknown>;
      const forged = `${h}.${Buffer.from(JSON.stringify({ ...claims, amount: '300.00' })).toString('base64url')}.${s}`;
      const options = { jwks: jwks as never, issuer: issuer(), merchant: m.merchant.clientId };
      await assert.rejects(verifyPaymentConfirmation(forged, options), ConfirmationInvalidError);
      await assert.rejects(
        verifyPaymentConfirmation(jws, { ...options, merchant: 'merchant-harbour-tea' }),
        ConfirmationInvalidError,
      );
      await assert.rejects(
        verifyPaymentConfirmation(jws, { ...options, issuer: `${t.gw.url}/banks/fjord` }),
        ConfirmationInvalidError,
      );
      assert.equal((await verifyPaymentConfirmation(jws, options)).amount, '3.00');
    });

    test('another merchant cannot read a payment, nor pay with a token approved for another consent', async () => {
      const other = await TestMerchant.create(t, BANK, DEMO_MERCHANTS[1]!);
      const { consentId, token } = await approvedConsent(t, m, '1.50', 'X-1', { pick: pick(accountId) });
      problem(
        await other.call('GET', `/domestic-payment-consents/${consentId}`, await other.clientToken()),
        404,
        'payment-consent-not-found',
      );
      const second = await m.createConsent('1.50', 'X-2');
      problem(
        await m.call('POST', '/domestic-payments', token, payBody(second, '1.50', 'X-2')),
        403,
        'token-not-for-consent',
      );
      problem(
        await m.call('POST', '/domestic-payment-consents', await m.clientToken(), {
          Data: { Initiation: { ...m.initiation('1.00', 'X-3'), CreditorAccount: other.creditor } },
          Risk: risk,
        }),
        403,
        'creditor-not-merchant',
      );
    });
  });
}
