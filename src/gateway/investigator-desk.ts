// The investigator view's desk: what the screening context's page needs from the rest of the
// bank. Names and masked cards come from the bank core; the fraud team's actions are written
// to the bank's transparency log like every other action (the customer sees them on their
// access history, with the bank itself as the actor); card status changes go to the core.
import type { AuditTrail } from '../audit/index.ts';
import type { Bank, BankCore } from '../bank/index.ts';
import { bankBrand, logoMark } from '../consent/index.ts';
import type { AlertSubject, InvestigatorDesk, ScreeningAlert } from '../screening/index.ts';

export interface InvestigatorDeskOptions {
  banks: ReadonlyMap<string, Bank>;
  core(bankId: string): BankCore;
  audit: AuditTrail;
}

const CARD_KIND: Record<string, string> = {
  current: 'Debit card',
  savings: 'Savings card',
  credit_card: 'Credit card',
};

/** "Debit card •••• 1234": the card's kind from its account, and its last four digits. */
export function maskedCard(accountKind: string | null, last4: string): string {
  return `${CARD_KIND[accountKind ?? ''] ?? 'Card'} •••• ${last4}`;
}

export function investigatorDesk(options: InvestigatorDeskOptions): InvestigatorDesk {
  const known = (bankId: string) => options.banks.has(bankId);
  return {
    bank(bankId) {
      const brand = bankBrand(bankId);
      const name = options.banks.get(bankId)?.name ?? bankId;
      return {
        name,
        logo: logoMark(name, brand.colour),
        colour: brand.colour,
        timeZone: brand.timeZone,
        zoneName: brand.zoneName,
      };
    },

    async describe(bankId, alerts) {
      const subjects = new Map<string, AlertSubject>();
      if (!known(bankId)) return subjects;
      const core = options.core(bankId);
      const names = new Map<string, string | null>();
      const cards = new Map<string, { label: string; status: string } | null>();
      for (const alert of alerts) {
        if (!names.has(alert.customerId))
          names.set(alert.customerId, (await core.customer(alert.customerId))?.displayName ?? null);
        if (!cards.has(alert.cardId)) {
          const card = await core.card(alert.cardId);
          const account = card ? await core.account(card.accountId) : null;
          cards.set(
            alert.cardId,
            card ? { label: maskedCard(account?.kind ?? null, card.last4), status: card.status } : null,
          );
        }
        const card = cards.get(alert.cardId) ?? null;
        subjects.set(alert.id, {
          customerName: names.get(alert.customerId) ?? null,
          cardLabel: card?.label ?? null,
          cardStatus: card?.status ?? null,
        });
      }
      return subjects;
    },

    async record(bankId, alert: ScreeningAlert, kind) {
      return options.audit.record({
        bankId,
        customerId: alert.customerId,
        // Not a platform's pseudonym: the bank acts on its own customer.
        pairwiseId: alert.customerId,
        consentId: null,
        platform: bankId,
        kind,
        purpose: 'fraud_alerts',
        clusters: kind === 'card.action' ? ['card_controls'] : ['transactions'],
        released: null,
      });
    },

    async setCardStatus(bankId, cardId, status) {
      if (!known(bankId)) return null;
      return (await options.core(bankId).setCardStatus(cardId, status))?.status ?? null;
    },
  };
}
