// What the merchant needs from a bank to be paid, as one seam: the FAPI 2.0 payment client
// (bank-client.ts) implements it against the bank's PIS API; tests may bring a fake.
import type { CreditorAccount, Merchant } from './catalogue.ts';
import type { Order } from './store.ts';

/** Why an order was not paid: the problem slug the chat turns into a polite sentence. */
export type RejectionReason =
  | 'insufficient-funds'
  | 'declined'
  | 'approval-timed-out'
  | 'account-frozen'
  | 'payment-failed';

export interface StartedAuthorisation {
  /** Where the customer's browser goes to approve at the bank. */
  authorizationUrl: string;
  state: string;
  consentId: string;
  /** The merchant's own secrets for finishing (PKCE verifier, DPoP key): stored with the order. */
  pending: Record<string, unknown>;
}

export type PaymentOutcome =
  | { status: 'paid'; paymentId: string; confirmationJws: string }
  | { status: 'rejected'; reason: RejectionReason; paymentId?: string; confirmationJws?: string };

export interface PaymentRail {
  /** The payment consent at the bank and the authorisation request for it. */
  start(input: {
    order: Order;
    merchant: Merchant;
    creditor: CreditorAccount;
    redirectUri: string;
  }): Promise<StartedAuthorisation>;
  /** The bank's redirect: code → token → domestic payment → confirmation verified offline. */
  complete(input: {
    order: Order;
    merchant: Merchant;
    callbackUrl: URL;
    pending: Record<string, unknown>;
  }): Promise<PaymentOutcome>;
  /** A refund of a paid order (the bank returns the money to the payer's account). */
  refund(input: { order: Order; merchant: Merchant }): Promise<{ refundId: string }>;
}
