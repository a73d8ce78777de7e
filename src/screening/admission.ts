// Admission: what an ingested authorisation must be before it is screened — a valid event
// (every error named by field), of this bank, on a card the bank core knows and that belongs
// to the customer named. Bad events are rejected on their own; the others go on, in order.

import type { AuthorisationEvent } from './event.ts';
import { reportableTransactionId, validateIngestedEvent } from './event-validation.ts';
import type { CardDirectory, ScreenOutcome } from './service.ts';

/** How long a card's owner is taken from memory, and how many cards are remembered. */
const CARD_CACHE_MS = 60_000;
const CARD_CACHE_SIZE = 100_000;

export interface Admitted {
  /** One slot per input: filled for rejected inputs, empty for admitted ones. */
  readonly out: ScreenOutcome[];
  /** The admitted events with their input index, in input order. */
  readonly valid: { index: number; event: AuthorisationEvent }[];
}

export class Admission {
  private readonly cards: CardDirectory | undefined;
  /** Card → owner, as the bank core answered recently (see findCards). */
  private readonly cardCache = new Map<string, { customerId: string; until: number }>();
  constructor(cards: CardDirectory | undefined) {
    this.cards = cards;
  }

  async admit(bankId: string, inputs: readonly unknown[]): Promise<Admitted> {
    const out: ScreenOutcome[] = new Array(inputs.length);
    const checked: { index: number; event: AuthorisationEvent }[] = [];
    for (let index = 0; index < inputs.length; index++) {
      const input = inputs[index];
      const id = reportableTransactionId(input);
      const result = validateIngestedEvent(input);
      if (!result.ok) {
        out[index] = { status: 'rejected', transactionId: id, errors: result.errors };
      } else if (result.event.bankId !== bankId) {
        out[index] = {
          status: 'rejected',
          transactionId: id,
          errors: [
            {
              field: 'bankId',
              code: 'bank_mismatch',
              message: `event is for bank ${result.event.bankId}, not ${bankId}`,
            },
          ],
        };
      } else {
        checked.push({ index, event: result.event });
      }
    }
    let valid = checked;
    const directory = this.cards;
    if (directory !== undefined && checked.length > 0) {
      const known = await this.findCards(
        directory,
        bankId,
        checked.map(({ event }) => event.cardId),
      );
      valid = [];
      for (const item of checked) {
        const card = known.get(item.event.cardId);
        if (card === undefined) {
          out[item.index] = {
            status: 'rejected',
            transactionId: item.event.transactionId,
            errors: [{ field: 'cardId', code: 'unknown_card', message: 'no such card at this bank' }],
          };
        } else if (card.customerId !== item.event.customerId) {
          out[item.index] = {
            status: 'rejected',
            transactionId: item.event.transactionId,
            errors: [
              {
                field: 'customerId',
                code: 'card_customer_mismatch',
                message: 'the card belongs to another customer',
              },
            ],
          };
        } else {
          valid.push(item);
        }
      }
    }
    return { out, valid };
  }

  /**
   * The bank core's word on the batch's cards, each card asked once. A card's owner never
   * changes, so a found card is remembered for a short while (CARD_CACHE_MS): a busy card
   * costs the bank core one lookup a minute, not one per authorisation. Unknown cards are
   * always asked again.
   */
  private async findCards(
    directory: CardDirectory,
    bankId: string,
    cardIds: readonly string[],
  ): Promise<Map<string, { customerId: string } | undefined>> {
    const known = new Map<string, { customerId: string } | undefined>();
    const ask: string[] = [];
    const now = Date.now();
    for (const cardId of cardIds) {
      if (known.has(cardId)) continue;
      const cached = this.cardCache.get(`${bankId}\u001f${cardId}`);
      if (cached !== undefined && cached.until > now) known.set(cardId, cached);
      else {
        known.set(cardId, undefined);
        ask.push(cardId);
      }
    }
    // The cards not in memory in one lookup where the directory can (a cold start, or a
    // minute after a busy hour, puts hundreds of cards in one batch), else one by one.
    const many = ask.length > 0 && directory.findMany ? await directory.findMany(bankId, ask) : undefined;
    const found = many
      ? ask.map((cardId) => many.get(cardId))
      : await Promise.all(ask.map((cardId) => directory.find(bankId, cardId)));
    for (let i = 0; i < ask.length; i++) {
      const card = found[i];
      known.set(ask[i]!, card);
      if (card === undefined) continue;
      if (this.cardCache.size >= CARD_CACHE_SIZE) this.cardCache.clear();
      this.cardCache.set(`${bankId}\u001f${ask[i]!}`, {
        customerId: card.customerId,
        until: now + CARD_CACHE_MS,
      });
    }
    return known;
  }
}
