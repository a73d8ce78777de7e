// The problem documents of checkout at the bank that more than one step raises: a payment or
// refund refused (422), a consent in the wrong state or expired (409 / 410), a transfer the core
// did not book.
import type { TransferOutcome } from '../bank/index.ts';
import { Problem } from '../http/index.ts';
import type { ConsentRow } from './store.ts';

export const unprocessable = (slug: string, detail: string, extensions?: Record<string, unknown>) =>
  new Problem(422, slug, 'Payment refused', detail, extensions ? { extensions } : {});

/** Why a consent cannot move on: it expired unapproved (410), or is in another state (409). */
export function consentStateProblem(consent: ConsentRow): Problem {
  if (consent.status === 'Rejected' && consent.expires_at <= new Date())
    return new Problem(
      410,
      'payment-consent-expired',
      'Consent expired',
      'the customer did not approve this payment in time',
    );
  return new Problem(
    409,
    'consent-not-authorised',
    'Consent not usable',
    `the payment consent is ${consent.status}`,
  );
}

/** The core did not book the payment: why, with the rejected payment's id for the merchant. */
export function refusal(status: Exclude<TransferOutcome['status'], 'booked'>, paymentId: string): Problem {
  const extensions = { DomesticPaymentId: paymentId };
  switch (status) {
    case 'insufficient-funds':
      return unprocessable(
        'insufficient-funds',
        'the account the customer chose cannot make this payment now',
        extensions,
      );
    case 'account-blocked':
      return unprocessable(
        'account-blocked',
        'the account the customer chose is blocked or its card is frozen',
        extensions,
      );
    default:
      return unprocessable('payment-not-booked', 'the bank could not book this payment', extensions);
  }
}
