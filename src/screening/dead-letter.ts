// Dead letters of the NATS authorisation ingest: a message that cannot be screened is
// recorded here once (its reason and errors, where it came from, a SHA-256 of the payload
// and, up to 64 KiB, the raw bytes for a replay by the bank) and then acknowledged, so it
// never returns and never fills the consumer's max_ack_pending. The payload stays in the
// bank's own database: it is never logged and the API shows only its digest and size.
import { createHash } from 'node:crypto';
import type { Generated, Kysely } from 'kysely';
import { Counter, type Registry } from 'prom-client';
import type { Database } from '../storage/index.ts';

/** Largest payload kept for replay; longer ones keep only their digest and size. */
export const MAX_STORED_PAYLOAD = 64 * 1024;

/** Why a letter was not screened: a validation error, or malformed_json / processing_failed. */
export interface DeadLetterError {
  readonly field: string;
  readonly code: string;
  readonly message: string;
}

export interface DeadLetterInput {
  readonly bankId: string;
  readonly stream: string;
  readonly streamSequence: number;
  readonly subject: string;
  readonly reason: string;
  readonly errors: readonly DeadLetterError[];
  readonly deliveryCount: number;
  readonly payload: Uint8Array;
}

export interface DeadLetter {
  readonly id: number;
  readonly bankId: string;
  readonly source: 'nats';
  readonly stream: string;
  readonly streamSequence: number;
  readonly subject: string;
  readonly reason: string;
  readonly errors: readonly DeadLetterError[];
  readonly deliveryCount: number;
  readonly payloadSha256: string;
  readonly payloadSize: number;
  /** Whether the raw payload is kept for replay (up to MAX_STORED_PAYLOAD bytes). */
  readonly payloadStored: boolean;
  readonly receivedAt: Date;
}

interface Tables {
  screening_dead_letter: {
    id: Generated<number>;
    bank_id: string;
    source: 'nats';
    stream: string;
    stream_sequence: number;
    subject: string;
    reason: string;
    errors: string;
    delivery_count: number;
    payload_sha256: string;
    payload_size: number;
    payload: Uint8Array | null;
    received_at: Generated<Date>;
  };
}

export class DeadLetterStore {
  private readonly db: Kysely<Tables>;
  constructor(database: Database) {
    this.db = database.tables<Tables>();
  }

  /** Records a letter; false when this message was recorded before (a redelivery). */
  async record(letter: DeadLetterInput): Promise<boolean> {
    const payload = Buffer.from(letter.payload);
    const inserted = await this.db
      .insertInto('screening_dead_letter')
      .values({
        bank_id: letter.bankId,
        source: 'nats',
        stream: letter.stream,
        stream_sequence: letter.streamSequence,
        subject: letter.subject,
        reason: letter.reason,
        errors: JSON.stringify(letter.errors),
        delivery_count: letter.deliveryCount,
        payload_sha256: createHash('sha256').update(payload).digest('hex'),
        payload_size: payload.length,
        payload: payload.length <= MAX_STORED_PAYLOAD ? payload : null,
      })
      .onConflict((oc) => oc.columns(['stream', 'stream_sequence', 'payload_sha256']).doNothing())
      .returning('id')
      .execute();
    return inserted.length > 0;
  }

  /** The bank's letters, newest first; `before` pages on from an id of the previous page. */
  async list(bankId: string, options: { limit: number; before?: number }): Promise<DeadLetter[]> {
    let query = this.db
      .selectFrom('screening_dead_letter')
      .select([
        'id',
        'bank_id',
        'source',
        'stream',
        'stream_sequence',
        'subject',
        'reason',
        'errors',
        'delivery_count',
        'payload_sha256',
        'payload_size',
        (eb) => eb('payload', 'is not', null).as('payload_stored'),
        'received_at',
      ])
      .where('bank_id', '=', bankId);
    if (options.before !== undefined) query = query.where('id', '<', options.before);
    const rows = await query.orderBy('id', 'desc').limit(options.limit).execute();
    return rows.map((row) => ({
      id: Number(row.id),
      bankId: row.bank_id,
      source: row.source,
      stream: row.stream,
      streamSequence: Number(row.stream_sequence),
      subject: row.subject,
      reason: row.reason,
      errors: (typeof row.errors === 'string' ? JSON.parse(row.errors) : row.errors) as DeadLetterError[],
      deliveryCount: row.delivery_count,
      payloadSha256: row.payload_sha256,
      payloadSize: row.payload_size,
      payloadStored: Boolean(row.payload_stored),
      receivedAt: new Date(row.received_at),
    }));
  }

  /** How many letters the bank has. */
  async count(bankId: string): Promise<number> {
    const row = await this.db
      .selectFrom('screening_dead_letter')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('bank_id', '=', bankId)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }
}

const countersByRegistry = new WeakMap<Registry, Counter<'source' | 'reason'>>();

/** proviso_screening_dead_letters_total{source, reason}: letters newly recorded. */
export function deadLetterCounter(registry: Registry): Counter<'source' | 'reason'> {
  let counter = countersByRegistry.get(registry);
  if (counter === undefined) {
    counter = new Counter({
      name: 'proviso_screening_dead_letters_total',
      help: 'Authorisation messages recorded as dead letters (then acknowledged), by source and reason',
      labelNames: ['source', 'reason'],
      registers: [registry],
    });
    countersByRegistry.set(registry, counter);
  }
  return counter;
}
