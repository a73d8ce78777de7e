// NATS JetStream ingest for production volume. Subject per bank: proviso.<bank>.authorisations,
// one authorisation (JSON) per message, all in one stream (PROVISO_AUTHORISATIONS). A durable
// pull consumer with explicit acks: a message is acked only after its event is committed (or
// found to be a duplicate), so a crash redelivers it and idempotence absorbs the repeat.
// Backpressure: at most `maxInFlight` messages are unacked (the server's max_ack_pending and a
// local semaphore), so a slow database slows the pull instead of filling memory. Messages are
// spread over `lanes` by card id, each lane sequential: one card's events keep their order.
// A bad message (not JSON, fails validation) is recorded once as a dead letter (dead-letter.ts)
// and then acked — never terminated: the Debian nats-server 2.9 ignores a terminate with a
// reason and redelivers, which filled max_ack_pending and stopped screening. A database error
// naks the message for a later redelivery; one that fails on maxDeliveries deliveries is
// buried as a dead letter too, so one poison message can never stall its consumer.
import {
  AckPolicy,
  type ConsumerMessages,
  DeliverPolicy,
  type JetStreamManager,
  type JsMsg,
  jetstream,
  jetstreamManager,
  RetentionPolicy,
  StorageType,
} from '@nats-io/jetstream';
import { connect, type NatsConnection, nanos } from '@nats-io/transport-node';
import { Registry } from 'prom-client';
import { safeError } from '../http/index.ts';
import { type DeadLetterError, deadLetterCounter } from './dead-letter.ts';
import { hash32 } from './features.ts';
import { countOutcome, type IngestMetrics, ingestMetrics } from './ingest.ts';
import type { ScreeningService } from './service.ts';

const MALFORMED: unique symbol = Symbol('malformed message');

export const AUTHORISATION_STREAM = 'PROVISO_AUTHORISATIONS';
export const AUTHORISATION_SUBJECTS = 'proviso.*.authorisations';

export function authorisationSubject(bankId: string): string {
  if (!/^[a-z][a-z0-9-]{1,31}$/.test(bankId)) throw new Error(`bad bank id ${bankId}`);
  return `proviso.${bankId}.authorisations`;
}

/** Creates the authorisation stream if it does not exist (safe to race from several processes). */
export async function ensureAuthorisationStream(
  jsm: JetStreamManager,
  stream = AUTHORISATION_STREAM,
): Promise<void> {
  try {
    await jsm.streams.info(stream);
    return;
  } catch {
    // not there yet
  }
  try {
    await jsm.streams.add({
      name: stream,
      subjects: [AUTHORISATION_SUBJECTS],
      retention: RetentionPolicy.Limits,
      storage: StorageType.File,
      max_age: nanos(7 * 86_400_000),
      // Publishers set Nats-Msg-Id = bank:transactionId: a re-sent event within this window
      // is dropped by the server already.
      duplicate_window: nanos(120_000),
    });
  } catch (error) {
    // Another process created it between our two calls.
    await jsm.streams.info(stream).catch(() => {
      throw error;
    });
  }
}

export interface NatsIngestOptions {
  readonly servers: string | string[];
  readonly bankIds: readonly string[];
  readonly service: ScreeningService;
  readonly stream?: string;
  /** Durable consumer name prefix shared by every instance (default proviso-screening; one per bank: NAME-BANK). */
  readonly durable?: string;
  /** Most unacked messages at once (default 256). */
  readonly maxInFlight?: number;
  /** Parallel lanes (by card) per process (default 8). */
  readonly lanes?: number;
  /** Seconds before an unacked message is redelivered (default 30). */
  readonly ackWaitSeconds?: number;
  readonly registry?: Registry;
  /**
   * Deliveries a message may fail on (database errors) before it is buried as a dead
   * letter with reason processing_failed (default 5).
   */
  readonly maxDeliveries?: number;
  /**
   * Called for infrastructure errors (database down…); default: ignored after a nak. The
   * error is reduced to its class and code (safeError): never a message quoting an event.
   */
  readonly onError?: (error: unknown) => void;
}

export interface NatsIngest {
  /** Messages handled (acked, screened or dead-lettered) by this process. */
  readonly handled: () => number;
  /** Stops pulling, finishes the messages in flight, closes the connection. */
  close(): Promise<void>;
}

export async function startNatsIngest(options: NatsIngestOptions): Promise<NatsIngest> {
  const stream = options.stream ?? AUTHORISATION_STREAM;
  const durable = options.durable ?? 'proviso-screening';
  const maxInFlight = options.maxInFlight ?? 256;
  const laneCount = options.lanes ?? 8;
  const registry = options.registry ?? new Registry();
  const metrics: IngestMetrics = ingestMetrics(registry);
  if (options.bankIds.length === 0) throw new Error('startNatsIngest needs at least one bank id');

  const nc: NatsConnection = await connect({
    servers: options.servers,
    name: `proviso-screening-${durable}`,
  });
  // One durable consumer per bank subject (single filter_subject works on every JetStream
  // server; filter_subjects needs 2.10+). Every instance binds to the same durables.
  const streams: ConsumerMessages[] = [];
  try {
    const jsm = await jetstreamManager(nc);
    await ensureAuthorisationStream(jsm, stream);
    for (const bankId of options.bankIds) {
      const name = `${durable}-${bankId}`;
      const config = {
        durable_name: name,
        ack_policy: AckPolicy.Explicit,
        deliver_policy: DeliverPolicy.All,
        max_ack_pending: maxInFlight,
        ack_wait: nanos((options.ackWaitSeconds ?? 30) * 1000),
        filter_subject: authorisationSubject(bankId),
      };
      try {
        await jsm.consumers.add(stream, config);
      } catch {
        // Exists with another configuration: update what may change.
        await jsm.consumers.update(stream, name, {
          max_ack_pending: config.max_ack_pending,
          ack_wait: config.ack_wait,
        });
      }
      const consumer = await jetstream(nc).consumers.get(stream, name);
      streams.push(await consumer.consume({ max_messages: Math.min(maxInFlight, 128) }));
    }
  } catch (error) {
    await nc.close();
    throw error;
  }

  let handled = 0;
  let inFlight = 0;
  let wake: (() => void) | undefined;
  const lanes: Promise<void>[] = Array.from({ length: laneCount }, () => Promise.resolve());
  const deadLetters = options.service.deadLetters;
  const deadLettered = deadLetterCounter(registry);
  const maxDeliveries = options.maxDeliveries ?? 5;

  // Records the message as a dead letter, then acks it: it never comes back, whatever the
  // server does with a terminate. If the record cannot be written, nak: tried again later.
  const bury = async (msg: JsMsg, bankId: string, errors: readonly DeadLetterError[]) => {
    const reason = errors[0]?.code ?? 'invalid';
    const fresh = await deadLetters.record({
      bankId,
      stream: msg.info.stream,
      streamSequence: msg.seq,
      subject: msg.subject,
      reason,
      errors,
      deliveryCount: msg.info.deliveryCount,
      payload: msg.data,
    });
    if (fresh) deadLettered.inc({ source: 'nats', reason });
    msg.ack();
  };

  const handle = async (msg: JsMsg, bankId: string, event: unknown): Promise<void> => {
    try {
      if (event === MALFORMED) {
        metrics.rejected.inc({ source: 'nats', code: 'malformed_json' });
        metrics.events.inc({ source: 'nats', outcome: 'rejected' });
        await bury(msg, bankId, [{ field: '', code: 'malformed_json', message: 'the message is not JSON' }]);
      } else {
        const outcome = await options.service.screen(bankId, event).catch(async (error: unknown) => {
          // Failed on every delivery allowed: a poison message, not an outage. Buried, so
          // the consumer moves on; the bank can replay it from its dead letters.
          if (msg.info.deliveryCount < maxDeliveries) throw error;
          options.onError?.(safeError(error));
          return undefined;
        });
        if (outcome === undefined) {
          await bury(msg, bankId, [
            {
              field: '',
              code: 'processing_failed',
              message: `screening failed on ${msg.info.deliveryCount} deliveries`,
            },
          ]);
        } else {
          countOutcome(metrics, 'nats', outcome);
          if (outcome.status === 'rejected') await bury(msg, bankId, outcome.errors);
          else msg.ack();
        }
      }
      handled++;
    } catch (error) {
      // Infrastructure trouble: let the server redeliver later.
      msg.nak(2000);
      options.onError?.(safeError(error));
    }
  };

  const pump = async (messages: ConsumerMessages) => {
    for await (const msg of messages) {
      const bankId = msg.subject.split('.')[1] ?? '';
      let event: unknown;
      try {
        event = msg.json();
      } catch {
        event = MALFORMED;
      }
      while (inFlight >= maxInFlight) await new Promise<void>((resolve) => (wake = resolve));
      const card =
        typeof event === 'object' && event !== null && Object.hasOwn(event, 'cardId')
          ? String((event as { cardId?: unknown }).cardId)
          : '';
      const lane = hash32(`${bankId}/${card}`) % laneCount;
      inFlight++;
      lanes[lane] = lanes[lane]!.then(() => handle(msg, bankId, event)).finally(() => {
        inFlight--;
        const resume = wake;
        wake = undefined;
        resume?.();
      });
    }
  };
  const pumps = streams.map((messages) => pump(messages).catch((error: unknown) => options.onError?.(error)));

  return {
    handled: () => handled,
    async close() {
      await Promise.all(streams.map((messages) => messages.close().catch(() => {})));
      await Promise.all(pumps);
      await Promise.all(lanes);
      await nc.drain().catch(() => {});
    },
  };
}

export interface NatsPublisher {
  publish(bankId: string, event: unknown, msgId?: string): Promise<void>;
  close(): Promise<void>;
}

/** For the replay tool and tests: publishes events on the bank's subject (waits for the store). */
export async function natsPublisher(
  servers: string | string[],
  stream = AUTHORISATION_STREAM,
): Promise<NatsPublisher> {
  const nc = await connect({ servers, name: 'proviso-replay' });
  await ensureAuthorisationStream(await jetstreamManager(nc), stream);
  const js = jetstream(nc);
  return {
    async publish(bankId, event, msgId) {
      await js.publish(
        authorisationSubject(bankId),
        JSON.stringify(event),
        msgId === undefined ? {} : { msgID: msgId },
      );
    },
    async close() {
      await nc.drain();
    },
  };
}
