// The bank bot: turns a chat event from the platform into answers sealed to the customer's
// device. For every intent it checks the consent (Cedar decision for the intent's purpose and
// data cluster), reads only what that purpose needs, appends the release to the bank's
// transparency log, and only then seals it (HPKE to the device key the consent bound, signed
// with the bank's key). The platform gets ciphertext, or plain text that says nothing about
// the customer (help, "I did not understand", "your link does not cover that").
import type { AccessGrant, DataCluster, Purpose } from '../access/index.ts';
import type { AuditTrail, EntryKind } from '../audit/index.ts';
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
import type { ConsentRecord, ConsentService } from '../consent/index.ts';
import { Problem } from '../http/index.ts';
import type { KeyStore } from '../keys/index.ts';
import { type OpenedReply, openReply } from '../seal/index.ts';
import { type BankSealers, bankReplyKey, bankSealers } from './sealers.ts';

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
  consent: ConsentService;
  audit: AuditTrail;
  keyStore: KeyStore;
  core(bankId: string): BankCore;
  alerts?: AlertReplies;
  sealers?: BankSealers;
}

const RECENT = 8;
/** Spending data: at most this far back, and this many transactions per answer. */
const SPENDING_MAX_DAYS = 100;
const SPENDING_MAX_ITEMS = 1000;

/** A refusal the customer should read in the chat (the link itself is still good). */
class Declined extends Error {}

export class BankBot {
  readonly #o: BankBotOptions;
  readonly #sealer: BankSealers;

  constructor(options: BankBotOptions) {
    this.#o = options;
    this.#sealer = options.sealers ?? bankSealers(options.keyStore);
  }

  /** Seals one message to the device after its release is in the log. */
  /** The customer's cards and their status under a heading (each card needs card_controls on its account). */
  async #releaseCardList(
    grant: AccessGrant,
    consent: ConsentRecord,
    heading: string,
    cards: Card[],
    accounts: Account[],
    out: BotAnswer,
  ): Promise<void> {
    for (const c of cards) await this.#allow(grant, 'fraud_alerts', 'card_controls', c.accountId);
    const card = cardStatusCard(
      cards.length ? heading : 'No card is shared with this link.',
      cards,
      accounts,
    );
    await this.#release(grant, consent, 'fraud_alerts', ['card_controls'], 'data.access', card, out);
  }

  async #release(
    grant: AccessGrant,
    consent: ConsentRecord,
    purpose: Purpose,
    clusters: DataCluster[],
    kind: EntryKind,
    card: BotCard,
    out: BotAnswer,
  ): Promise<void> {
    const message = deviceMessage(card);
    if ('text' in message) {
      out.text = out.text ? `${out.text}\n${message.text}` : message.text;
      return;
    }
    const released = Buffer.from(JSON.stringify(message.payload));
    const index = await this.#o.audit.record({
      bankId: grant.bankId,
      customerId: grant.customerId,
      pairwiseId: grant.subject ?? grant.customerId,
      consentId: consent.id,
      platform: consent.clientId,
      kind,
      purpose,
      clusters,
      released,
    });
    const sealer = await this.#sealer(grant.bankId);
    out.envelopes.push(
      sealer.seal({
        recipientPublicKey: consent.deviceKey,
        // The envelope names the consent by the id the platform already holds; the public log
        // carries only the keyed commitment to it.
        consentCommitment: consent.id,
        purpose,
        type: message.type,
        log: index,
        payload: message.payload,
      }),
    );
  }

  /** Asks the consent layer whether this purpose may touch this cluster (and account). */
  async #allow(
    grant: AccessGrant,
    purpose: Purpose,
    cluster: DataCluster,
    accountId?: string,
  ): Promise<void> {
    grant.purpose = purpose;
    try {
      await this.#o.consent.access.authorize(grant, { cluster, ...(accountId ? { accountId } : {}) });
    } catch (error) {
      if (error instanceof Problem && error.status === 403) throw new Declined(error.message);
      throw error;
    }
  }

  async #accounts(grant: AccessGrant): Promise<Account[]> {
    const all = await this.#o.core(grant.bankId).accounts(grant.customerId);
    return all.filter((a) => grant.accountIds === null || grant.accountIds.includes(a.id));
  }

  async #cards(grant: AccessGrant): Promise<Card[]> {
    const cards = await this.#o.core(grant.bankId).cards(grant.customerId);
    return cards.filter((c) => grant.accountIds === null || grant.accountIds.includes(c.accountId));
  }

  async handle(grant: AccessGrant, consent: ConsentRecord, event: BotEvent): Promise<BotAnswer> {
    const intent: Intent = event.postback
      ? intentFromPayload(event.postback.payload)
      : intentFromText(event.message?.text ?? '');
    const out: BotAnswer = { envelopes: [] };
    const bankName = this.#o.consent.bankName(grant.bankId);
    if (intent.kind === 'help') return { envelopes: [], text: HELP_TEXT };
    if (intent.kind === 'unknown')
      return { envelopes: [], text: `Sorry, I did not understand that. ${HELP_TEXT}` };
    const need = INTENT_NEEDS[intent.kind];
    if (!consent.purposes.includes(need.purpose))
      return {
        envelopes: [],
        text: `Your link to ${bankName} does not cover that (it needs the purpose “${need.purpose.replaceAll('_', ' ')}”). You can link again with it.`,
      };
    try {
      await this.#answer(intent, grant, consent, event.reply, out);
    } catch (error) {
      if (error instanceof Declined)
        return { envelopes: [], text: `Your link to ${bankName} does not allow that: ${error.message}.` };
      throw error;
    }
    return out;
  }

  async #answer(
    intent: Intent,
    grant: AccessGrant,
    consent: ConsentRecord,
    reply: string | undefined,
    out: BotAnswer,
  ): Promise<void> {
    const core = this.#o.core(grant.bankId);
    switch (intent.kind) {
      case 'balance': {
        const accounts = await this.#accounts(grant);
        for (const a of accounts) await this.#allow(grant, 'balance_inquiry', 'balances', a.id);
        const balances = (await Promise.all(accounts.map((a) => core.balances(a.id)))).flat();
        await this.#release(
          grant,
          consent,
          'balance_inquiry',
          ['balances'],
          'data.access',
          balanceCard(accounts, balances),
          out,
        );
        return;
      }
      case 'transactions': {
        const accounts = await this.#accounts(grant);
        const account = accounts.find((a) => a.kind === 'current') ?? accounts[0];
        if (!account) throw new Declined('no account is shared with this link');
        await this.#allow(grant, 'transaction_notifications', 'transactions', account.id);
        const page = await core.transactions(account.id, { limit: RECENT });
        await this.#release(
          grant,
          consent,
          'transaction_notifications',
          ['transactions'],
          'data.access',
          transactionsCard(account, page.items),
          out,
        );
        return;
      }
      case 'spending_data': {
        await this.#spendingData(intent.since, grant, consent, out);
        return;
      }
      case 'cards': {
        const [cards, accounts] = await Promise.all([this.#cards(grant), this.#accounts(grant)]);
        await this.#releaseCardList(
          grant,
          consent,
          'Here are your cards and their status.',
          cards,
          accounts,
          out,
        );
        return;
      }
      case 'transaction_detail': {
        // Only a transaction of a consented account; anything else reads as "not found", so
        // ids cannot be probed.
        const t = await core.transaction(intent.transactionId);
        const covered = t !== null && (await this.#accounts(grant)).some((a) => a.id === t.accountId);
        if (!covered) {
          out.text = 'I could not find that transaction among your accounts shared with this link.';
          return;
        }
        await this.#allow(grant, 'transaction_notifications', 'transactions', t.accountId);
        await this.#release(
          grant,
          consent,
          'transaction_notifications',
          ['transactions'],
          'data.access',
          transactionCard(t),
          out,
        );
        return;
      }
      case 'freeze_card':
      case 'unfreeze_card': {
        const status = intent.kind === 'freeze_card' ? 'frozen' : 'active';
        const [cards, accounts] = await Promise.all([this.#cards(grant), this.#accounts(grant)]);
        const target = intent.cardId ? cards.find((c) => c.id === intent.cardId) : undefined;
        if (!target) {
          // No card named (or one not among them): show the cards, each with its own button, so
          // the customer picks one and the device asks for confirmation before anything changes.
          const question =
            status === 'frozen' ? 'Which card should I freeze?' : 'Which card should I unfreeze?';
          await this.#releaseCardList(grant, consent, question, cards, accounts, out);
          return;
        }
        await this.#allow(grant, 'fraud_alerts', 'card_controls', target.accountId);
        const updated = (await core.setCardStatus(target.id, status)) ?? target;
        await this.#release(
          grant,
          consent,
          'fraud_alerts',
          ['card_controls'],
          'card.action',
          cardStatusCard(
            status === 'frozen'
              ? `Card ending ${updated.last4} is frozen. Nobody can pay with it until you unfreeze it.`
              : `Card ending ${updated.last4} works again.`,
            [updated],
            accounts,
          ),
          out,
        );
        return;
      }
      case 'alert_reply':
        await this.#alertReply(
          intent,
          grant,
          consent,
          reply === undefined ? undefined : await this.#openReply(grant, consent, intent.alertId, reply),
          out,
        );
        return;
    }
  }

  /** Debits since a day on every shared account, paged from the core, for sums on the device. */
  async #spendingData(since: string, grant: AccessGrant, consent: ConsentRecord, out: BotAnswer) {
    const from = new Date(`${since}T00:00:00Z`);
    const oldest = Date.now() - SPENDING_MAX_DAYS * 86_400_000;
    if (Number.isNaN(from.getTime()) || from.getTime() < oldest) {
      out.text = `I can share at most the last ${SPENDING_MAX_DAYS} days of transactions for spending sums.`;
      return;
    }
    const core = this.#o.core(grant.bankId);
    const rows: { account: Account; items: Awaited<ReturnType<BankCore['transactions']>>['items'] }[] = [];
    let total = 0;
    let complete = true;
    for (const account of await this.#accounts(grant)) {
      if (total >= SPENDING_MAX_ITEMS) {
        complete = false;
        break;
      }
      await this.#allow(grant, 'transaction_notifications', 'transactions', account.id);
      const items = [];
      let after: string | undefined;
      do {
        const page = await core.transactions(account.id, { from, limit: 200, after });
        items.push(...page.items);
        total += page.items.length;
        after = page.next ?? undefined;
      } while (after && total < SPENDING_MAX_ITEMS);
      if (after) complete = false;
      rows.push({ account, items });
    }
    await this.#release(
      grant,
      consent,
      'transaction_notifications',
      ['transactions'],
      'data.access',
      spendingDataCard(since, rows, complete),
      out,
    );
  }

  async #alertReply(
    intent: Extract<Intent, { kind: 'alert_reply' }>,
    grant: AccessGrant,
    consent: ConsentRecord,
    sealed: OpenedReply<{ answer: 'yes' | 'no' }> | undefined,
    out: BotAnswer,
  ): Promise<void> {
    // Only the sealed reply counts: it is what the device signed with the consent's key.
    if (!this.#o.alerts) {
      out.text = 'This bank does not take answers to alerts in chat. Please call your bank.';
      return;
    }
    if (!sealed) {
      out.text =
        'Please answer with the buttons on the alert itself: only they carry your device’s sealed answer.';
      return;
    }
    await this.#allow(grant, 'fraud_alerts', 'card_controls');
    const answer = sealed.payload.answer;
    if (answer !== (intent.answer === 'yes' ? 'yes' : 'no'))
      throw new Problem(
        422,
        'reply-mismatch',
        'Reply does not match',
        'the sealed answer differs from the button',
      );
    const result = await this.#o.alerts.answer({
      bankId: grant.bankId,
      customerId: grant.customerId,
      alertId: intent.alertId,
      answer,
    });
    if (!result) {
      out.text = 'This alert is closed already.';
      return;
    }
    await this.#o.audit.record({
      bankId: grant.bankId,
      customerId: grant.customerId,
      pairwiseId: grant.subject ?? grant.customerId,
      consentId: consent.id,
      platform: consent.clientId,
      kind: 'alert.reply',
      purpose: 'fraud_alerts',
      clusters: ['card_controls'],
      released: null,
    });
    if (answer === 'yes' || !result.cardId) {
      out.text = 'Thanks — we have marked that payment as yours.';
      return;
    }
    const core = this.#o.core(grant.bankId);
    const card = await core.setCardStatus(result.cardId, 'frozen');
    if (!card) {
      out.text = 'We could not find the card; please call your bank now.';
      return;
    }
    await this.#release(
      grant,
      consent,
      'fraud_alerts',
      ['card_controls'],
      'card.action',
      cardStatusCard(
        `Card ending ${card.last4} is frozen. We will be in touch about the payment you did not make.`,
        [card],
        await this.#accounts(grant),
      ),
      out,
    );
  }

  /** Opens a reply the device sealed to the bank's HPKE key; only the consent's device key can have sent it. */
  async #openReply(
    grant: AccessGrant,
    consent: ConsentRecord,
    alertId: string,
    reply: string,
  ): Promise<OpenedReply<{ answer: 'yes' | 'no' }>> {
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
