// The merchant's offline check of the bank's payment confirmation: a genuine one passes; one
// altered in transit, signed by another key, of another type, or naming another merchant,
// amount, currency or order is refused — with the bank's JWKS only, no call to the bank. The
// same for the bank's detached x-jws-signature on its answers.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CompactSign, exportJWK, generateKeyPair } from 'jose';
import {
  ConfirmationRejectedError,
  verifyConfirmation,
  verifyResponseSignature,
} from '../../src/merchant/index.ts';
// The bank's own signer: the merchant's check must accept what the bank really sends.
import { signDetached } from '../../src/payments/index.ts';

const ISSUER = 'http://bank.test/banks/northwind';
const claims = {
  iss: ISSUER,
  iat: 1796000000,
  payment_id: 'dp_1',
  consent_id: 'pc_1',
  status: 'AcceptedSettlementCompleted',
  amount: '38.97',
  currency: 'GBP',
  order_reference: 'ord_AAAAAAAAAAAAAAAA',
  merchant: 'merchant-corner-books',
  merchant_name: 'Corner Books',
  time: '2026-12-01T01:30:00.000Z',
  log_index: 12,
};
const expected = {
  issuer: ISSUER,
  merchant: 'merchant-corner-books',
  amount: '38.97',
  currency: 'GBP',
  orderReference: 'ord_AAAAAAAAAAAAAAAA',
};

async function bank() {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  const jwk = { ...(await exportJWK(publicKey)), kid: 'bank-1', alg: 'ES256', use: 'sig' };
  const sign = (payload: unknown, typ = 'proviso-payment+jwt') =>
    new CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
      .setProtectedHeader({ alg: 'ES256', kid: 'bank-1', typ })
      .sign(privateKey);
  return { jwks: { keys: [jwk] }, sign };
}

describe('payment confirmation, verified offline by the merchant', () => {
  it('accepts the bank’s genuine confirmation', async () => {
    const b = await bank();
    const out = await verifyConfirmation(await b.sign(claims), b.jwks, expected);
    assert.equal(out.payment_id, 'dp_1');
  });

  it('refuses a tampered payload (amount changed after signing)', async () => {
    const b = await bank();
    const [h, , s] = (await b.sign(claims)).split('.');
    const forged = Buffer.from(JSON.stringify({ ...claims, amount: '0.01' })).toString('base64url');
    await assert.rejects(
      verifyConfirmation(`${h}.${forged}.${s}`, b.jwks, { ...expected, amount: '0.01' }),
      ConfirmationRejectedError,
    );
  });

  it('refuses a confirmation signed by a key the bank does not publish', async () => {
    const b = await bank();
    const other = await bank();
    await assert.rejects(
      verifyConfirmation(await other.sign(claims), b.jwks, expected),
      ConfirmationRejectedError,
    );
  });

  it('refuses another type, merchant, amount, currency, order, issuer or an unaccepted status', async () => {
    const b = await bank();
    await assert.rejects(
      verifyConfirmation(await b.sign(claims, 'JWT'), b.jwks, expected),
      ConfirmationRejectedError,
    );
    for (const change of [
      { merchant: 'merchant-harbour-tea' },
      { amount: '38.96' },
      { currency: 'EUR' },
      { order_reference: 'ord_BBBBBBBBBBBBBBBB' },
      { iss: 'http://bank.test/banks/fjord' },
      { status: 'Rejected' },
    ])
      await assert.rejects(
        verifyConfirmation(await b.sign({ ...claims, ...change }), b.jwks, expected),
        ConfirmationRejectedError,
        JSON.stringify(change),
      );
  });
});

describe("the bank's x-jws-signature on its answers, checked by the merchant", () => {
  it('accepts the bank’s detached signature over the exact body; refuses a changed body, another issuer, none', async () => {
    const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
    const jwks = { keys: [{ ...(await exportJWK(publicKey)), kid: 'bank-1', alg: 'ES256' }] };
    const body = JSON.stringify({ Data: { ConsentId: 'pc_1', Status: 'AwaitingAuthorisation' } });
    const signature = await signDetached(body, ISSUER, { key: privateKey, kid: 'bank-1' });
    await verifyResponseSignature(body, signature, jwks, ISSUER);
    await assert.rejects(
      verifyResponseSignature(body.replace('pc_1', 'pc_2'), signature, jwks, ISSUER),
      ConfirmationRejectedError,
    );
    await assert.rejects(
      verifyResponseSignature(body, signature, jwks, 'http://bank.test/banks/fjord'),
      ConfirmationRejectedError,
    );
    await assert.rejects(verifyResponseSignature(body, null, jwks, ISSUER), ConfirmationRejectedError);
  });
});
