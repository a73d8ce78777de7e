// Checkout at the bank: a merchant's payment consent, the customer's approval, execution in
// the bank core, refunds (refund.ts; the shared problem documents in problems.ts). Each release (consent, approval, execution, refund) is a
// transparency-log entry before anything leaves (releases.ts); the merchant learns states and
// the signed confirmation, never the debtor account.
import { randomBytes } from 'node:crypto';
import type { AuditTrail } from '../audit/index.ts';
import type { BankCore, TransferOutcome } from '../bank/index.ts';
import type { ConsentService, LinkPayments } from '../consent/index.ts';
import { forbidden, notFound, Problem } from '../http/index.ts';
import type { KeyStore } from '../keys/index.ts';
import type { ReleasePath } from '../release/index.ts';
import type { Database } from '../storage/index.ts';
import { type PaymentJobsLog, startPaymentJobs } from './consent-sweep.ts';
import type { SigningKey } from './jws.ts';
import type { MerchantRegistration } from './merchants.ts';
import { canonical, type ObInitiation } from './ob-mapping.ts';
import { consentStateProblem, refusal, unprocessable } from './problems.ts';
import { refundPayment } from './refund.ts';
import { type PaymentReleases, releaseConfirmation, releaseConsentFunds } from './releases.ts';
import { type ConsentRow, type PaymentRow, PaymentStore } from './store.ts';

/** How long a customer has to approve, and then the merchant to submit the payment. */
export const CONSENT_TTL_MS = 15 * 60_000;
export const MAX_AMOUNT = 10_000;

export interface PaymentServiceOptions {
  database: Database;
  consent: ConsentService;
  core(bankId: string): BankCore;
  audit: AuditTrail;
  keyStore: KeyStore;
  merchants: readonly MerchantRegistration[];
  /** The one release path: the merchant's confirmations leave through it (releases.ts). */
  release: ReleasePath;
  /** The sealed receipt to the customer's device (wired by the gateway; may be absent). */
  deliverReceipt?: PaymentReleases['deliverReceipt'];
  /**
   * Work that failed off the request path: a receipt not delivered (the payment stands; the
   * merchant has its confirmation), or the idempotency purge.
   */
  onBackgroundError?(error: unknown, what: string): void;
}

export interface ConsentInput {
  Data: { Initiation: ObInitiation };
  Risk: Record<string, unknown>;
}

export interface PaymentInput {
  Data: { ConsentId: string; Initiation: ObInitiation };
  Risk: Record<string, unknown>;
}

export interface Executed {
  payment: PaymentRow;
  consent: ConsentRow;
  confirmation: string;
}

const newId = (prefix: string) => `${prefix}_${randomBytes(12).toString('hex')}`;

export class PaymentService {
  readonly store: PaymentStore;
  readonly options: PaymentServiceOptions;
  readonly #merchants: Map<string, MerchantRegistration>;
  constructor(options: PaymentServiceOptions) {
    this.options = options;
    this.store = new PaymentStore(options.database);
    this.#merchants = new Map(options.merchants.map((m) => [m.clientId, m]));
  }

  #timer: NodeJS.Timeout | undefined;
  #stopSweep: (() => void) | undefined;

  /** Hourly: idempotency records older than 24 hours are dropped (a key may then be used again). */
  /** The background timers: the hourly idempotency purge and the stale-consent sweep. */
  startJobs(log: PaymentJobsLog): void {
    const run = () =>
      void this.store
        .purgeIdempotency()
        .catch((error) => this.options.onBackgroundError?.(error, 'idempotency purge'));
    run();
    this.#timer = setInterval(run, 3_600_000);
    this.#timer.unref();
    this.#stopSweep = startPaymentJobs(this, log);
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#stopSweep?.();
  }

  merchant(clientId: string): MerchantRegistration | undefined {
    return this.#merchants.get(clientId);
  }

  /** The bank's ES256 key: response x-jws-signature, confirmations, attestations. */
  async signer(bankId: string): Promise<SigningKey> {
    const key = await this.options.keyStore.active(bankId, 'sign', 'ES256');
    return { key: key.privateKey, kid: key.kid };
  }

  async createConsent(bankId: string, merchantId: string, input: ConsentInput): Promise<ConsentRow> {
    const merchant = this.#merchants.get(merchantId)!;
    const creditor = merchant.accounts[bankId];
    const { Initiation } = input.Data;
    const account = Initiation.CreditorAccount;
    if (
      !creditor ||
      account.SchemeName !== creditor.schemeName ||
      account.Identification.replaceAll(' ', '') !== creditor.identification
    )
      throw forbidden(
        'creditor-not-merchant',
        "the creditor account is not this merchant's account at this bank",
      );
    const amount = Initiation.InstructedAmount;
    if (amount.Currency !== creditor.currency)
      throw unprocessable(
        'currency-not-supported',
        `this bank takes domestic payments in ${creditor.currency}`,
      );
    if (
      !/^\d{1,5}\.\d{2}$/.test(amount.Amount) ||
      Number(amount.Amount) <= 0 ||
      Number(amount.Amount) > MAX_AMOUNT
    )
      throw unprocessable(
        'amount-not-supported',
        `the amount must be from 0.01 to ${MAX_AMOUNT}.00 with two decimals`,
      );
    const row = await this.store.insertConsent({
      bank_id: bankId,
      id: newId('pc'),
      merchant_id: merchantId,
      status: 'AwaitingAuthorisation',
      initiation: Initiation,
      risk: input.Risk,
      amount: amount.Amount,
      currency: amount.Currency,
      order_reference: Initiation.RemittanceInformation?.Reference ?? Initiation.EndToEndIdentification,
      creditor_account_id: creditor.accountId,
      customer_id: null,
      debtor_account_id: null,
      link_consent_id: null,
      expires_at: new Date(Date.now() + CONSENT_TTL_MS),
    });
    return row;
  }

  /** The consent as its merchant may see it; expired ones are Rejected first. */
  async consentFor(bankId: string, merchantId: string, consentId: string): Promise<ConsentRow> {
    await this.store.rejectExpired(bankId, consentId);
    const row = await this.store.consent(bankId, consentId);
    if (!row || row.merchant_id !== merchantId)
      throw notFound('payment-consent', 'no payment consent with this id for this merchant');
    return row;
  }

  /**
   * Consents nobody approved in time become Rejected without waiting to be read (the gateway's
   * timer, consent-sweep.ts), up to `limit` a call: the state `consentFor` gives them on
   * a read, with the same log entries — none, as no customer is known before approval (the
   * audit trail is the customer's). Returns how many were moved.
   */
  async sweepExpiredConsents(now = new Date(), limit = 500): Promise<number> {
    return (await this.store.rejectExpiredUnapproved(now, limit)).length;
  }

  /** The customer approved at the bank, paying from `debtorAccountId`. */
  async approve(
    bankId: string,
    consentId: string,
    customerId: string,
    debtorAccountId: string,
  ): Promise<ConsentRow> {
    await this.store.rejectExpired(bankId, consentId);
    const account = await this.options.core(bankId).account(debtorAccountId);
    const consent = await this.store.consent(bankId, consentId);
    if (!consent) throw notFound('payment-consent', 'no such payment consent');
    if (!account || account.customerId !== customerId || account.currency !== consent.currency)
      throw forbidden('account-not-eligible', 'pay from one of your own accounts in the payment currency');
    const link = await this.checkoutLink(bankId, customerId);
    const approved = await this.store.transition(bankId, consentId, 'AwaitingAuthorisation', 'Authorised', {
      customer_id: customerId,
      debtor_account_id: debtorAccountId,
      link_consent_id: link,
      expires_at: new Date(Date.now() + CONSENT_TTL_MS),
    });
    if (!approved) throw consentStateProblem(consent);
    // The customer is known from here on: the merchant's consent (what it asked to be paid) and
    // the approval are both in the customer's log.
    await this.#log(approved, 'payment.initiated', Buffer.from(JSON.stringify(approved.initiation)));
    await this.#log(approved, 'payment.authorised', null);
    return approved;
  }

  async decline(bankId: string, consentId: string, customerId: string | null): Promise<void> {
    const declined = await this.store.transition(bankId, consentId, 'AwaitingAuthorisation', 'Rejected', {
      customer_id: customerId,
    });
    if (declined?.customer_id) await this.#log(declined, 'payment.rejected', null);
  }

  /** The customer's newest live link (platform consent) with purpose checkout that was not stopped. */
  async checkoutLink(bankId: string, customerId: string): Promise<string | null> {
    const links = (await this.options.consent.store.forCustomer(bankId, customerId))
      .filter(
        (c) =>
          c.deviceKeyRemovedAt === null &&
          this.options.consent.decide(c, { purpose: 'checkout', cluster: 'payments' }).allowed,
      )
      .sort((a, b) => (b.authorisedAt?.getTime() ?? 0) - (a.authorisedAt?.getTime() ?? 0));
    for (const link of links) if (!(await this.store.linkStopped(bankId, link.id))) return link.id;
    return null;
  }

  /** The connected-apps page's view of a link: payments made through it, and the stop switch. */
  linkPayments(): LinkPayments {
    return {
      list: async (bankId, linkConsentId) =>
        (await this.store.paymentsThroughLink(bankId, linkConsentId)).map((p) => ({
          id: p.id,
          merchantName: this.#merchants.get(p.merchant_id)?.tradingName ?? p.merchant_id,
          amount: String(p.amount),
          currency: p.currency,
          orderReference: p.order_reference,
          status: p.status,
          at: p.created_at,
        })),
      stopped: (bankId, linkConsentId) => this.store.linkStopped(bankId, linkConsentId),
      stop: (bankId, linkConsentId) => this.store.stopLink(bankId, linkConsentId),
    };
  }

  /**
   * OB funds confirmation of an authorised consent, for its merchant: can the chosen account pay
   * exactly the approved amount now (a release: releaseConsentFunds). The amount is the one the
   * customer approved, so the answer is exact.
   */
  async fundsForConsent(consent: ConsentRow, merchantId: string): Promise<boolean> {
    return releaseConsentFunds(this.#releases(), consent, { merchantId });
  }

  async #log(
    consent: ConsentRow,
    kind: 'payment.authorised' | 'payment.rejected' | 'payment.initiated',
    released: Uint8Array | null,
  ) {
    if (!consent.customer_id) return null;
    return this.options.audit.record({
      bankId: consent.bank_id,
      customerId: consent.customer_id,
      pairwiseId: await this.options.consent.pairwiseSubject(
        consent.bank_id,
        consent.merchant_id,
        consent.customer_id,
      ),
      consentId: consent.id,
      platform: consent.merchant_id,
      kind,
      purpose: 'checkout',
      clusters: ['payments'],
      released,
    });
  }

  /** Executes an authorised consent once: debit, credit, log, confirmation, receipt. */
  async execute(
    bankId: string,
    merchantId: string,
    tokenConsentId: string | null,
    input: PaymentInput,
  ): Promise<Executed> {
    const consentId = input.Data.ConsentId;
    if (tokenConsentId !== consentId)
      throw forbidden('token-not-for-consent', 'this access token was approved for another payment consent');
    const consent = await this.consentFor(bankId, merchantId, consentId);
    if (canonical(consent.initiation) !== canonical(input.Data.Initiation))
      throw new Problem(
        400,
        'payment-does-not-match-consent',
        'Invalid request',
        'the Initiation differs from the one the customer approved',
      );
    const claimed = await this.store.transition(bankId, consentId, 'Authorised', 'Consumed');
    if (!claimed) throw consentStateProblem(consent);
    const merchant = this.#merchants.get(merchantId)!;
    const core = this.options.core(bankId);
    const outcome: TransferOutcome = core.bookTransfer
      ? await core.bookTransfer({
          debtorAccountId: claimed.debtor_account_id!,
          creditorAccountId: claimed.creditor_account_id,
          amount: claimed.amount,
          currency: claimed.currency,
          debtorDescription: `${merchant.tradingName} ${claimed.order_reference}`,
          creditorDescription: `Payment ${claimed.order_reference}`,
          merchantName: merchant.tradingName,
          category: 'shopping',
        })
      : { status: 'account-not-found' };
    const paymentId = newId('dp');
    if (outcome.status !== 'booked') {
      const payment = await this.store.insertPayment({
        bank_id: bankId,
        id: paymentId,
        consent_id: consentId,
        merchant_id: merchantId,
        status: 'Rejected',
        debit_transaction_id: null,
        credit_transaction_id: null,
        confirmation: null,
        log_index: null,
      });
      await this.store.transition(bankId, consentId, 'Consumed', 'Rejected');
      await this.#log(claimed, 'payment.rejected', null);
      throw refusal(outcome.status, payment.id);
    }
    return releaseConfirmation(this.#releases(), {
      consent: claimed,
      paymentId,
      outcome,
      merchant,
      caller: { merchantId },
    });
  }

  #releases(): PaymentReleases {
    return {
      release: this.options.release,
      consent: this.options.consent,
      core: this.options.core,
      store: this.store,
      ...(this.options.deliverReceipt ? { deliverReceipt: this.options.deliverReceipt } : {}),
      onReceiptError: (error) => this.options.onBackgroundError?.(error, 'receipt delivery'),
    };
  }

  async paymentFor(
    bankId: string,
    merchantId: string,
    paymentId: string,
  ): Promise<{ payment: PaymentRow; consent: ConsentRow }> {
    const payment = await this.store.payment(bankId, paymentId);
    const consent = payment ? await this.store.consent(bankId, payment.consent_id) : null;
    if (!payment || !consent || payment.merchant_id !== merchantId)
      throw notFound('domestic-payment', 'no domestic payment with this id for this merchant');
    return { payment, consent };
  }

  /** A merchant refund (Proviso extension): the money back to the account that paid (refund.ts). */
  async refund(
    bankId: string,
    merchantId: string,
    paymentId: string,
    amount: { Amount: string; Currency: string },
    reference: string,
  ) {
    const { payment, consent } = await this.paymentFor(bankId, merchantId, paymentId);
    return refundPayment(this.#releases(), {
      bankId,
      merchant: this.#merchants.get(merchantId)!,
      payment,
      consent,
      amount,
      reference,
      refundId: newId('rf'),
    });
  }
}
