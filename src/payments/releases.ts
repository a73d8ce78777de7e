// Every datum checkout lets out of the bank leaves through the release path (src/release):
// the payment confirmation and the refund confirmation for the merchant (caller kind
// 'merchant': its payment consent loaded once, Cedar decides checkout for this merchant's own
// payment, the confirmation projected to the `payment` allow-list, logged, then signed by the
// bank's ES256 key instead of sealed), the sealed receipt for the device (through the platform's
// link, the gateway's receiptDelivery), the OB funds confirmation on a payment consent for its
// merchant (releaseConsentFunds) — and the platform's funds answer in funds.ts.
import type { EntryKind } from '../audit/index.ts';
import type { BankCore, TransferOutcome } from '../bank/index.ts';
import type { ConsentRecord, ConsentService } from '../consent/index.ts';
import type { MerchantClient, ReleasePath } from '../release/index.ts';
import { PAYMENT_CONFIRMATION_TYP, REFUND_CONFIRMATION_TYP } from './confirmation.ts';
import { toMinor } from './funds-threshold.ts';
import type { MerchantRegistration } from './merchants.ts';
import type { ConsentRow, PaymentRow, PaymentStore } from './store.ts';

/**
 * A receipt on its way to the customer's device through the platform's link: the gateway
 * releases it through the release path (Cedar, log, seal to the link's device key) and hands
 * the envelope to the outbox for the relay.
 */
export interface ReceiptDelivery {
  bankId: string;
  link: ConsentRecord;
  /** Envelope id, also the relay's message id suffix. */
  id: string;
  type: 'receipt' | 'refund_receipt';
  payload: Record<string, unknown>;
}

export interface PaymentReleases {
  release: ReleasePath;
  consent: ConsentService;
  core(bankId: string): BankCore;
  store: PaymentStore;
  deliverReceipt?(delivery: ReceiptDelivery): Promise<void>;
  onReceiptError(error: unknown): void;
}

/**
 * One merchant confirmation through the release path: the claims are the read (nothing is
 * read from the core: the booking was the payment's own action), projected to what checkout
 * releases, logged as `kind` with the exact bytes, signed as `typ` with the log index.
 */
async function releaseToMerchant(
  r: PaymentReleases,
  consent: ConsentRow,
  merchant: MerchantClient,
  kind: EntryKind,
  typ: string,
  claims: Record<string, unknown>,
): Promise<{ confirmation: string; logIndex: number }> {
  const released = await r.release.release({
    bankId: consent.bank_id,
    caller: { kind: 'merchant', merchant, paymentConsentId: consent.id },
    purpose: 'checkout',
    clusters: ['payments'],
    kind,
    read: async () => ({ records: { payment: [claims] }, extra: undefined }),
    answer: (projected) => projected.payment?.[0] ?? null,
    sign: { typ },
  });
  return { confirmation: released.signed!, logIndex: released.logIndex };
}

/** The payment confirmation for the merchant: released (logged, signed), stored with the payment. */
export async function releaseConfirmation(
  r: PaymentReleases,
  options: {
    consent: ConsentRow;
    paymentId: string;
    outcome: Extract<TransferOutcome, { status: 'booked' }>;
    merchant: MerchantRegistration;
    caller: MerchantClient;
  },
): Promise<{ payment: PaymentRow; consent: ConsentRow; confirmation: string }> {
  const { consent } = options;
  const claims = {
    iss: r.consent.issuer(consent.bank_id),
    payment_id: options.paymentId,
    consent_id: consent.id,
    status: 'AcceptedSettlementCompleted',
    amount: consent.amount,
    currency: consent.currency,
    order_reference: consent.order_reference,
    merchant: consent.merchant_id,
    merchant_name: options.merchant.tradingName,
    time: options.outcome.bookedAt.toISOString(),
  };
  const { confirmation, logIndex } = await releaseToMerchant(
    r,
    consent,
    options.caller,
    'payment.executed',
    PAYMENT_CONFIRMATION_TYP,
    claims,
  );
  const payment = await r.store.insertPayment({
    bank_id: consent.bank_id,
    id: options.paymentId,
    consent_id: consent.id,
    merchant_id: consent.merchant_id,
    status: 'AcceptedSettlementCompleted',
    debit_transaction_id: options.outcome.debitTransactionId,
    credit_transaction_id: options.outcome.creditTransactionId,
    confirmation,
    log_index: logIndex,
  });
  const receipt = await receiptPayload(r, consent, options.merchant, {
    reference: options.paymentId,
    status: 'AcceptedSettlementCompleted',
    total: consent.amount,
    confirmation,
  });
  void releaseReceipt(r, consent, { id: options.paymentId, type: 'receipt', payload: receipt }).catch(
    r.onReceiptError,
  );
  return { payment, consent, confirmation };
}

/** The refund: booked already; released to the merchant (logged, signed), refund receipt sealed to the device. */
export async function releaseRefund(
  r: PaymentReleases,
  options: {
    consent: ConsentRow;
    payment: PaymentRow;
    merchant: MerchantRegistration;
    caller: MerchantClient;
    amount: string;
    reference: string;
    refundId: string;
  },
) {
  const { consent } = options;
  const now = new Date();
  const claims = {
    iss: r.consent.issuer(consent.bank_id),
    refund_id: options.refundId,
    payment_id: options.payment.id,
    consent_id: consent.id,
    status: 'Refunded',
    amount: options.amount,
    currency: consent.currency,
    order_reference: consent.order_reference,
    merchant: consent.merchant_id,
    merchant_name: options.merchant.tradingName,
    time: now.toISOString(),
  };
  const { confirmation } = await releaseToMerchant(
    r,
    consent,
    options.caller,
    'payment.refunded',
    REFUND_CONFIRMATION_TYP,
    claims,
  );
  const refund = await r.store.insertRefund({
    bank_id: consent.bank_id,
    id: options.refundId,
    payment_id: options.payment.id,
    amount: options.amount,
    currency: consent.currency,
    reference: options.reference,
    confirmation,
  });
  const receipt = await receiptPayload(r, consent, options.merchant, {
    reference: options.refundId,
    status: 'Refunded',
    total: options.amount,
    confirmation,
  });
  void releaseReceipt(r, consent, { id: options.refundId, type: 'refund_receipt', payload: receipt }).catch(
    () => {},
  );
  return { refund, confirmation, createdAt: now };
}

/**
 * OB confirmation of funds on an authorised payment consent, for its merchant: can the account
 * the customer chose pay exactly the approved amount now. A datum of the customer's account, so
 * it leaves through the release path too (caller merchant, Cedar over the payment consent, the
 * debtor account read, logged as payment.funds-check with the exact yes/no) — answered as is
 * (the PIS response carries the bank's x-jws-signature): no seal, no separate signature.
 */
export async function releaseConsentFunds(
  r: PaymentReleases,
  consent: ConsentRow,
  caller: MerchantClient,
): Promise<boolean> {
  const released = await r.release.release<boolean>({
    bankId: consent.bank_id,
    caller: { kind: 'merchant', merchant: caller, paymentConsentId: consent.id },
    purpose: 'checkout',
    clusters: ['payments'],
    kind: 'payment.funds-check',
    async read({ core, accountIds }) {
      const accountId = accountIds?.[0];
      const balances = accountId ? await core.balances(accountId) : [];
      const available = balances.find((b) => b.type === 'InterimAvailable');
      const yes =
        available !== undefined &&
        available.creditDebit !== 'Debit' &&
        toMinor(available.amount) >= toMinor(consent.amount);
      return { records: {}, extra: yes };
    },
    answer: (_projected, yes) => ({ consent_id: consent.id, funds_available: yes }),
  });
  return released.payload?.['funds_available'] === true;
}

/** The full receipt (Messenger receipt-template fields + which account paid + the bank's reference). */
async function receiptPayload(
  r: PaymentReleases,
  consent: ConsentRow,
  merchant: MerchantRegistration,
  options: { reference: string; status: string; total: string; confirmation: string },
): Promise<Record<string, unknown>> {
  const core = r.core(consent.bank_id);
  const [customer, account] = await Promise.all([
    core.customer(consent.customer_id!),
    core.account(consent.debtor_account_id!),
  ]);
  const last4 = account?.identification.slice(-4) ?? '';
  const supplied = ((
    consent.initiation as { SupplementaryData?: { proviso_receipt?: Record<string, unknown> } }
  ).SupplementaryData?.proviso_receipt ?? {}) as Record<string, unknown>;
  const total = Number(options.total);
  return {
    template_type: 'receipt',
    recipient_name: customer?.displayName ?? '',
    order_number: consent.order_reference,
    currency: consent.currency,
    payment_method: `${account?.nickname ?? 'Account'} ••${last4}`,
    merchant_name: merchant.tradingName,
    timestamp: String(Math.floor(Date.now() / 1000)),
    summary: { total_cost: options.status === 'Refunded' ? -total : total },
    elements: Array.isArray(supplied['elements'])
      ? supplied['elements']
      : [
          {
            title: `Order ${consent.order_reference}`,
            quantity: 1,
            price: total,
            currency: consent.currency,
          },
        ],
    ...(supplied['address'] ? { address: supplied['address'] } : {}),
    ...(Array.isArray(supplied['adjustments']) ? { adjustments: supplied['adjustments'] } : {}),
    paid_from: { account_id: consent.debtor_account_id, nickname: account?.nickname ?? '', last4 },
    bank_reference: options.reference,
    status: options.status,
    confirmation: options.confirmation,
  };
}

/**
 * The receipt to the device: only through a live checkout link that was not stopped; the
 * delivery (gateway) releases it under that link — logged with the exact payload, sealed, pushed.
 */
export async function releaseReceipt(
  r: PaymentReleases,
  consent: ConsentRow,
  options: { id: string; type: ReceiptDelivery['type']; payload: Record<string, unknown> },
): Promise<boolean> {
  if (!r.deliverReceipt || !consent.link_consent_id || !consent.customer_id) return false;
  if (await r.store.linkStopped(consent.bank_id, consent.link_consent_id)) return false;
  const link = await r.consent.store.get(consent.link_consent_id);
  if (
    !link ||
    link.deviceKeyRemovedAt !== null ||
    !r.consent.decide(link, { purpose: 'checkout', cluster: 'payments' }).allowed
  )
    return false;
  await r.deliverReceipt({
    bankId: consent.bank_id,
    link,
    id: options.id,
    type: options.type,
    payload: options.payload,
  });
  return true;
}
