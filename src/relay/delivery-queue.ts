// The device message queue (relay_message) under load: every write and read of a delivery is
// shared by the concurrent callers of the moment (batcher.ts), so a webhook delivery costs a
// share of three statements (recipient lookup, insert, fetch for the socket; plus a NOTIFY on
// PostgreSQL) and a receipt a share of one, instead of about eight statements of its own. See
// docs/performance.md (relay) for the profile that led here.
import { randomUUID } from 'node:crypto';
import { type Kysely, sql } from 'kysely';
import type { Database } from '../storage/index.ts';
import { Batcher } from './batcher.ts';
import type { MessageKind, RelayTables } from './store.ts';

export interface NewMessage {
  deviceId: string;
  bankId: string;
  kind: MessageKind;
  mid?: string;
  envelope?: string;
  text?: string;
}

export interface StoredMessage {
  seq: number;
  id: string;
  bankId: string;
  kind: MessageKind;
  envelope: string | null;
  text: string | null;
  createdAt: Date;
}

export interface Recipient {
  sub: string;
  deviceId: string;
  thumbprint: string;
}

export const DELIVERY_CHANNEL = 'proviso_relay_delivery';
/** NOTIFY payloads stay under PostgreSQL's 8000-byte limit. */
const MAX_NOTIFY_PAYLOAD = 7000;
/** Rows per shared insert, lookup and receipt (bounded statements, bounded parameters). */
const MAX_ROWS = 2000;

/**
 * A NOTIFY payload: the instance that stored the messages, then the devices that have
 * something new (`<instance> <device>,<device>,…`). An instance skips its own notices: it
 * wakes its own sockets directly when the insert returns.
 */
export function deliveryNotices(instance: string, deviceIds: string[]): string[] {
  const payloads: string[] = [];
  let current: string[] = [];
  let size = 0;
  for (const id of deviceIds) {
    if (size + id.length + 1 > MAX_NOTIFY_PAYLOAD && current.length > 0) {
      payloads.push(`${instance} ${current.join(',')}`);
      current = [];
      size = 0;
    }
    current.push(id);
    size += id.length + 1;
  }
  if (current.length > 0) payloads.push(`${instance} ${current.join(',')}`);
  return payloads;
}

/** Reads a payload of deliveryNotices (a bare device id, from an older instance, too). */
export function readDeliveryNotice(payload: string): { instance: string | undefined; deviceIds: string[] } {
  const space = payload.indexOf(' ');
  if (space < 0) return { instance: undefined, deviceIds: [payload] };
  return { instance: payload.slice(0, space), deviceIds: payload.slice(space + 1).split(',') };
}

/**
 * Who to wake in this process when messages are stored, per database handle: every relay
 * instance of the process that shares the handle, so none waits for a NOTIFY round trip.
 */
const wakeInProcess = new WeakMap<Database, Set<(deviceIds: string[]) => void>>();

export class DeliveryQueue {
  /** This instance, in its NOTIFY payloads. */
  readonly instance = randomUUID();
  readonly #database: Database;
  readonly #db: Kysely<RelayTables>;
  /** NOTIFYs that failed (the fallback poll delivers those messages). */
  notifyFailures = 0;
  readonly #lookups: Batcher<{ bankId: string; subs: string[] }, Recipient[]>;
  readonly #inserts: Batcher<NewMessage[], string[]>;
  readonly #receipts: Batcher<{ deviceId: string; ids: string[] }, string[]>;

  constructor(database: Database) {
    this.#database = database;
    this.#db = database.tables<RelayTables>();
    this.#lookups = new Batcher(
      (asks) => this.#recipients(asks),
      MAX_ROWS,
      (ask) => ask.subs.length,
    );
    this.#inserts = new Batcher(
      (calls) => this.#insert(calls),
      MAX_ROWS,
      (messages) => messages.length,
    );
    this.#receipts = new Batcher(
      (acks) => this.#ack(acks),
      MAX_ROWS,
      (receipt) => receipt.ids.length,
    );
  }

  /**
   * Called with the devices that have new messages, as soon as an instance of this process
   * on the same database handle stored them.
   */
  onStored(listener: (deviceIds: string[]) => void): () => void {
    let listeners = wakeInProcess.get(this.#database);
    if (!listeners) {
      listeners = new Set();
      wakeInProcess.set(this.#database, listeners);
    }
    listeners.add(listener);
    return () => listeners.delete(listener);
  }

  /** Devices with an active link under a bank's pairwise subject, with their key thumbprints. */
  devicesForSub(bankId: string, subs: string[]): Promise<Recipient[]> {
    if (subs.length === 0) return Promise.resolve([]);
    return this.#lookups.submit({ bankId, subs });
  }

  /**
   * Stores messages, all or none (one INSERT statement), and tells every relay instance which
   * devices have something new. Duplicate (device, bank, mid) are skipped: bank retries are
   * idempotent. Returns the ids of rows actually stored.
   */
  enqueue(messages: NewMessage[]): Promise<string[]> {
    if (messages.length === 0) return Promise.resolve([]);
    return this.#inserts.submit(messages);
  }

  /** Delivery receipt: marks the device's messages acknowledged and drops their ciphertext. */
  ack(deviceId: string, ids: string[]): Promise<string[]> {
    if (ids.length === 0) return Promise.resolve([]);
    return this.#receipts.submit({ deviceId, ids });
  }

  /**
   * Unacknowledged messages of several devices at once, each after its own position, oldest
   * first; at most `limit` rows in all.
   */
  async unackedFor(
    positions: { deviceId: string; afterSeq: number }[],
    limit: number,
  ): Promise<(StoredMessage & { deviceId: string })[]> {
    if (positions.length === 0) return [];
    const after = sql.join(positions.map((p) => sql`(${p.deviceId}, ${p.afterSeq}::bigint)`));
    const result = await sql<{
      seq: string | number;
      id: string;
      device_id: string;
      bank_id: string;
      kind: MessageKind;
      envelope: string | null;
      text: string | null;
      created_at: Date;
    }>`select m.seq, m.id, m.device_id, m.bank_id, m.kind, m.envelope, m.text, m.created_at
       from relay_message m join (values ${after}) as p(device_id, after_seq)
         on m.device_id = p.device_id and m.seq > p.after_seq
       where m.acked_at is null
       order by m.seq
       limit ${limit}`.execute(this.#db);
    return result.rows.map((r) => ({
      seq: Number(r.seq),
      id: r.id,
      deviceId: r.device_id,
      bankId: r.bank_id,
      kind: r.kind,
      envelope: r.envelope,
      text: r.text,
      createdAt: new Date(r.created_at),
    }));
  }

  async #recipients(asks: { bankId: string; subs: string[] }[]): Promise<Recipient[][]> {
    const pairs = asks.flatMap((a) => a.subs.map((sub) => ({ bankId: a.bankId, sub })));
    const rows = await this.#db
      .selectFrom('relay_link')
      .innerJoin('relay_device', 'relay_device.id', 'relay_link.device_id')
      .select(['relay_link.bank_id', 'relay_link.sub', 'relay_link.device_id', 'relay_device.key_thumbprint'])
      .where('relay_link.status', '=', 'active')
      .where((eb) =>
        eb(
          eb.refTuple('relay_link.bank_id', 'relay_link.sub'),
          'in',
          pairs.map((p) => eb.tuple(p.bankId, p.sub)),
        ),
      )
      .execute();
    return asks.map((a) => {
      const subs = new Set(a.subs);
      return rows
        .filter((r) => r.bank_id === a.bankId && subs.has(r.sub!))
        .map((r) => ({ sub: r.sub!, deviceId: r.device_id, thumbprint: r.key_thumbprint }));
    });
  }

  async #insert(calls: NewMessage[][]): Promise<string[][]> {
    const ids = calls.map((messages) => messages.map(() => `m_${randomUUID()}`));
    const rows = calls.flatMap((messages, c) =>
      messages.map((m, i) => ({
        id: ids[c]![i]!,
        device_id: m.deviceId,
        bank_id: m.bankId,
        kind: m.kind,
        mid: m.mid ?? null,
        envelope: m.envelope ?? null,
        text: m.text ?? null,
        acked_at: null,
      })),
    );
    // One statement: atomic on its own, so no explicit transaction (two fewer round trips).
    const stored = await this.#db
      .insertInto('relay_message')
      .values(rows)
      .onConflict((oc) => oc.columns(['device_id', 'bank_id', 'mid']).doNothing())
      .returning(['id', 'device_id'])
      .execute();
    const storedIds = new Set(stored.map((r) => r.id));
    const devices = [...new Set(stored.map((r) => r.device_id))];
    if (devices.length > 0) {
      for (const listener of wakeInProcess.get(this.#database) ?? []) listener(devices);
      this.#tellOtherInstances(devices);
    }
    return ids.map((callIds) => callIds.filter((id) => storedIds.has(id)));
  }

  /**
   * NOTIFY for the other relay instances, off the callers' path: the messages are stored and
   * the sockets of this process are already woken; a NOTIFY lost here is a NOTIFY lost in
   * transit, which the hub's fallback poll covers. Embedded PGlite has no other process (one
   * process holds its data folder), so nothing is sent.
   */
  #tellOtherInstances(deviceIds: string[]): void {
    if (this.#database.kind === 'pglite') return;
    for (const payload of deliveryNotices(this.instance, deviceIds))
      this.#database.notify(DELIVERY_CHANNEL, payload).catch(() => {
        this.notifyFailures++;
      });
  }

  async #ack(acks: { deviceId: string; ids: string[] }[]): Promise<string[][]> {
    const pairs = acks.flatMap((a) => a.ids.map((id) => sql`(${a.deviceId}, ${id})`));
    const result = await sql<{ id: string; device_id: string }>`
      update relay_message m set acked_at = now(), envelope = null
      from (values ${sql.join(pairs)}) as a(device_id, id)
      where m.id = a.id and m.device_id = a.device_id and m.acked_at is null
      returning m.id, m.device_id`.execute(this.#db);
    return acks.map((a) => {
      const asked = new Set(a.ids);
      return result.rows.filter((r) => r.device_id === a.deviceId && asked.has(r.id)).map((r) => r.id);
    });
  }

  /** Rounds and items of the shared statements (benchmark). */
  stats() {
    const of = (b: Batcher<unknown, unknown>) => ({ rounds: b.rounds, items: b.items });
    return {
      lookups: of(this.#lookups as Batcher<unknown, unknown>),
      inserts: of(this.#inserts as Batcher<unknown, unknown>),
      receipts: of(this.#receipts as Batcher<unknown, unknown>),
    };
  }
}
