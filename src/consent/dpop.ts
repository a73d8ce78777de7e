// DPoP proof verification at the data API (RFC 9449 §4.3, §7.1): one proof per request,
// typ dpop+jwt, an asymmetric alg we accept, a public jwk, a valid signature, htm and htu
// matching this request, a fresh iat, `ath` matching the access token, and a jti never seen
// before for this key (the replay store is a database table, so it holds across instances).
import { createHash } from 'node:crypto';
import { decodeProtectedHeader, type JWK } from 'jose';
import { sql } from 'kysely';
import { Problem } from '../http/index.ts';
import type { Database } from '../storage/index.ts';
import { DPOP_ALGS, ProofKeyCache, verifyProofJws } from './dpop-proof.ts';

export { DPOP_ALGS };

const MAX_AGE_S = 60;
const MAX_FUTURE_S = 5;
/** How long a replay record is kept: past the last moment its proof could still be accepted. */
export const REPLAY_RETENTION_MS = (MAX_AGE_S + MAX_FUTURE_S + 60) * 1000;

interface ReplayTables {
  consent_dpop_jti: { jkt: string; jti: string; expires_at: Date };
}

export function dpopProblem(slug: string, detail: string, error = 'invalid_dpop_proof'): Problem {
  return new Problem(401, slug, 'Not authenticated', detail, {
    headers: { 'www-authenticate': `DPoP error="${error}", algs="${DPOP_ALGS.join(' ')}"` },
  });
}

/** scheme://host[:port]/path with no query or fragment, lower-cased scheme and host, default port dropped. */
export function normaliseHtu(value: string): string | null {
  const url = URL.parse(value);
  if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:')) return null;
  return `${url.protocol}//${url.host}${url.pathname}`;
}

export function accessTokenHash(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}

export interface VerifiedProof {
  jkt: string;
  jti: string;
}

export class DpopVerifier {
  readonly #db;
  /** Public keys by thumbprint: the signature check is a synchronous node:crypto verify (dpop-proof.ts). */
  readonly #keys: ProofKeyCache;
  constructor(database: Database, keys = new ProofKeyCache()) {
    this.#db = database.tables<ReplayTables>();
    this.#keys = keys;
  }

  /** Verifies the proof for this request and token; returns the key thumbprint. Replay is checked by `claim`. */
  async verify(
    proof: string,
    method: string,
    htu: string,
    accessToken: string,
    now = Date.now(),
  ): Promise<VerifiedProof> {
    let header: ReturnType<typeof decodeProtectedHeader>;
    try {
      header = decodeProtectedHeader(proof);
    } catch {
      throw dpopProblem('dpop-proof-invalid', 'the DPoP header is not a JWS');
    }
    if (header.typ !== 'dpop+jwt')
      throw dpopProblem('dpop-proof-invalid', 'the DPoP proof must have typ "dpop+jwt"');
    if (!DPOP_ALGS.includes(header.alg as never))
      throw dpopProblem('dpop-proof-invalid', `the DPoP proof alg must be one of ${DPOP_ALGS.join(', ')}`);
    const jwk = header.jwk as JWK | undefined;
    if (!jwk || typeof jwk !== 'object')
      throw dpopProblem('dpop-proof-invalid', 'the DPoP proof header must carry the public jwk');
    if ('d' in jwk || 'p' in jwk || 'k' in jwk)
      throw dpopProblem('dpop-proof-invalid', 'the DPoP proof jwk must be a public key');
    let payload: Record<string, unknown>;
    let jkt: string;
    try {
      ({ payload, jkt } = verifyProofJws(proof, now, this.#keys));
    } catch {
      throw dpopProblem('dpop-proof-invalid', 'the DPoP proof signature does not verify with its jwk');
    }
    const { jti, htm, htu: proofHtu, iat, ath } = payload;
    if (typeof jti !== 'string' || jti.length < 8 || jti.length > 256)
      throw dpopProblem('dpop-proof-invalid', 'the DPoP proof needs a unique jti (8 to 256 characters)');
    if (htm !== method)
      throw dpopProblem(
        'dpop-method-mismatch',
        `the DPoP proof is for ${String(htm)}, this request is ${method}`,
      );
    if (typeof proofHtu !== 'string' || normaliseHtu(proofHtu) !== normaliseHtu(htu))
      throw dpopProblem('dpop-url-mismatch', 'the DPoP proof htu is not the URL of this request');
    const nowS = Math.floor(now / 1000);
    if (typeof iat !== 'number' || iat > nowS + MAX_FUTURE_S || iat < nowS - MAX_AGE_S)
      throw dpopProblem(
        'dpop-proof-stale',
        `the DPoP proof iat must be within the last ${MAX_AGE_S} seconds`,
      );
    if (ath !== accessTokenHash(accessToken))
      throw dpopProblem('dpop-ath-mismatch', 'the DPoP proof ath is not the hash of this access token');
    return { jkt, jti };
  }

  /** Records (jkt, jti); a second use of the same proof anywhere is refused. */
  async claim(proof: VerifiedProof, now = Date.now()): Promise<void> {
    const result = await this.#db
      .insertInto('consent_dpop_jti')
      .values({
        jkt: proof.jkt,
        jti: proof.jti,
        expires_at: new Date(now + REPLAY_RETENTION_MS),
      })
      .onConflict((oc) => oc.columns(['jkt', 'jti']).doNothing())
      .executeTakeFirst();
    if (Number(result.numInsertedOrUpdatedRows ?? 0n) !== 1)
      throw dpopProblem(
        'dpop-proof-replayed',
        'this DPoP proof was already used; send a fresh proof with each request',
      );
  }

  static async purge(database: Database): Promise<void> {
    await database
      .tables<ReplayTables>()
      .deleteFrom('consent_dpop_jti')
      .where('expires_at', '<', sql<Date>`now()`)
      .execute();
  }
}
