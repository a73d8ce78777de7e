// oidc-provider storage adapter over Kysely (PGlite or PostgreSQL). Every model instance is
// one row of consent_oidc keyed by (bank, model, id); grant members are found through the
// grant_id column so revoking a grant removes its codes and tokens in one statement. Every
// instance of the gateway shares this table, so sessions, codes and tokens survive restarts
// and work on any instance.
import { sql } from 'kysely';
import { errors } from 'oidc-provider';
import type { Database } from '../storage/index.ts';
import { accessTokenHash } from './dpop.ts';
import { tokenAnnouncement } from './grant-cache.ts';
import { CONSENT_CHANNEL } from './store.ts';

export interface OidcTables {
  consent_oidc: {
    bank_id: string;
    model: string;
    id: string;
    payload: Record<string, unknown>;
    grant_id: string | null;
    uid: string | null;
    user_code: string | null;
    expires_at: Date | null;
    consumed_at: Date | null;
  };
}

type Payload = Record<string, unknown>;

/** Returns an adapter class (as oidc-provider expects: `new Adapter(modelName)`) bound to one bank. */
export function kyselyAdapter(database: Database, bankId: string) {
  const db = database.tables<OidcTables>();
  // Every instance caches token → consent rows (grant-cache.ts): tell them a token is gone.
  const announceTokensGone = async (tokens: readonly string[]) => {
    for (const token of tokens)
      await database.notify(CONSENT_CHANNEL, tokenAnnouncement(accessTokenHash(token)));
  };
  return class KyselyAdapter {
    readonly model: string;
    constructor(model: string) {
      this.model = model;
    }

    async upsert(id: string, payload: Payload, expiresIn?: number): Promise<void> {
      const expiresAt = typeof expiresIn === 'number' ? new Date(Date.now() + expiresIn * 1000) : null;
      const row = {
        bank_id: bankId,
        model: this.model,
        id,
        payload: JSON.stringify(payload) as unknown as Payload,
        grant_id: typeof payload['grantId'] === 'string' ? payload['grantId'] : null,
        uid: typeof payload['uid'] === 'string' ? payload['uid'] : null,
        user_code: typeof payload['userCode'] === 'string' ? payload['userCode'] : null,
        expires_at: expiresAt,
      };
      await db
        .insertInto('consent_oidc')
        .values(row)
        .onConflict((oc) =>
          oc.columns(['bank_id', 'model', 'id']).doUpdateSet({
            payload: row.payload,
            grant_id: row.grant_id,
            uid: row.uid,
            user_code: row.user_code,
            expires_at: row.expires_at,
          }),
        )
        .execute();
    }

    async #findWhere(column: 'id' | 'uid' | 'user_code', value: string): Promise<Payload | undefined> {
      const row = await db
        .selectFrom('consent_oidc')
        .select(['payload', 'consumed_at'])
        .where('bank_id', '=', bankId)
        .where('model', '=', this.model)
        .where(column, '=', value)
        .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', sql<Date>`now()`)]))
        .executeTakeFirst();
      if (!row) return undefined;
      const payload = typeof row.payload === 'string' ? (JSON.parse(row.payload) as Payload) : row.payload;
      if (row.consumed_at) payload['consumed'] = Math.floor(row.consumed_at.getTime() / 1000);
      return payload;
    }

    find(id: string) {
      return this.#findWhere('id', id);
    }
    findByUid(uid: string) {
      return this.#findWhere('uid', uid);
    }
    findByUserCode(userCode: string) {
      return this.#findWhere('user_code', userCode);
    }

    /** Marks single-use artefacts (codes) used. Atomic: of two concurrent redemptions only one wins. */
    async consume(id: string): Promise<void> {
      const result = await db
        .updateTable('consent_oidc')
        .set({ consumed_at: sql<Date>`now()` })
        .where('bank_id', '=', bankId)
        .where('model', '=', this.model)
        .where('id', '=', id)
        .where('consumed_at', 'is', null)
        .executeTakeFirst();
      if (Number(result.numUpdatedRows) === 0)
        throw new errors.InvalidGrant(`${this.model} already consumed`);
    }

    async destroy(id: string): Promise<void> {
      await db
        .deleteFrom('consent_oidc')
        .where('bank_id', '=', bankId)
        .where('model', '=', this.model)
        .where('id', '=', id)
        .execute();
      if (this.model === 'AccessToken') await announceTokensGone([id]);
    }

    async revokeByGrantId(grantId: string): Promise<void> {
      const gone = await db
        .deleteFrom('consent_oidc')
        .where('bank_id', '=', bankId)
        .where('grant_id', '=', grantId)
        .returning(['model', 'id'])
        .execute();
      await announceTokensGone(gone.filter((r) => r.model === 'AccessToken').map((r) => r.id));
    }
  };
}

/** Removes expired provider artefacts (run from a periodic job). */
export async function purgeExpiredOidc(database: Database): Promise<number> {
  const result = await database
    .tables<OidcTables>()
    .deleteFrom('consent_oidc')
    .where('expires_at', '<', sql<Date>`now() - interval '1 hour'`)
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
