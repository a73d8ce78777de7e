// Purchase notifications (issue #12): every card payment or transfer of a customer who holds
// an authorised consent with purpose transaction_notifications is pushed to their device,
// sealed, as it happens. Three steps, none in the path of the payment itself:
//   1. the core's booked hook (bank/booking.ts) runs in the booking transaction: for customers
//      who may hold such a consent, one outbox message per transaction commits with it;
//   2. the outbox worker releases it (transactionBookedHandler → releaseTransactionNotice):
//      consent, Cedar (purpose transaction_notifications over the transactions cluster, for
//      that account), the log, the seal to the consent's device key;
//   3. it moves on as a relay push (relay-push.ts), retried until the relay takes it.
import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import type { AuditTrail } from '../audit/index.ts';
import type { BankCore, BookingListener, Transaction } from '../bank/index.ts';
import { cardType } from '../bot/index.ts';
import type { ConsentService } from '../consent/index.ts';
import { enqueueOutbox, type OutboxHandler } from '../outbox/index.ts';
import { type SealedPush, sealedPushMessage } from './relay-push.ts';
import type { BankSealers } from './sealers.ts';

export const TRANSACTION_BOOKED_TOPIC = 'transaction.booked';
/**
 * "As it happens": a transaction booked with an older time (a card processor replaying its
 * backlog, a redelivery after an outage, history loaded in bulk) is in the core but not pushed.
 */
export const NOTIFY_WITHIN_MS = 15 * 60_000;
const PURPOSE = 'transaction_notifications';
const CLUSTER = 'transactions';

/**
 * Customers among `customerIds` with an authorised transaction_notifications consent whose
 * device is still there. A pre-filter so that the other customers' payments (nearly all of
 * them) cost the booking transaction nothing more: the decision that lets a notification out
 * is still Cedar's, in the release (expiry, accounts, the policy's other rules).
 */
async function customersWithNotifications(
  trx: Kysely<unknown>,
  bankId: string,
  customerIds: readonly string[],
): Promise<Set<string>> {
  const { rows } = await sql<{ customer_id: string }>`
    select distinct customer_id from consent
     where bank_id = ${bankId} and status = 'authorised' and device_key_removed_at is null
       and ${PURPOSE} = any(purposes) and customer_id = any(${customerIds as string[]}::text[])`.execute(trx);
  return new Set(rows.map((r) => r.customer_id));
}

/**
 * The core's booked hook: one outbox message per transaction a customer may be notified of —
 * recent ones (NOTIFY_WITHIN_MS), and not a payment screening raised a fraud alert on (the
 * customer is asked "Was this you?" about it instead of being told of it twice).
 */
export function purchaseNotificationListener(now: () => number = Date.now): BookingListener {
  return async (booked, trx) => {
    const byBank = new Map<string, (typeof booked)[number][]>();
    const since = now() - NOTIFY_WITHIN_MS;
    for (const b of booked) {
      if (b.fraudAlert || b.transaction.bookedAt.getTime() < since) continue;
      byBank.set(b.bankId, [...(byBank.get(b.bankId) ?? []), b]);
    }
    for (const [bankId, list] of byBank) {
      const notified = await customersWithNotifications(trx, bankId, [
        ...new Set(list.map((b) => b.customerId)),
      ]);
      if (notified.size === 0) continue;
      await enqueueOutbox(
        trx,
        list
          .filter((b) => notified.has(b.customerId))
          .map((b) => ({
            topic: TRANSACTION_BOOKED_TOPIC,
            bankId,
            payload: { transactionId: b.transaction.id },
          })),
      );
    }
  };
}

/** What the device shows: "£12.40 at Tesco, debit card ending 1234, 14:05". */
export interface TransactionNotice {
  readonly transaction_id: string;
  readonly amount: { amount: string; currency: string };
  readonly direction: 'debit' | 'credit';
  readonly merchant: string;
  readonly time: string;
  readonly status: Transaction['status'];
  readonly channel: string;
  readonly account: string;
  readonly card?: { type: string; last4: string };
}

export interface TransactionNoticeRelease {
  consent: ConsentService;
  audit: AuditTrail;
  sealers: BankSealers;
  core(bankId: string): BankCore;
}

/**
 * The one release of a purchase notification (to be switched to the release path, src/release,
 * when it lands): the newest consent Cedar lets carry it, the notice, its log entry, the seal.
 * Null when no consent allows it (revoked meanwhile, account not shared, device removed).
 */
export async function releaseTransactionNotice(
  release: TransactionNoticeRelease,
  bankId: string,
  customerId: string,
  transaction: Transaction,
): Promise<SealedPush | null> {
  const consent = (await release.consent.store.forCustomer(bankId, customerId))
    .filter(
      (c) =>
        c.deviceKeyRemovedAt === null &&
        release.consent.decide(c, { purpose: PURPOSE, cluster: CLUSTER, accountId: transaction.accountId })
          .allowed,
    )
    .sort((a, b) => (b.authorisedAt?.getTime() ?? 0) - (a.authorisedAt?.getTime() ?? 0))[0];
  if (!consent) return null;
  const core = release.core(bankId);
  const accounts = await core.accounts(customerId);
  const account = accounts.find((a) => a.id === transaction.accountId);
  const card = transaction.cardId ? await core.card(transaction.cardId) : null;
  const notice: TransactionNotice = {
    transaction_id: transaction.id,
    amount: { amount: transaction.amount, currency: transaction.currency },
    direction: transaction.creditDebit === 'Debit' ? 'debit' : 'credit',
    merchant: transaction.merchantName ?? transaction.description,
    time: transaction.bookedAt.toISOString(),
    status: transaction.status,
    channel: transaction.channel,
    account: account?.nickname ?? 'Account',
    ...(card ? { card: { type: cardType(card, accounts), last4: card.last4 } } : {}),
  };
  const pairwise = await release.consent.pairwiseSubject(bankId, consent.clientId, customerId);
  const index = await release.audit.record({
    bankId,
    customerId,
    pairwiseId: pairwise,
    consentId: consent.id,
    platform: consent.clientId,
    kind: 'data.access',
    purpose: PURPOSE,
    clusters: [CLUSTER],
    released: Buffer.from(JSON.stringify(notice)),
  });
  const envelope = (await release.sealers(bankId)).seal({
    recipientPublicKey: consent.deviceKey,
    consentCommitment: consent.id,
    purpose: PURPOSE,
    type: 'transaction_notification',
    id: transaction.id,
    log: index,
    payload: notice,
  });
  return { bankId, recipient: pairwise, mid: `txn-${transaction.id}`, envelope };
}

/** The outbox handler of TRANSACTION_BOOKED_TOPIC: release, then a relay push. */
export function transactionBookedHandler(
  release: TransactionNoticeRelease & { relayConnected(): boolean },
): OutboxHandler {
  return async (message) => {
    if (!release.relayConnected()) return; // no relay configured: nobody to notify
    const { transactionId } = message.payload as { transactionId: string };
    const core = release.core(message.bankId);
    const transaction = await core.transaction(transactionId);
    if (!transaction) return;
    const account = await core.account(transaction.accountId);
    if (!account) return;
    const push = await releaseTransactionNotice(release, message.bankId, account.customerId, transaction);
    if (!push) return;
    const next = sealedPushMessage(push);
    return { next: { topic: next.topic, payload: next.payload } };
  };
}
