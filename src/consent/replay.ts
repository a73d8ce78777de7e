// DPoP replay records (RFC 9449 §11.1) without a commit of their own on the request path.
//
// A proof's (jkt, jti) is refused at once if this instance has seen it (RecentProofs, in
// memory), and is written to `consent_dpop_jti` inside the group-committed transaction that
// logs the release it carries (claimProofsInBatch, one statement for the batch). If another
// instance wrote the same pair first, the unique key refuses it there and the release is
// withheld: a replayed proof never releases data, on any instance. Requests that release
// nothing and were not asked to defer keep the old behaviour (DpopVerifier.claim, its own
// INSERT), so callers that do not forward the record lose no protection.
import type { ReplayRecord } from '../access/index.ts';
import { dpopProblem } from './dpop.ts';

/** A proof is accepted at most 60 s after its iat and iat at most 5 s ahead: 65 s covers its life. */
export const PROOF_LIFETIME_MS = 65_000;

interface ReplayTables {
  consent_dpop_jti: { jkt: string; jti: string; expires_at: Date };
}

function replayed(): Error {
  return dpopProblem(
    'dpop-proof-replayed',
    'this DPoP proof was already used; send a fresh proof with each request',
  );
}

/**
 * Proofs this instance accepted in the last 65–130 s: two generations of a Set, the older
 * dropped when the newer is 65 s old, so an entry lives at least as long as its proof could
 * still be accepted. Memory is bounded by the request rate times 130 s.
 */
export class RecentProofs {
  #current = new Set<string>();
  #previous = new Set<string>();
  #rotatedAt: number;
  readonly #clock: () => number;
  constructor(clock: () => number = Date.now) {
    this.#clock = clock;
    this.#rotatedAt = clock();
  }

  /** Records the proof; false if it was already recorded (a replay on this instance). */
  add(jkt: string, jti: string): boolean {
    const now = this.#clock();
    if (now - this.#rotatedAt >= PROOF_LIFETIME_MS) {
      this.#previous = this.#current;
      this.#current = new Set();
      this.#rotatedAt = now;
    }
    const key = `${jkt}\0${jti}`;
    if (this.#current.has(key) || this.#previous.has(key)) return false;
    this.#current.add(key);
    return true;
  }

  static replayed = replayed;
}

/**
 * Inside the batch transaction: records every proof of the batch in one INSERT and refuses
 * (by batch position) those another instance, or an earlier item of this batch, recorded
 * first. Used by the audit trail as its ReplayGuard.
 */
export async function claimProofsInBatch(
  trx: unknown,
  items: readonly { position: number; replay: ReplayRecord }[],
): Promise<ReadonlyMap<number, Error>> {
  const refused = new Map<number, Error>();
  if (items.length === 0) return refused;
  const first = new Map<string, number>();
  for (const { position, replay } of items) {
    const key = `${replay.jkt}\0${replay.jti}`;
    if (first.has(key)) refused.set(position, replayed());
    else first.set(key, position);
  }
  const unique = items.filter((i) => !refused.has(i.position));
  const inserted = await (trx as import('kysely').Kysely<ReplayTables>)
    .insertInto('consent_dpop_jti')
    .values(unique.map(({ replay }) => ({ jkt: replay.jkt, jti: replay.jti, expires_at: replay.expiresAt })))
    .onConflict((oc) => oc.columns(['jkt', 'jti']).doNothing())
    .returning(['jkt', 'jti'])
    .execute();
  const won = new Set(inserted.map((r) => `${r.jkt}\0${r.jti}`));
  for (const { position, replay } of unique)
    if (!won.has(`${replay.jkt}\0${replay.jti}`)) refused.set(position, replayed());
  return refused;
}
