// The relay's tables. Every column is routing metadata, an opaque sealed envelope, or a
// value sealed under the relay key (see migrations/0001_relay_core.sql).
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { type Generated, type Kysely, type Selectable, sql } from 'kysely';
import type { Database } from '../storage/index.ts';
import { DeliveryQueue, type NewMessage, type Recipient, type StoredMessage } from './delivery-queue.ts';

interface DeviceTable {
  id: string;
  token_digest: string;
  public_key: string;
  key_thumbprint: string;
  created_at: Generated<Date>;
  last_seen_at: Date | null;
}

export type LinkStatus = 'pending' | 'active' | 'ended' | 'failed';

interface LinkTable {
  id: string;
  device_id: string;
  bank_id: string;
  status: LinkStatus;
  state_digest: string | null;
  pending_sealed: string | null;
  credentials_sealed: string | null;
  sub: string | null;
  consent: string | null;
  created_at: Generated<Date>;
  linked_at: Date | null;
  ended_at: Date | null;
  ended_reason: string | null;
}

export type MessageKind = 'envelope' | 'text' | 'notice';

interface MessageTable {
  seq: Generated<number>;
  id: string;
  device_id: string;
  bank_id: string;
  kind: MessageKind;
  mid: string | null;
  envelope: string | null;
  text: string | null;
  created_at: Generated<Date>;
  acked_at: Date | null;
}

export interface RelayTables {
  relay_device: DeviceTable;
  relay_link: LinkTable;
  relay_message: MessageTable;
}

export interface Device {
  id: string;
  publicKey: string;
  keyThumbprint: string;
}

export interface Link {
  id: string;
  deviceId: string;
  bankId: string;
  status: LinkStatus;
  sub: string | null;
  consent: string | null;
  credentialsSealed: string | null;
  pendingSealed: string | null;
  createdAt: Date;
  linkedAt: Date | null;
  endedAt: Date | null;
  endedReason: string | null;
}

export { DELIVERY_CHANNEL, type NewMessage, type StoredMessage } from './delivery-queue.ts';

export function digest(value: string): string {
  return createHash('sha256').update(value).digest('base64url');
}

function toLink(r: Selectable<LinkTable>): Link {
  return {
    id: r.id,
    deviceId: r.device_id,
    bankId: r.bank_id,
    status: r.status,
    sub: r.sub,
    consent: r.consent,
    credentialsSealed: r.credentials_sealed,
    pendingSealed: r.pending_sealed,
    createdAt: r.created_at,
    linkedAt: r.linked_at,
    endedAt: r.ended_at,
    endedReason: r.ended_reason,
  };
}

export class RelayStore {
  readonly database: Database;
  readonly db: Kysely<RelayTables>;
  /** The message queue: deliveries, reads for the sockets, receipts (shared rounds). */
  readonly deliveries: DeliveryQueue;
  constructor(database: Database) {
    this.database = database;
    this.db = database.tables<RelayTables>();
    this.deliveries = new DeliveryQueue(database);
  }

  // Devices -----------------------------------------------------------------------------

  /** The device's new public key, after every bank it is linked to accepted it. */
  async replaceDeviceKey(deviceId: string, publicKey: string, keyThumbprint: string): Promise<void> {
    await this.db
      .updateTable('relay_device')
      .set({ public_key: publicKey, key_thumbprint: keyThumbprint })
      .where('id', '=', deviceId)
      .execute();
  }

  async registerDevice(publicKey: string, keyThumbprint: string): Promise<{ device: Device; token: string }> {
    const token = `dev_${randomBytes(32).toString('base64url')}`;
    const id = `d_${randomUUID()}`;
    await this.db
      .insertInto('relay_device')
      .values({
        id,
        token_digest: digest(token),
        public_key: publicKey,
        key_thumbprint: keyThumbprint,
        last_seen_at: null,
      })
      .execute();
    return { device: { id, publicKey, keyThumbprint }, token };
  }

  async deviceByToken(token: string): Promise<Device | undefined> {
    // Lookup by digest: the token is a 256-bit random value, so the digest is the index key and
    // no comparison of the secret itself happens in application code.
    const r = await this.db
      .selectFrom('relay_device')
      .select(['id', 'public_key', 'key_thumbprint'])
      .where('token_digest', '=', digest(token))
      .executeTakeFirst();
    return r ? { id: r.id, publicKey: r.public_key, keyThumbprint: r.key_thumbprint } : undefined;
  }

  async touchDevice(id: string): Promise<void> {
    await this.db
      .updateTable('relay_device')
      .set({ last_seen_at: new Date() })
      .where('id', '=', id)
      .execute();
  }

  // Links -------------------------------------------------------------------------------

  async createPendingLink(deviceId: string, bankId: string, state: string): Promise<string> {
    const id = `l_${randomUUID()}`;
    await this.db
      .insertInto('relay_link')
      .values({
        id,
        device_id: deviceId,
        bank_id: bankId,
        status: 'pending',
        state_digest: digest(state),
        pending_sealed: null,
        credentials_sealed: null,
        sub: null,
        consent: null,
        linked_at: null,
        ended_at: null,
        ended_reason: null,
      })
      .execute();
    return id;
  }

  async setPending(linkId: string, pendingSealed: string): Promise<void> {
    await this.db
      .updateTable('relay_link')
      .set({ pending_sealed: pendingSealed })
      .where('id', '=', linkId)
      .execute();
  }

  async pendingByState(state: string): Promise<Link | undefined> {
    const r = await this.db
      .selectFrom('relay_link')
      .selectAll()
      .where('state_digest', '=', digest(state))
      .where('status', '=', 'pending')
      .executeTakeFirst();
    return r ? toLink(r) : undefined;
  }

  /** Pending → active; any previous active link of the device to that bank ends, atomically. */
  async activateLink(linkId: string, v: { credentialsSealed: string; sub: string; consent: string | null }) {
    await this.db.transaction().execute(async (tx) => {
      const link = await tx
        .selectFrom('relay_link')
        .selectAll()
        .where('id', '=', linkId)
        .forUpdate()
        .executeTakeFirstOrThrow();
      await tx
        .updateTable('relay_link')
        .set({ status: 'ended', ended_at: new Date(), ended_reason: 'replaced', credentials_sealed: null })
        .where('device_id', '=', link.device_id)
        .where('bank_id', '=', link.bank_id)
        .where('status', '=', 'active')
        .execute();
      await tx
        .updateTable('relay_link')
        .set({
          status: 'active',
          linked_at: new Date(),
          credentials_sealed: v.credentialsSealed,
          sub: v.sub,
          consent: v.consent,
          pending_sealed: null,
          state_digest: null,
        })
        .where('id', '=', linkId)
        .execute();
    });
  }

  async failLink(linkId: string, reason: string): Promise<void> {
    await this.db
      .updateTable('relay_link')
      .set({
        status: 'failed',
        ended_at: new Date(),
        ended_reason: reason,
        pending_sealed: null,
        state_digest: null,
      })
      .where('id', '=', linkId)
      .execute();
  }

  async endLink(linkId: string, reason: string): Promise<void> {
    await this.db
      .updateTable('relay_link')
      .set({ status: 'ended', ended_at: new Date(), ended_reason: reason, credentials_sealed: null })
      .where('id', '=', linkId)
      .where('status', '=', 'active')
      .execute();
  }

  /**
   * The bank ended a link (revoked or expired at the bank): every active link of that pairwise
   * subject under that consent ends. Returns the devices whose link ended (none when already ended).
   */
  async endLinksOfSub(bankId: string, sub: string, consent: string, reason: string): Promise<string[]> {
    const rows = await this.db
      .updateTable('relay_link')
      .set({ status: 'ended', ended_at: new Date(), ended_reason: reason, credentials_sealed: null })
      .where('bank_id', '=', bankId)
      .where('sub', '=', sub)
      .where('consent', '=', consent)
      .where('status', '=', 'active')
      .returning('device_id')
      .execute();
    return [...new Set(rows.map((r) => r.device_id))];
  }

  async updateCredentials(linkId: string, credentialsSealed: string): Promise<void> {
    await this.db
      .updateTable('relay_link')
      .set({ credentials_sealed: credentialsSealed })
      .where('id', '=', linkId)
      .where('status', '=', 'active')
      .execute();
  }

  async activeLink(deviceId: string, bankId: string): Promise<Link | undefined> {
    const r = await this.db
      .selectFrom('relay_link')
      .selectAll()
      .where('device_id', '=', deviceId)
      .where('bank_id', '=', bankId)
      .where('status', '=', 'active')
      .executeTakeFirst();
    return r ? toLink(r) : undefined;
  }

  /** The latest link per bank of a device (active, else the most recent ended one). */
  async linksOf(deviceId: string): Promise<Link[]> {
    const rows = await this.db
      .selectFrom('relay_link')
      .selectAll()
      .where('device_id', '=', deviceId)
      .where('status', 'in', ['active', 'ended'])
      .orderBy('created_at', 'desc')
      .execute();
    const byBank = new Map<string, Link>();
    for (const r of rows) {
      const l = toLink(r);
      const seen = byBank.get(l.bankId);
      if (!seen || (seen.status !== 'active' && l.status === 'active')) byBank.set(l.bankId, l);
    }
    return [...byBank.values()];
  }

  /** Devices with an active link under a bank's pairwise subject, with their key thumbprints. */
  devicesForSub(bankId: string, subs: string[]): Promise<Recipient[]> {
    return this.deliveries.devicesForSub(bankId, subs);
  }

  // Messages ----------------------------------------------------------------------------

  /** See DeliveryQueue.enqueue: all or none, idempotent per (device, bank, mid), instances told. */
  enqueue(messages: NewMessage[]): Promise<string[]> {
    return this.deliveries.enqueue(messages);
  }

  async unacked(deviceId: string, afterSeq: number, limit = 200): Promise<StoredMessage[]> {
    const rows = await this.db
      .selectFrom('relay_message')
      .select(['seq', 'id', 'bank_id', 'kind', 'envelope', 'text', 'created_at'])
      .where('device_id', '=', deviceId)
      .where('acked_at', 'is', null)
      .where('seq', '>', afterSeq)
      .orderBy('seq')
      .limit(limit)
      .execute();
    return rows.map((r) => ({
      seq: Number(r.seq),
      id: r.id,
      bankId: r.bank_id,
      kind: r.kind,
      envelope: r.envelope,
      text: r.text,
      createdAt: r.created_at,
    }));
  }

  /** Delivery receipt: marks the messages acknowledged and drops their ciphertext. */
  ack(deviceId: string, ids: string[]): Promise<string[]> {
    return this.deliveries.ack(deviceId, ids);
  }

  async counts(): Promise<{ messages: number; unacked: number }> {
    const r = await sql<{ messages: number; unacked: number }>`
      select count(*)::int as messages, count(*) filter (where acked_at is null)::int as unacked from relay_message`.execute(
      this.db,
    );
    return r.rows[0] ?? { messages: 0, unacked: 0 };
  }
}
