// The bank's signed payment confirmation: a compact JWS (ES256, the bank's key in its JWKS)
// stating status, amount, currency, order reference, merchant, time and payment id — nothing
// about the customer's account. The bank signs it in the release path's seal step (its sign
// variant, src/release/steps/seal.ts); a merchant (or the platform) verifies it offline with
// verifyPaymentConfirmation and the bank's published JWKS.
import { createLocalJWKSet, type JWK, type JWTVerifyGetKey, jwtVerify } from 'jose';

export const PAYMENT_CONFIRMATION_TYP = 'proviso-payment+jwt';
export const REFUND_CONFIRMATION_TYP = 'proviso-refund+jwt';
export const FUNDS_ATTESTATION_TYP = 'proviso-funds+jwt';

const PAYMENT_STATUSES = ['AcceptedSettlementInProcess', 'AcceptedSettlementCompleted', 'Rejected'] as const;

export interface PaymentConfirmation {
  iss: string;
  iat: number;
  payment_id: string;
  consent_id: string;
  status: (typeof PAYMENT_STATUSES)[number];
  amount: string;
  currency: string;
  order_reference: string;
  merchant: string;
  merchant_name: string;
  time: string;
  log_index: number;
}

export interface RefundConfirmation extends Omit<PaymentConfirmation, 'status'> {
  refund_id: string;
  status: 'Refunded';
}

export class ConfirmationInvalidError extends Error {
  override name = 'ConfirmationInvalidError';
}

export interface VerifyConfirmationOptions {
  /** The bank's JWKS (from `${issuer}/jwks.json`), or a key resolver. */
  jwks: { keys: JWK[] } | JWTVerifyGetKey;
  /** The bank's issuer (`${gateway}/banks/<bankId>`). */
  issuer: string;
  /** The merchant's client_id: a confirmation for another merchant is refused. */
  merchant?: string;
}

async function verify(
  jws: string,
  options: VerifyConfirmationOptions,
  typ: string,
): Promise<Record<string, unknown>> {
  const keys = typeof options.jwks === 'function' ? options.jwks : createLocalJWKSet(options.jwks);
  let payload: Record<string, unknown>;
  try {
    ({ payload } = await jwtVerify(jws, keys, { issuer: options.issuer, typ, algorithms: ['ES256'] }));
  } catch (error) {
    throw new ConfirmationInvalidError(
      `the confirmation does not verify against the bank's keys (${(error as Error).name})`,
    );
  }
  if (options.merchant !== undefined && payload['merchant'] !== options.merchant)
    throw new ConfirmationInvalidError('the confirmation is for another merchant');
  for (const field of ['payment_id', 'amount', 'currency', 'order_reference', 'time'])
    if (typeof payload[field] !== 'string')
      throw new ConfirmationInvalidError(`the confirmation lacks ${field}`);
  return payload;
}

/** Offline check of a payment confirmation; the claims, or ConfirmationInvalidError. */
export async function verifyPaymentConfirmation(
  jws: string,
  options: VerifyConfirmationOptions,
): Promise<PaymentConfirmation> {
  const payload = await verify(jws, options, PAYMENT_CONFIRMATION_TYP);
  if (!(PAYMENT_STATUSES as readonly unknown[]).includes(payload['status']))
    throw new ConfirmationInvalidError('the confirmation has an unknown status');
  return payload as unknown as PaymentConfirmation;
}

/** Offline check of a refund confirmation. */
export async function verifyRefundConfirmation(
  jws: string,
  options: VerifyConfirmationOptions,
): Promise<RefundConfirmation> {
  const payload = await verify(jws, options, REFUND_CONFIRMATION_TYP);
  if (payload['status'] !== 'Refunded' || typeof payload['refund_id'] !== 'string')
    throw new ConfirmationInvalidError('not a refund confirmation');
  return payload as unknown as RefundConfirmation;
}
