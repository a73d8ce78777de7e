// What the gateway's outbox worker does with each topic: a raised alert is released and sealed
// (alerts), a booked transaction becomes a purchase notification, and a relay push is posted to
// the platform's relay. Kept out of runtime.ts, which only assembles the parts.
import type { FastifyBaseLogger } from 'fastify';
import {
  ALERT_RAISED_TOPIC,
  alertRaisedHandler,
  type DeviceAlertSink,
  RELAY_PUSH_TOPIC,
  type RelayWebhook,
  relayPushHandler,
} from '../alerts/index.ts';
import type { BankCore } from '../bank/index.ts';
import type { ConsentService } from '../consent/index.ts';
import { OutboxWorker } from '../outbox/index.ts';
import type { ReleasePath } from '../release/index.ts';
import type { ScreeningService } from '../screening/index.ts';
import type { Database } from '../storage/index.ts';
import { TRANSACTION_BOOKED_TOPIC, transactionBookedHandler } from './purchase-notifications.ts';

export interface GatewayOutboxParts {
  database: Database;
  sink: DeviceAlertSink;
  screening: ScreeningService;
  consent: ConsentService;
  release: ReleasePath;
  core(bankId: string): BankCore;
  /** Late-bound: the relay may connect after the gateway starts. */
  relay(): RelayWebhook | undefined;
  /** Late-bound: the app's logger exists once the app is built. */
  log(): FastifyBaseLogger;
}

export function gatewayOutboxWorker(parts: GatewayOutboxParts): OutboxWorker {
  const { screening } = parts;
  return new OutboxWorker({
    database: parts.database,
    handlers: new Map([
      [ALERT_RAISED_TOPIC, alertRaisedHandler(parts.sink, (alertId) => screening.alert(alertId))],
      [
        TRANSACTION_BOOKED_TOPIC,
        transactionBookedHandler({
          consent: parts.consent,
          release: parts.release,
          core: parts.core,
          relayConnected: () => parts.relay() !== undefined,
        }),
      ],
      [
        RELAY_PUSH_TOPIC,
        relayPushHandler({
          relay: parts.relay,
          onAlertDelivered: (alertId) => screening.markDelivered(alertId),
        }),
      ],
    ]),
    // Preparing an alert or a notice works on the database only (consent, release, log):
    // on the embedded database it runs in the claim's turn. The relay push does not.
    databaseTopics: new Set([ALERT_RAISED_TOPIC, TRANSACTION_BOOKED_TOPIC]),
    onError: (error, message, dead) => {
      const fields = { err: error, bank: message.bankId, topic: message.topic, attempts: message.attempts };
      if (dead) parts.log().error(fields, 'outbox message dead: out of attempts');
      else parts.log().debug(fields, 'outbox delivery failed; retrying');
    },
  });
}
