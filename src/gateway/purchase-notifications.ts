// Purchase notifications (issue #12): every card payment or transfer of a customer who holds
// an authorised consent with purpose transaction_notifications is pushed to their device,
// sealed, as it happens. Three steps, none in the path of the payment itself:
//   1. the core's booked hook (bank/booking.ts) runs in the booking transaction: for customers
//      who may hold such a consent, one outbox message per transaction commits with it;
//   2. the outbox worker releases it through the release path (transactionBookedHandler →
//      releaseTransactionNotice): Cedar (purpose transaction_notifications over the
//      transactions cluster, for that account), the projection, the log, the seal;
//   3. it moves on as a relay push (src/alerts/relay-push.ts), retried until the relay takes it.
import { customersHolding, type SealedPush, sealedPushMessage } from '../alerts/index.ts';
import type { BankCore, BookingListener, Transaction } from '../bank/index.ts';
import { cardType } from '../bot/index.ts';
import type { ConsentService } from '../consent/index.ts';
import { Problem } from '../http/index.ts';
import { enqueueOutbox, type OutboxHandler } from '../outbox/index.ts';
import type { ObObject } from '../policy/index.ts';
import type { ReleasePath, ResourceLists } from '../release/index.ts';
import { toOBAccount, toOBTransaction } from './openbanking/mapping.ts';

export const TRANSACTION_BOOKED_TOPIC = 'transaction.booked';
/**
 * "As it happens": a transaction booked with an older time (a card processor replaying its
 * backlog, a redelivery after an outage, history loaded in bulk) is in the core but not pushed.
 */
export const NOTIFY_WITHIN_MS = 15 * 60_000;
const PURPOSE = 'transaction_notifications';
const CLUSTER = 'transactions';

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
      const notified = await customersHolding(trx, bankId, PURPOSE, [
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
  /** Null when the purpose releases none (a transfer): the category names it. */
  readonly merchant: string | null;
  readonly category: string | null;
  readonly time: string;
  readonly status: string;
  readonly account: string | null;
  /** The card it was paid with, as the customer knows it (not an account number). */
  readonly card?: { type: string; last4: string };
}

export interface TransactionNoticeRelease {
  consent: ConsentService;
  release: ReleasePath;
  core(bankId: string): BankCore;
}

const obj = (value: unknown): ObObject =>
  typeof value === 'object' && value !== null ? (value as ObObject) : {};
const text = (value: unknown): string | null => (typeof value === 'string' ? value : null);

/** The notice from the records as projected to transaction_notifications, and the card. */
function notice(projected: ResourceLists, card: TransactionNotice['card']): TransactionNotice | null {
  const record = projected.transaction?.[0];
  if (!record) return null;
  const amount = obj(record['Amount']);
  return {
    transaction_id: String(record['TransactionId']),
    amount: { amount: String(amount['Amount']), currency: String(amount['Currency']) },
    direction: record['CreditDebitIndicator'] === 'Credit' ? 'credit' : 'debit',
    merchant: text(obj(record['MerchantDetails'])['MerchantName']),
    category: text(obj(record['SupplementaryData'])['Category']),
    time: String(record['BookingDateTime']),
    status: String(record['Status']),
    account: text(projected.account?.[0]?.['Nickname']),
    ...(card ? { card } : {}),
  };
}

/**
 * A consent that could carry the notice: authorised, unexpired, naming the purpose and the
 * transactions cluster, its device still there. Whether it may is Cedar's decision (for this
 * account), in the release path.
 */
async function carrier(release: TransactionNoticeRelease, bankId: string, customerId: string, now: Date) {
  return (await release.consent.store.forCustomer(bankId, customerId))
    .filter(
      (c) =>
        c.status === 'authorised' &&
        (c.expiresAt === null || c.expiresAt > now) &&
        c.deviceKeyRemovedAt === null &&
        c.purposes.includes(PURPOSE) &&
        c.clusters.includes(CLUSTER),
    )
    .sort((a, b) => (b.authorisedAt?.getTime() ?? 0) - (a.authorisedAt?.getTime() ?? 0))[0];
}

/**
 * The release of one purchase notification through the release path: under the newest
 * consent that could carry it, Cedar decides (purpose transaction_notifications, cluster
 * transactions, this account), the transaction is projected to the purpose, logged, and
 * sealed to the consent's device key. Null when nothing may go (the bank keeps it).
 */
export async function releaseTransactionNotice(
  release: TransactionNoticeRelease,
  bankId: string,
  customerId: string,
  transaction: Transaction,
): Promise<SealedPush | null> {
  const consent = await carrier(release, bankId, customerId, new Date());
  if (!consent) return null;
  try {
    const { envelope, authenticated } = await release.release.release<TransactionNotice['card']>({
      bankId,
      caller: { kind: 'consent', consent },
      purpose: PURPOSE,
      clusters: [CLUSTER],
      accountId: transaction.accountId,
      kind: 'data.access',
      read: async ({ core }) => {
        const account = await core.account(transaction.accountId);
        const card = transaction.cardId ? await core.card(transaction.cardId) : null;
        return {
          records: {
            ...(account ? { account: [toOBAccount(account, '')] } : {}),
            transaction: [toOBTransaction(transaction)],
          },
          extra: card
            ? { type: cardType(card, await core.accounts(card.customerId)), last4: card.last4 }
            : undefined,
        };
      },
      answer: (projected, card) => notice(projected, card) as Record<string, unknown> | null,
      seal: { type: 'transaction_notification', id: transaction.id, batch: true },
    });
    if (!envelope) return null;
    return { bankId, recipient: authenticated.pairwiseId, mid: `txn-${transaction.id}`, envelope };
  } catch (error) {
    // Refused by policy (account not in the consent, expired…): nothing to push.
    if (error instanceof Problem && error.status < 500) return null;
    throw error;
  }
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
