// A merchant refund (Proviso extension): checked against the completed payment and the refunds
// already made, booked from the merchant's account back to the account that paid, released as a
// signed refund confirmation (releases.ts).
import type { TransferOutcome } from '../bank/index.ts';
import { Problem } from '../http/index.ts';
import type { MerchantRegistration } from './merchants.ts';
import { unprocessable } from './problems.ts';
import { type PaymentReleases, releaseRefund } from './releases.ts';
import type { ConsentRow, PaymentRow } from './store.ts';

export interface RefundRequest {
  bankId: string;
  merchant: MerchantRegistration;
  payment: PaymentRow;
  consent: ConsentRow;
  amount: { Amount: string; Currency: string };
  reference: string;
  refundId: string;
}

export function toCents(amount: string): number {
  const [whole, fraction = ''] = amount.split('.');
  return Number(whole) * 100 + Number(fraction.padEnd(2, '0').slice(0, 2));
}

export async function refundPayment(releases: PaymentReleases, request: RefundRequest) {
  const { bankId, merchant, payment, consent, amount } = request;
  if (payment.status !== 'AcceptedSettlementCompleted' || !consent.debtor_account_id)
    throw new Problem(
      409,
      'payment-not-refundable',
      'Not refundable',
      'only a completed payment can be refunded',
    );
  if (amount.Currency !== consent.currency)
    throw unprocessable('refund-exceeds-payment', 'a refund is in the payment currency');
  const already = (await releases.store.refunds(bankId, payment.id)).reduce(
    (s, r) => s + toCents(String(r.amount)),
    0,
  );
  if (toCents(amount.Amount) <= 0 || already + toCents(amount.Amount) > toCents(consent.amount))
    throw unprocessable('refund-exceeds-payment', 'refunds would exceed the payment');
  const core = releases.core(bankId);
  const outcome: TransferOutcome = core.bookTransfer
    ? await core.bookTransfer({
        debtorAccountId: consent.creditor_account_id,
        creditorAccountId: consent.debtor_account_id,
        amount: amount.Amount,
        currency: amount.Currency,
        debtorDescription: `Refund ${consent.order_reference}`,
        creditorDescription: `Refund from ${merchant.tradingName} ${consent.order_reference}`,
        merchantName: merchant.tradingName,
        category: 'refund',
      })
    : { status: 'account-not-found' };
  if (outcome.status !== 'booked')
    throw unprocessable('refund-not-booked', 'the refund could not be booked from the merchant account');
  return releaseRefund(releases, {
    consent,
    payment,
    merchant,
    caller: { merchantId: merchant.clientId },
    amount: amount.Amount,
    reference: request.reference,
    refundId: request.refundId,
  });
}
