// The gateway's screening service: the engine with the banks' models and the demo rules, card
// owners from the bank cores, and each screened authorisation booked as a pending card payment
// in the same commit (whose listeners send purchase notifications).
import { type BankCore, CoreBookings } from '../bank/index.ts';
import {
  type AlertSink,
  type CardDirectory,
  loadScreeningModel,
  ModelRegistry,
  ScreeningService,
} from '../screening/index.ts';
import type { Database } from '../storage/index.ts';
import { purchaseNotificationListener } from './purchase-notifications.ts';
import { DEMO_SCREENING_RULES } from './screening-rules.ts';

/** Card owners as the banks' cores know them (screening admits events on known cards only). */
export function coreCardDirectory(cores: ReadonlyMap<string, BankCore>): CardDirectory {
  return {
    async find(bankId, cardId) {
      const card = await cores.get(bankId)?.card(cardId);
      return card ? { customerId: card.customerId, status: card.status } : undefined;
    },
    async findMany(bankId, cardIds) {
      const found = (await cores.get(bankId)?.cardsById(cardIds)) ?? [];
      return new Map(found.map((card) => [card.id, { customerId: card.customerId, status: card.status }]));
    },
  };
}

export interface GatewayScreening {
  readonly screening: ScreeningService;
  readonly models: ModelRegistry;
  /** The card owners the service admits events by (the app's routes use the same). */
  readonly cards: CardDirectory;
  /** Where transactions are announced as they are booked (card payments here, checkout elsewhere). */
  readonly bookings: CoreBookings;
}

export function gatewayScreening(parts: {
  readonly database: Database;
  readonly cores: ReadonlyMap<string, BankCore & { announceBookings(bookings: CoreBookings): void }>;
  readonly sink: AlertSink;
}): GatewayScreening {
  // Transactions as they are booked: card authorisations from the ingest, the bank's own
  // payments through `bookings.booked`; customers who asked are notified (purchase-notifications.ts).
  const bookings = new CoreBookings();
  bookings.onBooked(purchaseNotificationListener());
  // Checkout payments and refunds the cores book are announced to the same hook.
  for (const bankCore of parts.cores.values()) bankCore.announceBookings(bookings);
  const models = new ModelRegistry(parts.database);
  const cards = coreCardDirectory(parts.cores);
  const screening = new ScreeningService({
    database: parts.database,
    model: loadScreeningModel(),
    models,
    sink: parts.sink,
    cards,
    rules: DEMO_SCREENING_RULES,
    // A screened card authorisation is a pending card payment in the core, in the same commit.
    onScreened: async (trx, bankId, events, alerted) =>
      void (await bookings.bookCardPayments(
        trx,
        bankId,
        events.map((event) => (alerted.has(event.transactionId) ? { ...event, fraudAlert: true } : event)),
      )),
  });
  return { screening, models, cards, bookings };
}
