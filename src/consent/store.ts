// Consent records: the bank's first-class, long-lived account of what a customer allowed
// which platform to see, for which purposes, until when. Status changes go through here
// so each one is announced to the ConsentEvents sink first and to other gateway instances
// (NOTIFY) after, and no row is ever deleted.
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import type { DataCluster, Purpose } from '../access/index.ts';
import type { Database } from '../storage/index.ts';
import type { ConsentEventKind, ConsentEvents } from './events.ts';

export type ConsentStatus = 'awaiting_authorisation' | 'authorised' | 'rejected' | 'revoked' | 'expired';
export type RevokedBy = 'customer' | 'platform' | 'bank';

export interface ConsentRecord {
  id: string;
  bankId: string;
  clientId: string;
  customerId: string | null;
  grantId: string | null;
  purposes: Purpose[];
  clusters: DataCluster[];
  accountIds: string[];
  durationDays: number;
  deviceKey: string;
  deviceKeyRemovedAt: Date | null;
  status: ConsentStatus;
  createdAt: Date;
  authorisedAt: Date | null;
  rejectedAt: Date | null;
  revokedAt: Date | null;
  revokedBy: RevokedBy | null;
  expiresAt: Date | null;
  lastAccessAt: Date | null;
}

export interface ConsentTables {
  consent: {
    id: string;
    bank_id: string;
    client_id: string;
    customer_id: string | null;
    grant_id: string | null;
    interaction_uid: string | null;
    purposes: string[];
    clusters: string[];
    account_ids: string[];
    duration_days: number;
    device_key: string;
    device_key_removed_at: Date | null;
    status: string;
    created_at: Date;
    authorised_at: Date | null;
    rejected_at: Date | null;
    revoked_at: Date | null;
    revoked_by: string | null;
    expires_at: Date | null;
    ended_at: Date | null;
    last_access_at: Date | null;
    version: number;
  };
  consent_reminder: {
    id: number;
    consent_id: string;
    bank_id: string;
    customer_id: string;
    kind: string;
    consent_expires_at: Date;
    created_at: Date;
    sent_at: Date | null;
  };
}

/** NOTIFY channel on which every status change is announced (payload: consent id). */
export const CONSENT_CHANNEL = 'proviso_consent';
const DAY = 86_400_000;

export class ConsentStateError extends Error {
  override name = 'ConsentStateError';
}

function toRecord(row: ConsentTables['consent']): ConsentRecord {
  return {
    id: row.id,
    bankId: row.bank_id,
    clientId: row.client_id,
    customerId: row.customer_id,
    grantId: row.grant_id,
    purposes: row.purposes as Purpose[],
    clusters: row.clusters as DataCluster[],
    accountIds: row.account_ids,
    durationDays: row.duration_days,
    deviceKey: row.device_key,
    deviceKeyRemovedAt: row.device_key_removed_at,
    status: row.status as ConsentStatus,
    createdAt: row.created_at,
    authorisedAt: row.authorised_at,
    rejectedAt: row.rejected_at,
    revokedAt: row.revoked_at,
    revokedBy: row.revoked_by as RevokedBy | null,
    expiresAt: row.expires_at,
    lastAccessAt: row.last_access_at,
  };
}

export class ConsentStore {
  readonly #database: Database;
  readonly #db;
  readonly #events: ConsentEvents;
  constructor(database: Database, events: ConsentEvents) {
    this.#database = database;
    this.#db = database.tables<ConsentTables>();
    this.#events = events;
  }

  async #emit(kind: ConsentEventKind, c: ConsentRecord, at: Date, by?: RevokedBy): Promise<void> {
    await this.#events.emit({
      kind,
      consentId: c.id,
      bankId: c.bankId,
      platform: c.clientId,
      customerId: c.customerId,
      purposes: c.purposes,
      clusters: c.clusters,
      expiresAt: c.expiresAt,
      at,
      ...(by ? { by } : {}),
    });
  }

  readonly #changeListeners = new Set<(consentId: string) => void>();

  /**
   * Calls `listener` with a consent's id whenever this store changes it, synchronously, before
   * the change is announced to other instances (NOTIFY): this instance's caches see its own
   * changes at once.
   */
  onChange(listener: (consentId: string) => void): void {
    this.#changeListeners.add(listener);
  }

  async #announce(id: string): Promise<void> {
    for (const listener of this.#changeListeners) listener(id);
    await this.#database.notify(CONSENT_CHANNEL, id);
  }

  /** Creates the record when the customer arrives at the bank for a pushed request (idempotent per interaction). */
  async request(input: {
    bankId: string;
    clientId: string;
    interactionUid: string;
    purposes: Purpose[];
    clusters: DataCluster[];
    durationDays: number;
    deviceKey: string;
  }): Promise<ConsentRecord> {
    const existing = await this.#db
      .selectFrom('consent')
      .selectAll()
      .where('interaction_uid', '=', input.interactionUid)
      .executeTakeFirst();
    if (existing) return toRecord(existing);
    const record: ConsentRecord = {
      id: `cns_${randomBytes(16).toString('base64url')}`,
      bankId: input.bankId,
      clientId: input.clientId,
      customerId: null,
      grantId: null,
      purposes: input.purposes,
      clusters: input.clusters,
      accountIds: [],
      durationDays: input.durationDays,
      deviceKey: input.deviceKey,
      deviceKeyRemovedAt: null,
      status: 'awaiting_authorisation',
      createdAt: new Date(),
      authorisedAt: null,
      rejectedAt: null,
      revokedAt: null,
      revokedBy: null,
      expiresAt: null,
      lastAccessAt: null,
    };
    await this.#emit('requested', record, record.createdAt);
    await this.#db
      .insertInto('consent')
      .values({
        id: record.id,
        bank_id: record.bankId,
        client_id: record.clientId,
        interaction_uid: input.interactionUid,
        purposes: record.purposes,
        clusters: record.clusters,
        duration_days: record.durationDays,
        device_key: record.deviceKey,
        status: record.status,
        created_at: record.createdAt,
      } as never)
      .onConflict((oc) => oc.column('interaction_uid').doNothing())
      .execute();
    return (await this.byInteraction(input.interactionUid))!;
  }

  async get(id: string): Promise<ConsentRecord | null> {
    const row = await this.#db.selectFrom('consent').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toRecord(row) : null;
  }

  async byInteraction(uid: string): Promise<ConsentRecord | null> {
    const row = await this.#db
      .selectFrom('consent')
      .selectAll()
      .where('interaction_uid', '=', uid)
      .executeTakeFirst();
    return row ? toRecord(row) : null;
  }

  async byGrant(bankId: string, grantId: string): Promise<ConsentRecord | null> {
    const row = await this.#db
      .selectFrom('consent')
      .selectAll()
      .where('bank_id', '=', bankId)
      .where('grant_id', '=', grantId)
      .executeTakeFirst();
    return row ? toRecord(row) : null;
  }

  async forCustomer(bankId: string, customerId: string): Promise<ConsentRecord[]> {
    const rows = await this.#db
      .selectFrom('consent')
      .selectAll()
      .where('bank_id', '=', bankId)
      .where('customer_id', '=', customerId)
      .where('status', '!=', 'awaiting_authorisation')
      .orderBy('created_at', 'desc')
      .execute();
    return rows.map(toRecord);
  }

  /** Customer approved: binds customer, accounts and grant; expiry = now + duration (≤ 365 days). */
  async authorise(
    id: string,
    customerId: string,
    accountIds: string[],
    grantId: string,
    now = new Date(),
  ): Promise<ConsentRecord> {
    const current = await this.get(id);
    if (current?.status !== 'awaiting_authorisation')
      throw new ConsentStateError(`consent is ${current?.status ?? 'missing'}, not awaiting authorisation`);
    const expiresAt = new Date(now.getTime() + current.durationDays * DAY);
    const next = {
      ...current,
      customerId,
      accountIds,
      grantId,
      status: 'authorised' as const,
      authorisedAt: now,
      expiresAt,
    };
    await this.#emit('authorised', next, now);
    const result = await this.#db
      .updateTable('consent')
      .set({
        customer_id: customerId,
        account_ids: accountIds,
        grant_id: grantId,
        status: 'authorised',
        authorised_at: now,
        expires_at: expiresAt,
        version: sql<number>`version + 1`,
      })
      .where('id', '=', id)
      .where('status', '=', 'awaiting_authorisation')
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) !== 1)
      throw new ConsentStateError('consent changed while being authorised');
    await this.#announce(id);
    return next;
  }

  async reject(id: string, customerId: string | null, now = new Date()): Promise<ConsentRecord> {
    const current = await this.get(id);
    if (current?.status !== 'awaiting_authorisation')
      throw new ConsentStateError(`consent is ${current?.status ?? 'missing'}, not awaiting authorisation`);
    const next = { ...current, customerId, status: 'rejected' as const, rejectedAt: now };
    await this.#emit('rejected', next, now);
    await this.#db
      .updateTable('consent')
      .set({
        status: 'rejected',
        customer_id: customerId,
        rejected_at: now,
        ended_at: now,
        version: sql<number>`version + 1`,
      })
      .where('id', '=', id)
      .where('status', '=', 'awaiting_authorisation')
      .execute();
    await this.#announce(id);
    return next;
  }

  /**
   * Reauthorisation by the customer at the bank: the same consent (same link, same tokens)
   * runs for its duration again from now, never more than 365 days from this authorisation.
   */
  async reauthorise(id: string, customerId: string, now = new Date()): Promise<ConsentRecord> {
    const current = await this.get(id);
    if (!current || current.customerId !== customerId)
      throw new ConsentStateError('no such consent for this customer');
    if (current.status !== 'authorised' && current.status !== 'expired')
      throw new ConsentStateError(`a ${current.status} consent cannot be reauthorised`);
    const expiresAt = new Date(now.getTime() + Math.min(current.durationDays, 365) * DAY);
    const next = { ...current, status: 'authorised' as const, authorisedAt: now, expiresAt };
    await this.#emit('reauthorised', next, now);
    await this.#db
      .updateTable('consent')
      .set({
        status: 'authorised',
        authorised_at: now,
        expires_at: expiresAt,
        ended_at: null,
        version: sql<number>`version + 1`,
      })
      .where('id', '=', id)
      .where('status', 'in', ['authorised', 'expired'])
      .execute();
    await this.#announce(id);
    return next;
  }

  /** Revokes an authorised consent; returns null when it was not active (idempotent for callers). */
  async revoke(id: string, by: RevokedBy, now = new Date()): Promise<ConsentRecord | null> {
    const current = await this.get(id);
    if (!current || (current.status !== 'authorised' && current.status !== 'awaiting_authorisation'))
      return null;
    const next = { ...current, status: 'revoked' as const, revokedAt: now, revokedBy: by };
    await this.#emit('revoked', next, now, by);
    await this.#db
      .updateTable('consent')
      .set({
        status: 'revoked',
        revoked_at: now,
        revoked_by: by,
        ended_at: now,
        version: sql<number>`version + 1`,
      })
      .where('id', '=', id)
      .where('status', 'in', ['authorised', 'awaiting_authorisation'])
      .execute();
    await this.#announce(id);
    return next;
  }

  /** The customer removes a lost device's key: the consent can no longer be sealed to, so it is revoked too. */
  async removeDeviceKey(id: string, customerId: string, now = new Date()): Promise<void> {
    const current = await this.get(id);
    if (!current || current.customerId !== customerId)
      throw new ConsentStateError('no such consent for this customer');
    await this.#db.updateTable('consent').set({ device_key_removed_at: now }).where('id', '=', id).execute();
    await this.revoke(id, 'customer', now);
  }

  /**
   * The device replaced its key (the request was authenticated with the old one by the
   * caller). Compare-and-set on the old key, so two racing rotations cannot both win.
   */
  async rotateDeviceKey(id: string, oldKey: string, newKey: string): Promise<boolean> {
    const result = await this.#db
      .updateTable('consent')
      .set({ device_key: newKey })
      .where('id', '=', id)
      .where('status', '=', 'authorised')
      .where('device_key', '=', oldKey)
      .where('device_key_removed_at', 'is', null)
      .executeTakeFirst();
    const changed = Number(result.numUpdatedRows) === 1;
    if (changed) await this.#announce(id);
    return changed;
  }

  /** Marks authorised consents past their expiry as expired (each announced). */
  async expireDue(now = new Date()): Promise<number> {
    const due = await this.#db
      .selectFrom('consent')
      .selectAll()
      .where('status', '=', 'authorised')
      .where('expires_at', '<=', now)
      .limit(500)
      .execute();
    for (const row of due) {
      const record = toRecord(row);
      await this.#emit('expired', { ...record, status: 'expired' }, now);
      await this.#db
        .updateTable('consent')
        .set({ status: 'expired', ended_at: row.expires_at, version: sql<number>`version + 1` })
        .where('id', '=', row.id)
        .where('status', '=', 'authorised')
        .execute();
      await this.#announce(row.id);
    }
    return due.length;
  }

  /** Queues one reminder per consent expiring within 30 days (outbox for the bank's channel). */
  async queueExpiryReminders(now = new Date()): Promise<number> {
    const result = await sql<{ id: number }>`
      insert into consent_reminder (consent_id, bank_id, customer_id, kind, consent_expires_at)
      select id, bank_id, customer_id, 'expiry_30_days', expires_at from consent
      where status = 'authorised' and customer_id is not null
        and expires_at > ${now} and expires_at <= ${new Date(now.getTime() + 30 * DAY)}
      on conflict (consent_id, kind, consent_expires_at) do nothing
      returning id`.execute(this.#db);
    return result.rows.length;
  }

  async pendingReminders(bankId?: string): Promise<ConsentTables['consent_reminder'][]> {
    let q = this.#db.selectFrom('consent_reminder').selectAll().where('sent_at', 'is', null).orderBy('id');
    if (bankId) q = q.where('bank_id', '=', bankId);
    return q.execute();
  }

  async touch(id: string, now = new Date()): Promise<void> {
    // At most one write a minute per consent: last access is for the dashboard, not an audit trail.
    await this.#db
      .updateTable('consent')
      .set({ last_access_at: now })
      .where('id', '=', id)
      .where((eb) =>
        eb.or([
          eb('last_access_at', 'is', null),
          eb('last_access_at', '<', new Date(now.getTime() - 60_000)),
        ]),
      )
      .execute();
  }
}
