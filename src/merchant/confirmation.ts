// The merchant's own, offline check of the bank's signed payment confirmation: the bank's
// JWKS is fetched once (at start) and every confirmation is then verified locally — no call
// to the bank per order, and a confirmation that was altered, signed by another key, issued
// for another merchant, another amount or another order is refused.
// Hand-written on jose rather than the bank's verifier: the merchant is a separate party and
// trusts only the bank's published keys and the documented claims (docs/checkout.md).
import { compactVerify, createLocalJWKSet, type JSONWebKeySet } from 'jose';

export const PAYMENT_CONFIRMATION_TYP = 'proviso-payment+jwt';
export const REFUND_CONFIRMATION_TYP = 'proviso-refund+jwt';
const SETTLED = new Set(['AcceptedSettlementCompleted', 'AcceptedSettlementInProcess']);

export interface PaymentConfirmation {
  iss: string;
  iat: number;
  payment_id: string;
  consent_id: string;
  status: string;
  amount: string;
  currency: string;
  order_reference: string;
  merchant: string;
  merchant_name?: string;
  time: string;
  log_index: number;
  refund_id?: string;
}

export class ConfirmationRejectedError extends Error {
  override name = 'ConfirmationRejectedError';
}

export interface ExpectedPayment {
  issuer: string;
  /** The merchant's client id at the bank. */
  merchant: string;
  amount: string;
  currency: string;
  orderReference: string;
  typ?: string;
}

export async function verifyConfirmation(
  jws: string,
  jwks: JSONWebKeySet,
  expected: ExpectedPayment,
): Promise<PaymentConfirmation> {
  const typ = expected.typ ?? PAYMENT_CONFIRMATION_TYP;
  let payload: Uint8Array;
  try {
    const verified = await compactVerify(jws, createLocalJWKSet(jwks), { algorithms: ['ES256', 'EdDSA'] });
    if (verified.protectedHeader.typ !== typ) throw new ConfirmationRejectedError(`not a ${typ}`);
    payload = verified.payload;
  } catch (error) {
    if (error instanceof ConfirmationRejectedError) throw error;
    throw new ConfirmationRejectedError("the bank's signature does not verify");
  }
  const claims = JSON.parse(new TextDecoder().decode(payload)) as PaymentConfirmation;
  const mismatch = (
    [
      ['iss', claims.iss, expected.issuer],
      ['merchant', claims.merchant, expected.merchant],
      ['amount', claims.amount, expected.amount],
      ['currency', claims.currency, expected.currency],
      ['order_reference', claims.order_reference, expected.orderReference],
    ] as const
  ).find(([, got, want]) => got !== want);
  if (mismatch) throw new ConfirmationRejectedError(`the confirmation names another ${mismatch[0]}`);
  if (typ === PAYMENT_CONFIRMATION_TYP && !SETTLED.has(claims.status))
    throw new ConfirmationRejectedError('the confirmation does not say the payment was accepted');
  return claims;
}

const OB_CRIT = [
  'http://openbanking.org.uk/iat',
  'http://openbanking.org.uk/iss',
  'http://openbanking.org.uk/tan',
];

/**
 * The bank's detached `x-jws-signature` on an answer (RFC 7515 Appendix F, OB 3.1 profile):
 * the exact body bytes, signed by a key in the bank's JWKS, naming the bank as issuer. The
 * merchant keeps nothing it cannot later show the bank said.
 */
export async function verifyResponseSignature(
  body: string,
  signature: string | null,
  jwks: JSONWebKeySet,
  issuer: string,
): Promise<void> {
  const [header, empty, sig] = (signature ?? '').split('.');
  if (!header || empty !== '' || !sig)
    throw new ConfirmationRejectedError('the bank did not sign its answer');
  try {
    const { protectedHeader } = await compactVerify(
      `${header}.${Buffer.from(body).toString('base64url')}.${sig}`,
      createLocalJWKSet(jwks),
      { algorithms: ['ES256', 'PS256'], crit: Object.fromEntries(OB_CRIT.map((c) => [c, true])) },
    );
    if ((protectedHeader as Record<string, unknown>)[OB_CRIT[1]!] !== issuer) throw new Error('issuer');
  } catch {
    throw new ConfirmationRejectedError("the bank's signature on its answer does not verify");
  }
}
