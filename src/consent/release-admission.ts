// The consent re-check and the DPoP replay records of a log batch in ONE statement (one
// round trip instead of two inside the batch transaction): which consents still hold, read
// in the transaction (as consentsStillAuthorised does), and the replay records of the batch
// inserted only for entries that are not releases or whose consent still holds, so a release
// withheld for an ended consent burns no record (as before, when the claim came second).
// A pair another instance, or an earlier item of the batch, recorded first is refused with
// `401 dpop-proof-replayed` (as claimProofsInBatch): a replayed proof never releases data.
import { type Kysely, sql } from 'kysely';
import type { ReplayRecord } from '../access/index.ts';
import { RecentProofs } from './replay.ts';

/** One entry of the batch that carries a replay record; consentId is set for releases only. */
export interface AdmissionClaim {
  readonly position: number;
  readonly consentId: string | null;
  readonly replay: ReplayRecord;
}

export interface Admission {
  /** Ids among the asked consents that are authorised, unexpired at `at`, device still there. */
  readonly live: ReadonlySet<string>;
  /** Batch positions whose proof was already recorded: refuse them with this error. */
  readonly refused: ReadonlyMap<number, Error>;
}

export async function admitReleasesInBatch(
  trx: unknown,
  consentIds: readonly string[],
  claims: readonly AdmissionClaim[],
  at: Date,
): Promise<Admission> {
  const refused = new Map<number, Error>();
  const first = new Map<string, AdmissionClaim>();
  for (const claim of claims) {
    const key = `${claim.replay.jkt}\0${claim.replay.jti}`;
    if (first.has(key)) refused.set(claim.position, RecentProofs.replayed());
    else first.set(key, claim);
  }
  if (consentIds.length === 0 && first.size === 0) return { live: new Set(), refused };
  const live =
    consentIds.length === 0
      ? sql`select null::text as id where false`
      : sql`select id from consent
          where id in (${sql.join(consentIds.map((id) => sql`${id}::text`))})
            and status = 'authorised' and (expires_at is null or expires_at > ${at}::timestamptz)
            and device_key_removed_at is null`;
  const rows =
    first.size === 0
      ? sql`(null::text, null::text, null::text, null::timestamptz)`
      : sql.join(
          [...first.values()].map(
            (c) =>
              sql`(${c.consentId}::text, ${c.replay.jkt}::text, ${c.replay.jti}::text, ${c.replay.expiresAt}::timestamptz)`,
          ),
        );
  const result = await sql<{ kind: 'live' | 'claimed'; a: string; b: string | null }>`
    with live as (${live}), claimed as (
      insert into consent_dpop_jti (jkt, jti, expires_at)
      select c.jkt, c.jti, c.expires_at from (values ${rows}) as c (consent_id, jkt, jti, expires_at)
      where c.jkt is not null and (c.consent_id is null or c.consent_id in (select id from live))
      on conflict (jkt, jti) do nothing
      returning jkt, jti
    )
    select 'live' as kind, id as a, null::text as b from live
    union all select 'claimed', jkt, jti from claimed`.execute(trx as Kysely<unknown>);
  const liveIds = new Set<string>();
  const won = new Set<string>();
  for (const row of result.rows) {
    if (row.kind === 'live') liveIds.add(row.a);
    else won.add(`${row.a}\0${row.b}`);
  }
  for (const [key, claim] of first) {
    const withheld = claim.consentId !== null && !liveIds.has(claim.consentId);
    if (!withheld && !won.has(key)) refused.set(claim.position, RecentProofs.replayed());
  }
  return { live: liveIds, refused };
}
