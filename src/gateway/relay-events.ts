// Tells the platform's relay at once when a link ends at the bank (the customer revoked it on
// the bank's connected-apps page, or it expired), so the chat shows it without waiting for the
// next request. Same channel and signature as the alert push: the relay's Messenger-style
// webhook, HMAC-SHA256 over the raw body with the bank's app secret, an `account_linking`
// event ({status:"unlinked"}) for the customer's pairwise subject. Nothing about the customer's
// money is in it; the relay already knows the pairwise subject and the consent id.

import { postToRelay, type RelayWebhook } from '../alerts/index.ts';
import type { ConsentEvent, ConsentEvents, ConsentRecord } from '../consent/index.ts';

export interface RelayLinkNoticeOptions {
  relay(): RelayWebhook | undefined;
  /**
   * Hands the signed body to the outbox (the gateway's way: retried with backoff until the
   * relay takes it, dead and counted if it never does). Without it, posted here (3 tries).
   */
  push?(bankId: string, body: string): Promise<void>;
  pairwiseSubject(bankId: string, platform: string, customerId: string): Promise<string>;
  consent(consentId: string): Promise<ConsentRecord | null>;
  onError?(error: unknown, event: ConsentEvent): void;
  timeoutMs?: number;
}

const ENDED = new Set(['revoked', 'expired']);

/** The signed body of one "link ended" event. */
export function unlinkedEvent(
  bankId: string,
  pairwise: string,
  consentId: string,
  reason: string,
  now = new Date(),
) {
  return {
    object: 'proviso' as const,
    entry: [
      {
        id: bankId,
        time: now.getTime(),
        messaging: [
          {
            sender: { id: bankId },
            recipient: { id: pairwise },
            timestamp: now.getTime(),
            account_linking: { status: 'unlinked' as const, consent: consentId, reason },
          },
        ],
      },
    ],
  };
}

async function settled(options: RelayLinkNoticeOptions, consentId: string): Promise<boolean> {
  // The event comes just before the change is stored: wait (briefly) until it is, so a
  // revocation that did not happen is never announced.
  for (let i = 0; i < 50; i++) {
    const c = await options.consent(consentId);
    if (c && ENDED.has(c.status)) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

async function notify(options: RelayLinkNoticeOptions, event: ConsentEvent): Promise<void> {
  const relay = options.relay();
  if ((!relay && !options.push) || !event.customerId) return;
  if (!(await settled(options, event.consentId))) return;
  const pairwise = await options.pairwiseSubject(event.bankId, event.platform, event.customerId);
  const body = JSON.stringify(unlinkedEvent(event.bankId, pairwise, event.consentId, event.kind));
  if (options.push) return options.push(event.bankId, body);
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const status = await postToRelay(relay!, event.bankId, body, options.timeoutMs ?? 5000);
      if (status >= 200 && status <= 299) return;
      lastError = new Error(`the relay refused the unlink notice with HTTP ${status}`);
      if (status < 500) break;
    } catch (error) {
      lastError = error;
    }
    await new Promise((r) => setTimeout(r, 500 * (attempt + 1)));
  }
  throw lastError;
}

/**
 * Wraps the consent event sink: events go to `inner` first (which may veto); an ended link
 * is then announced to the relay in the background (never blocking or vetoing the change).
 * A revocation the platform asked for itself is not echoed back.
 */
export function relayLinkNotices(inner: ConsentEvents, options: RelayLinkNoticeOptions): ConsentEvents {
  return {
    async emit(event) {
      await inner.emit(event);
      if (!ENDED.has(event.kind) || event.by === 'platform') return;
      void notify(options, event).catch((error) => options.onError?.(error, event));
    },
  };
}
