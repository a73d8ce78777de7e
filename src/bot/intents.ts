// What a customer can ask the bank bot, from buttons (exact payloads) first and simple
// free text second. Each intent names the purpose and data cluster it needs, so the
// gateway can check the consent before it touches any data.
import type { DataCluster, Purpose } from '../access/index.ts';

export type Intent =
  | { kind: 'balance' }
  | { kind: 'transactions' }
  | { kind: 'cards' }
  /** Debits of every shared account since a day, for the device's own spending sums. */
  | { kind: 'spending_data'; since: string }
  | { kind: 'transaction_detail'; transactionId: string }
  | { kind: 'freeze_card'; cardId: string | null }
  | { kind: 'unfreeze_card'; cardId: string | null }
  | { kind: 'alert_reply'; alertId: string; answer: 'yes' | 'no' }
  | { kind: 'help' }
  | { kind: 'unknown'; text: string };

export const INTENT_NEEDS: Record<
  Exclude<Intent['kind'], 'help' | 'unknown'>,
  { purpose: Purpose; cluster: DataCluster }
> = {
  balance: { purpose: 'balance_inquiry', cluster: 'balances' },
  transactions: { purpose: 'transaction_notifications', cluster: 'transactions' },
  spending_data: { purpose: 'transaction_notifications', cluster: 'transactions' },
  cards: { purpose: 'fraud_alerts', cluster: 'card_controls' },
  transaction_detail: { purpose: 'transaction_notifications', cluster: 'transactions' },
  // Card controls belong to fraud protection: only the fraud_alerts purpose may use them.
  freeze_card: { purpose: 'fraud_alerts', cluster: 'card_controls' },
  unfreeze_card: { purpose: 'fraud_alerts', cluster: 'card_controls' },
  alert_reply: { purpose: 'fraud_alerts', cluster: 'card_controls' },
};

const ID = '[A-Za-z0-9_-]{1,64}';
const PAYLOADS: [RegExp, (m: RegExpMatchArray) => Intent][] = [
  [/^BALANCE$/, () => ({ kind: 'balance' })],
  [/^TRANSACTIONS$/, () => ({ kind: 'transactions' })],
  [/^CARDS$/, () => ({ kind: 'cards' })],
  [/^SPENDING_DATA:(\d{4}-\d{2}-\d{2})$/, (m) => ({ kind: 'spending_data', since: m[1]! })],
  [new RegExp(`^TX_DETAIL:(${ID})$`), (m) => ({ kind: 'transaction_detail', transactionId: m[1]! })],
  [new RegExp(`^FREEZE_CARD(?::(${ID}))?$`), (m) => ({ kind: 'freeze_card', cardId: m[1] ?? null })],
  [new RegExp(`^UNFREEZE_CARD(?::(${ID}))?$`), (m) => ({ kind: 'unfreeze_card', cardId: m[1] ?? null })],
  [
    new RegExp(`^ALERT_REPLY:(${ID}):(YES|NO)$`),
    (m) => ({ kind: 'alert_reply', alertId: m[1]!, answer: m[2] === 'YES' ? 'yes' : 'no' }),
  ],
  [/^HELP$/, () => ({ kind: 'help' })],
];

/** A button or quick-reply payload. Unknown payloads are not guessed at. */
export function intentFromPayload(payload: string): Intent {
  for (const [pattern, make] of PAYLOADS) {
    const m = pattern.exec(payload);
    if (m) return make(m);
  }
  return { kind: 'unknown', text: payload };
}

// Order matters: "unfreeze" contains "freeze"; "my cards" before the freeze words.
const TEXT: [RegExp, Intent][] = [
  [
    /^\s*(show|list|see|view|what are|which are)?\s*(me\s+)?(all\s+)?(my\s+)?cards?(\s+status)?\s*\??$|\b(show|list|see|view)\b.*\bcards?\b|\bcards?\b.*\b(status|frozen|active)\b|\bwhich cards?\b/i,
    { kind: 'cards' },
  ],
  [/\b(unfreeze|unblock|unlock|reactivate)\b/i, { kind: 'unfreeze_card', cardId: null }],
  [/\b(freeze|block|lock|stolen|lost)\b/i, { kind: 'freeze_card', cardId: null }],
  [/\b(balance|how much (money )?(do i|have i)|money left|funds)\b/i, { kind: 'balance' }],
  [/\b(transactions?|spen[dt]|spending|statement|recent|payments?|purchases?)\b/i, { kind: 'transactions' }],
  [/\b(help|hi|hello|hey|what can you do)\b/i, { kind: 'help' }],
];

/** Simple free text: "what's my balance", "show recent transactions", "freeze my card". */
export function intentFromText(text: string): Intent {
  const trimmed = text.trim().slice(0, 500);
  for (const [pattern, intent] of TEXT) if (pattern.test(trimmed)) return intent;
  return { kind: 'unknown', text: trimmed };
}
