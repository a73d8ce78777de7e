// The bank bot: turns a chat event from the platform into answers sealed to the customer's
// device. Every answer that carries the customer's data is one release through the release
// path (src/release): Cedar for the intent's purpose and cluster, the core read, the
// projection to the purpose, the log entry, the seal to the consent's device key. The
// platform gets ciphertext, or plain text that says nothing about the customer (help, "I did
// not understand", "your link does not cover that").
import type { DataCluster, Purpose } from '../access/index.ts';
import type { EntryKind } from '../audit/index.ts';
import type { Account, BankCore, Card } from '../bank/index.ts';
import {
  type BotCard,
  balanceCard,
  cardStatusCard,
  deviceMessage,
  HELP_TEXT,
  INTENT_NEEDS,
  type Intent,
  intentFromPayload,
  intentFromText,
  spendingDataCard,
  transactionCard,
  transactionsCard,
} from '../bot/index.ts';
import type { ConsentService } from '../consent/index.ts';
import { Problem } from '../http/index.ts';
import type { KeyStore } from '../keys/index.ts';
import type { Authenticated, ReadScope, ReleasePath, ResourceLists } from '../release/index.ts';
import { type OpenedReply, openReply } from '../seal/index.ts';
import { toOBAccount, toOBBalance, toOBTransaction } from './openbanking/mapping.ts';
import { bankReplyKey } from './sealers.ts';

export interface BotEvent {
  sender: { id: string };
  message?: { text: string };
  postback?: { payload: string };
  /** A reply sealed by the device to the bank's HPKE key (answers to alerts). */
  reply?: string;
}

export interface BotAnswer {
  envelopes: string[];
  text?: string;
}

/** The screening context's side of "Was this you?" answers. */
export interface AlertReplies {
  /** Records the answer; returns the card to freeze on "no" (null when unknown or not this customer's). */
  answer(input: {
    bankId: string;
    customerId: string;
    alertId: string;
    answer: 'yes' | 'no';
  }): Promise<{ cardId: string | null; transactionId?: string } | null>;
}

export interface BankBotOptions {
  /** The consent context (the bank's name in refusals). */
  consent: ConsentService;
  /** The one release path: every answer with the customer's data goes through it. */
  release: ReleasePath;
  /** The bank's HPKE key, to open replies the device sealed to it. */
  keyStore: KeyStore;
  alerts?: AlertReplies;
}

const RECENT = 8;
/** Spending data: at most this far back, and this many transactions per answer. */
const SPENDING_MAX_DAYS = 100;
const SPENDING_MAX_ITEMS = 1000;

/** A refusal the customer should read in the chat (the link itself is still good). */
class Declined extends Error {}

/** What one bot release asks of the release path. */
interface BotRelease<Extra> {
  purpose: Purpose;
  cluster: DataCluster;
  kind?: EntryKind;
  /** The envelope type the device renders (deviceMessage's type for the card). */
  type: 'balance' | 'transactions' | 'spending_data' | 'transaction' | 'cards';
  read(scope: ReadScope): Promise<{ records: ResourceLists; extra: Extra }>;
  /** The card built from the projected records; null releases nothing (a logged decision). */
  card(projected: ResourceLists, extra: Extra): BotCard | null;
}

/** The consented accounts of the customer (all of them when the consent names none). */
async function sharedAccounts({ core, grant, accountIds }: ReadScope): Promise<Account[]> {
  const all = await core.accounts(grant.customerId);
  return all.filter((a) => accountIds === null || accountIds.includes(a.id));
}

async function sharedCards({ core, grant, accountIds }: ReadScope): Promise<Card[]> {
  const cards = await core.cards(grant.customerId);
  return cards.filter((c) => accountIds === null || accountIds.includes(c.accountId));
}

/** Open Banking account records (the projection's input); the holder name is not needed. */
const accountRecords = (accounts: Account[]) => accounts.map((a) => toOBAccount(a, ''));

export class BankBot {
  readonly #o: BankBotOptions;

  constructor(options: BankBotOptions) {
    this.#o = options;
  }

  /** One release through the path; its sealed envelope joins the answer. */
  async #release<Extra>(auth: Authenticated, out: BotAnswer, spec: BotRelease<Extra>): Promise<void> {
    const released = await this.#o.release.release<Extra>({
      bankId: auth.grant.bankId,
      caller: { kind: 'authenticated', authenticated: auth },
      purpose: spec.purpose,
      clusters: [spec.cluster],
      kind: spec.kind ?? 'data.access',
      read: spec.read,
      answer: (projected, extra) => {
        const card = spec.card(projected, extra);
        if (card === null) return null;
        const message = deviceMessage(card);
        if ('text' in message || message.type !== spec.type)
          throw new Error(
            `the bot releases a ${spec.type} card here, not ${'text' in message ? 'a notice' : message.type}`,
          );
        return message.payload;
      },
      seal: { type: spec.type },
    });
    if (released.envelope) out.envelopes.push(released.envelope);
  }

  async handle(auth: Authenticated, event: BotEvent): Promise<BotAnswer> {
    const intent: Intent = event.postback
      ? intentFromPayload(event.postback.payload)
      : intentFromText(event.message?.text ?? '');
    const out: BotAnswer = { envelopes: [] };
    const bankName = this.#o.consent.bankName(auth.grant.bankId);
    if (intent.kind === 'help') return { envelopes: [], text: HELP_TEXT };
    if (intent.kind === 'unknown')
      return { envelopes: [], text: `Sorry, I did not understand that. ${HELP_TEXT}` };
    try {
      await this.#answer(intent, auth, event.reply, out);
    } catch (error) {
      // Cedar's refusals (the decide step names the reason) read as a plain no in the chat.
      const reason =
        error instanceof Problem && error.status === 403 ? error.extensions['reason'] : undefined;
      if (reason === 'purpose_not_consented') {
        const purpose = INTENT_NEEDS[intent.kind].purpose;
        return {
          envelopes: [],
          text: `Your link to ${bankName} does not cover that (it needs the purpose “${purpose.replaceAll('_', ' ')}”). You can link again with it.`,
        };
      }
      if (reason !== undefined && error instanceof Problem)
        return { envelopes: [], text: `Your link to ${bankName} does not allow that: ${error.message}.` };
      if (error instanceof Declined)
        return { envelopes: [], text: `Your link to ${bankName} does not allow that: ${error.message}.` };
      throw error;
    }
    return out;
  }

  async #answer(
    intent: Intent,
    auth: Authenticated,
    reply: string | undefined,
    out: BotAnswer,
  ): Promise<void> {
    switch (intent.kind) {
      case 'balance':
        return this.#release(auth, out, {
          purpose: 'balance_inquiry',
          cluster: 'balances',
          type: 'balance',
          async read(scope) {
            const accounts = await sharedAccounts(scope);
            const balances = (await Promise.all(accounts.map((a) => scope.core.balances(a.id)))).flat();
            return {
              records: { account: accountRecords(accounts), balance: balances.map(toOBBalance) },
              extra: undefined,
            };
          },
          card: (p) => balanceCard(p.account ?? [], p.balance ?? []),
        });
      case 'transactions':
        return this.#release(auth, out, {
          purpose: 'transaction_notifications',
          cluster: 'transactions',
          type: 'transactions',
          async read(scope) {
            const accounts = await sharedAccounts(scope);
            const account = accounts.find((a) => a.kind === 'current') ?? accounts[0];
            if (!account) throw new Declined('no account is shared with this link');
            const page = await scope.core.transactions(account.id, { limit: RECENT });
            return {
              records: { account: accountRecords([account]), transaction: page.items.map(toOBTransaction) },
              extra: undefined,
            };
          },
          card: (p) => transactionsCard(p.account?.[0], p.transaction ?? []),
        });
      case 'spending_data':
        return this.#spendingData(intent.since, auth, out);
      case 'cards':
        return this.#releaseCardList(auth, out, 'Here are your cards and their status.');
      case 'transaction_detail':
        return this.#transactionDetail(intent.transactionId, auth, out);
      case 'freeze_card':
      case 'unfreeze_card':
        return this.#setCardStatus(intent, auth, out);
      case 'alert_reply':
        return this.#alertReply(
          intent,
          auth,
          reply === undefined ? undefined : await this.#openReply(auth, intent.alertId, reply),
          out,
        );
    }
  }

  /** The customer's cards and their status under a heading (card_controls, no OB resource to project). */
  #releaseCardList(auth: Authenticated, out: BotAnswer, heading: string): Promise<void> {
    return this.#release(auth, out, {
      purpose: 'fraud_alerts',
      cluster: 'card_controls',
      type: 'cards',
      async read(scope) {
        const [cards, accounts] = await Promise.all([sharedCards(scope), sharedAccounts(scope)]);
        return { records: {}, extra: { cards, accounts } };
      },
      card: (_p, { cards, accounts }) =>
        cardStatusCard(cards.length ? heading : 'No card is shared with this link.', cards, accounts),
    });
  }

  async #transactionDetail(transactionId: string, auth: Authenticated, out: BotAnswer): Promise<void> {
    // Only a transaction of a consented account; anything else reads as "not found", so ids
    // cannot be probed. The lookup is the release's read, after the decision.
    const notFound = new Declined('not found');
    try {
      await this.#release(auth, out, {
        purpose: 'transaction_notifications',
        cluster: 'transactions',
        type: 'transaction',
        async read(scope) {
          const t = await scope.core.transaction(transactionId);
          const covered = t !== null && (await sharedAccounts(scope)).some((a) => a.id === t.accountId);
          if (!covered) throw notFound;
          return { records: { transaction: [toOBTransaction(t!)] }, extra: undefined };
        },
        card: (p) => transactionCard(p.transaction![0]!),
      });
    } catch (error) {
      if (error !== notFound) throw error;
      out.text = 'I could not find that transaction among your accounts shared with this link.';
    }
  }

  async #setCardStatus(
    intent: Extract<Intent, { kind: 'freeze_card' | 'unfreeze_card' }>,
    auth: Authenticated,
    out: BotAnswer,
  ): Promise<void> {
    const status = intent.kind === 'freeze_card' ? 'frozen' : 'active';
    const question = status === 'frozen' ? 'Which card should I freeze?' : 'Which card should I unfreeze?';
    // No card named (or one not among them): show the cards, each with its own button, so the
    // customer picks one and the device asks for confirmation before anything changes.
    if (!intent.cardId) return this.#releaseCardList(auth, out, question);
    const notShared = new Declined('not shared');
    try {
      await this.#release(auth, out, {
        purpose: 'fraud_alerts',
        cluster: 'card_controls',
        type: 'cards',
        kind: 'card.action',
        async read(scope) {
          const [cards, accounts] = await Promise.all([sharedCards(scope), sharedAccounts(scope)]);
          const target = cards.find((c) => c.id === intent.cardId);
          if (!target) throw notShared;
          const updated = (await scope.core.setCardStatus(target.id, status)) ?? target;
          return { records: {}, extra: { updated, accounts } };
        },
        card: (_p, { updated, accounts }) =>
          cardStatusCard(
            status === 'frozen'
              ? `Card ending ${updated.last4} is frozen. Nobody can pay with it until you unfreeze it.`
              : `Card ending ${updated.last4} works again.`,
            [updated],
            accounts,
          ),
      });
    } catch (error) {
      if (error !== notShared) throw error;
      await this.#releaseCardList(auth, out, question);
    }
  }

  /** Debits since a day on every shared account, paged from the core, for sums on the device. */
  async #spendingData(since: string, auth: Authenticated, out: BotAnswer): Promise<void> {
    const from = new Date(`${since}T00:00:00Z`);
    const oldest = Date.now() - SPENDING_MAX_DAYS * 86_400_000;
    if (Number.isNaN(from.getTime()) || from.getTime() < oldest) {
      out.text = `I can share at most the last ${SPENDING_MAX_DAYS} days of transactions for spending sums.`;
      return;
    }
    await this.#release(auth, out, {
      purpose: 'transaction_notifications',
      cluster: 'transactions',
      type: 'spending_data',
      async read(scope) {
        const accounts = await sharedAccounts(scope);
        const items: Awaited<ReturnType<BankCore['transactions']>>['items'] = [];
        let complete = true;
        for (const account of accounts) {
          if (items.length >= SPENDING_MAX_ITEMS) {
            complete = false;
            break;
          }
          let after: string | undefined;
          do {
            const page = await scope.core.transactions(account.id, { from, limit: 200, after });
            items.push(...page.items);
            after = page.next ?? undefined;
          } while (after && items.length < SPENDING_MAX_ITEMS);
          if (after) complete = false;
        }
        return {
          records: { account: accountRecords(accounts), transaction: items.map(toOBTransaction) },
          extra: { complete },
        };
      },
      card: (p, { complete }) => spendingDataCard(since, p.account ?? [], p.transaction ?? [], complete),
    });
  }

  async #alertReply(
    intent: Extract<Intent, { kind: 'alert_reply' }>,
    auth: Authenticated,
    sealed: OpenedReply<{ answer: 'yes' | 'no' }> | undefined,
    out: BotAnswer,
  ): Promise<void> {
    // Only the sealed reply counts: it is what the device signed with the consent's key.
    const alerts = this.#o.alerts;
    if (!alerts) {
      out.text = 'This bank does not take answers to alerts in chat. Please call your bank.';
      return;
    }
    if (!sealed) {
      out.text =
        'Please answer with the buttons on the alert itself: only they carry your device’s sealed answer.';
      return;
    }
    const answer = sealed.payload.answer;
    if (answer !== (intent.answer === 'yes' ? 'yes' : 'no'))
      throw new Problem(
        422,
        'reply-mismatch',
        'Reply does not match',
        'the sealed answer differs from the button',
      );
    // The answer is a decision the log records (nothing released); a closed alert logs nothing.
    const closed = new Declined('closed');
    let result: { cardId: string | null } | null = null;
    try {
      await this.#release(auth, out, {
        purpose: 'fraud_alerts',
        cluster: 'card_controls',
        type: 'cards',
        kind: 'alert.reply',
        async read({ bankId, grant }) {
          result = await alerts.answer({
            bankId,
            customerId: grant.customerId,
            alertId: intent.alertId,
            answer,
          });
          if (!result) throw closed;
          return { records: {}, extra: undefined };
        },
        card: () => null,
      });
    } catch (error) {
      if (error !== closed) throw error;
      out.text = 'This alert is closed already.';
      return;
    }
    const cardId = (result as { cardId: string | null } | null)?.cardId ?? null;
    if (answer === 'yes' || !cardId) {
      out.text = 'Thanks — we have marked that payment as yours.';
      return;
    }
    const missing = new Declined('missing');
    try {
      await this.#release(auth, out, {
        purpose: 'fraud_alerts',
        cluster: 'card_controls',
        type: 'cards',
        kind: 'card.action',
        async read(scope) {
          const card = await scope.core.setCardStatus(cardId, 'frozen');
          if (!card) throw missing;
          return { records: {}, extra: { card, accounts: await sharedAccounts(scope) } };
        },
        card: (_p, { card, accounts }) =>
          cardStatusCard(
            `Card ending ${card.last4} is frozen. We will be in touch about the payment you did not make.`,
            [card],
            accounts,
          ),
      });
    } catch (error) {
      if (error !== missing) throw error;
      out.text = 'We could not find the card; please call your bank now.';
    }
  }

  /** Opens a reply the device sealed to the bank's HPKE key; only the consent's device key can have sent it. */
  async #openReply(
    { grant, consent }: Authenticated,
    alertId: string,
    reply: string,
  ): Promise<OpenedReply<{ answer: 'yes' | 'no' }>> {
    if (!consent) throw new Error('the bot runs on a loaded consent');
    const bankKey = await bankReplyKey(this.#o.keyStore, grant.bankId);
    try {
      return await openReply<{ answer: 'yes' | 'no' }>(reply, {
        bankKey,
        deviceKeys: [consent.deviceKey],
        expect: {
          bankId: grant.bankId,
          consentCommitment: consent.id,
          purpose: 'fraud_alerts',
          inReplyTo: alertId,
        },
      });
    } catch (error) {
      throw new Problem(
        422,
        'reply-not-opened',
        'Sealed reply refused',
        `the sealed reply could not be opened: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }
}
