// The data API's door: `Authorization: DPoP <token>` plus a `DPoP` proof, a declared purpose
// (`x-proviso-purpose`), and a Cedar decision per data use. The token and its consent row
// are cached per token and dropped on every instance when the consent or token changes
// (grant-cache.ts: LISTEN/NOTIFY, and a 5 s bound); the consent's status is re-read inside
// the transaction that logs each batch of releases (release-guard.ts), so a revocation
// committed anywhere withholds every release logged after it, even before an instance's
// cache has heard of it — and `refusalAfterEnd` then names the reason from the database.

import { sql } from 'kysely';
import type {
  AccessGrant,
  AccessRequest,
  AccessResolver,
  DataUse,
  Purpose,
  ReplayRecord,
  ResolveOptions,
} from '../access/index.ts';
import { forbidden, Problem, unauthorized } from '../http/index.ts';
import type { Decision, DecisionInput, DenialCode, PolicyEngine } from '../policy/index.ts';
import type { Database } from '../storage/index.ts';
import type { OidcTables } from './adapter.ts';
import { accessTokenHash, DpopVerifier, dpopProblem, REPLAY_RETENTION_MS } from './dpop.ts';
import { GrantCache, tokenAnnouncement } from './grant-cache.ts';
import { RecentProofs } from './replay.ts';
import type { ConsentRecord, ConsentStatus, ConsentStore, ConsentTables } from './store.ts';

export const PURPOSE_HEADER = 'x-proviso-purpose';
const TOKEN = /^[A-Za-z0-9_-]{20,128}$/;

export interface Facts {
  consentId: string;
  status: ConsentStatus;
  platform: string;
  customerId: string;
  purposes: string[];
  clusters: string[];
  accountIds: string[];
  expiresAt: Date;
}

const DENIAL_SLUG: Record<DenialCode, string> = {
  forbidden_purpose: 'forbidden-purpose',
  unknown_purpose: 'unknown-purpose',
  consent_not_authorised: 'consent-not-authorised',
  consent_expired: 'consent-expired',
  purpose_not_consented: 'purpose-not-consented',
  cluster_not_consented: 'cluster-not-consented',
  account_not_consented: 'account-not-consented',
  wrong_platform: 'wrong-platform',
  wrong_customer: 'wrong-customer',
};

function header(headers: AccessRequest['headers'], name: string): string | string[] | undefined {
  return headers[name];
}

/** A Cedar denial as a 403 problem whose type names the reason (forbidden-purpose, consent-expired…). */
export function denialProblem(decision: Decision): Problem {
  const code = decision.code as DenialCode;
  return forbidden(DENIAL_SLUG[code] ?? 'not-permitted', decision.detail, {
    reason: code,
    policies: decision.policies,
  });
}

export interface DpopConsentAccessOptions {
  database: Database;
  policy: PolicyEngine;
  consents: ConsentStore;
  /** Public base URL: the htu of a request is this plus its path. */
  publicUrl: () => string;
  /** The customer's pairwise subject at the platform (for audit records). */
  subjectFor?: (bankId: string, clientId: string, customerId: string) => Promise<string>;
}

/** What Cedar decides on: the consent as recorded, and one data use by one platform now. */
export function decisionInput(
  consent: Facts,
  request: {
    platform: string;
    customerId: string;
    purpose: string;
    cluster: string;
    accountId?: string | undefined;
  },
  now = new Date(),
): DecisionInput {
  return {
    consent: {
      id: consent.consentId,
      status: consent.status,
      platform: consent.platform,
      customerId: consent.customerId,
      purposes: consent.purposes,
      clusters: consent.clusters,
      accountIds: consent.accountIds,
      expiresAt: consent.expiresAt,
    },
    request: { ...request, now },
  };
}

/** A token's row as the data API needs it, cached per token (see GrantCache). */
interface TokenFacts {
  /** The key thumbprint the token is bound to. */
  readonly jkt: string | undefined;
  readonly tokenExpiresAt: Date | null;
  readonly facts: Facts;
  readonly subject: string | undefined;
}

function factsOf(record: ConsentRecord): Facts {
  return {
    consentId: record.id,
    status: record.status,
    platform: record.clientId,
    customerId: record.customerId ?? '',
    purposes: record.purposes,
    clusters: record.clusters,
    accountIds: record.accountIds,
    expiresAt: record.expiresAt ?? new Date(0),
  };
}

// "Last used" on the connected-apps page: at most one write a minute per consent per instance.
const TOUCH_INTERVAL_MS = 60_000;

export class DpopConsentAccess implements AccessResolver {
  readonly #db;
  readonly #dpop: DpopVerifier;
  readonly #policy: PolicyEngine;
  readonly #consents: ConsentStore;
  readonly #publicUrl: () => string;
  readonly #subjectFor: DpopConsentAccessOptions['subjectFor'];
  readonly #facts = new WeakMap<AccessGrant, Facts>();
  /** The last data use authorised under a grant, to name the reason if its release is withheld. */
  readonly #uses = new WeakMap<AccessGrant, { use: DataUse; purpose: string | undefined }>();
  readonly #tokens: GrantCache<TokenFacts>;
  readonly #recent = new RecentProofs();
  readonly #touched = new Map<string, number>();
  constructor(o: DpopConsentAccessOptions) {
    this.#db = o.database.tables<OidcTables & ConsentTables>();
    this.#dpop = new DpopVerifier(o.database);
    this.#policy = o.policy;
    this.#consents = o.consents;
    this.#publicUrl = o.publicUrl;
    this.#subjectFor = o.subjectFor;
    this.#tokens = new GrantCache(o.database);
    // This instance's own consent changes drop the cached rows at once, not when the NOTIFY returns.
    o.consents.onChange((consentId) => this.#tokens.drop(consentId));
  }

  async resolve(request: AccessRequest, options: ResolveOptions = {}): Promise<AccessGrant> {
    const grant = await this.authenticate(request, options);
    const purpose = header(request.headers, PURPOSE_HEADER);
    if (typeof purpose !== 'string' || purpose.length === 0)
      throw new Problem(
        400,
        'purpose-required',
        'Purpose required',
        `declare the purpose of this request in the ${PURPOSE_HEADER} header`,
      );
    grant.purpose = purpose;
    return grant;
  }

  /**
   * Checks token and proof only (platform consent API): the grant's consent, whatever its state.
   * With `deferReplay`, the proof's replay record rides on `grant.replay` for the caller to
   * log with its release; otherwise it is written here (its own statement).
   */
  async authenticate(request: AccessRequest, options: ResolveOptions = {}): Promise<AccessGrant> {
    const authorization = header(request.headers, 'authorization');
    if (typeof authorization !== 'string' || !/^DPoP /i.test(authorization)) {
      if (typeof authorization === 'string' && /^Bearer /i.test(authorization))
        throw dpopProblem(
          'dpop-required',
          'this API takes DPoP-bound access tokens: send "Authorization: DPoP <token>" and a DPoP proof',
          'invalid_token',
        );
      throw dpopProblem(
        'dpop-required',
        'send an access token as "Authorization: DPoP <token>" with a DPoP proof header',
        'invalid_token',
      );
    }
    const token = authorization.slice(5).trim();
    if (!TOKEN.test(token))
      throw dpopProblem('invalid-token', 'the access token is malformed', 'invalid_token');
    const proof = header(request.headers, 'dpop');
    if (proof === undefined)
      throw dpopProblem('dpop-proof-missing', 'a DPoP proof header is required with a DPoP-bound token');
    if (typeof proof !== 'string' || proof.includes(','))
      throw dpopProblem('dpop-proof-invalid', 'send exactly one DPoP proof header');

    const path = request.url.split('?')[0]!;
    const verified = await this.#dpop.verify(proof, request.method, `${this.#publicUrl()}${path}`, token);

    const found = await this.#tokenFacts(request.bankId, token);
    if (!found)
      throw dpopProblem(
        'invalid-token',
        'the access token is unknown, revoked or for another bank',
        'invalid_token',
      );
    if (found.tokenExpiresAt && found.tokenExpiresAt <= new Date())
      throw dpopProblem('expired-token', 'the access token has expired; refresh it', 'invalid_token');
    if (!found.jkt || found.jkt !== verified.jkt)
      throw dpopProblem(
        'dpop-key-mismatch',
        'the DPoP proof is signed by a key the access token is not bound to',
        'invalid_token',
      );
    // Only a proof that passed every other check uses up its jti.
    if (!this.#recent.add(verified.jkt, verified.jti)) throw RecentProofs.replayed();
    const replay: ReplayRecord = {
      jkt: verified.jkt,
      jti: verified.jti,
      expiresAt: new Date(Date.now() + REPLAY_RETENTION_MS),
    };
    if (!options.deferReplay) await this.#dpop.claim(verified);

    const { facts } = found;
    const grant: AccessGrant = {
      grantId: facts.consentId,
      bankId: request.bankId,
      customerId: facts.customerId,
      accountIds: facts.accountIds,
      purposes: facts.purposes as Purpose[],
      clusters: facts.clusters as AccessGrant['clusters'],
      expiresAt: facts.expiresAt,
      platform: facts.platform,
      ...(found.subject !== undefined ? { subject: found.subject } : {}),
      ...(options.deferReplay ? { replay } : {}),
    };
    this.#facts.set(grant, facts);
    return grant;
  }

  /** The token's row and consent: from the cache, or one indexed join (then cached). */
  async #tokenFacts(bankId: string, token: string): Promise<TokenFacts | undefined> {
    const key = `${bankId}\0${token}`;
    const cached = (await this.#tokens.listening()) ? this.#tokens.get(key) : undefined;
    if (cached) return cached;
    const generation = this.#tokens.generation;
    const row = await this.#db
      .selectFrom('consent_oidc as t')
      .innerJoin('consent as c', (j) =>
        j.onRef('c.grant_id', '=', 't.grant_id').onRef('c.bank_id', '=', 't.bank_id'),
      )
      .select([
        't.payload',
        't.expires_at as token_expires_at',
        'c.id',
        'c.status',
        'c.client_id',
        'c.customer_id',
        'c.purposes',
        'c.clusters',
        'c.account_ids',
        'c.expires_at',
      ])
      .where('t.bank_id', '=', bankId)
      .where('t.model', '=', 'AccessToken')
      .where('t.id', '=', token)
      .executeTakeFirst();
    if (!row) return undefined;
    const payload = (typeof row.payload === 'string' ? JSON.parse(row.payload) : row.payload) as {
      jkt?: string;
    };
    const found: TokenFacts = {
      jkt: payload.jkt,
      tokenExpiresAt: row.token_expires_at,
      facts: {
        consentId: row.id,
        status: row.status as ConsentStatus,
        platform: row.client_id,
        customerId: row.customer_id ?? '',
        purposes: row.purposes,
        clusters: row.clusters,
        accountIds: row.account_ids,
        expiresAt: row.expires_at ?? new Date(0),
      },
      subject:
        this.#subjectFor && row.customer_id
          ? await this.#subjectFor(bankId, row.client_id, row.customer_id)
          : undefined,
    };
    // Only a row that can carry a release is kept: a refusal is re-read each time, so a
    // consent authorised again (on any instance) is served from the next request on.
    if (row.status === 'authorised')
      this.#tokens.set(key, found, [row.id, tokenAnnouncement(accessTokenHash(token))], generation);
    return found;
  }

  /** Cedar's decision for one use; `purpose` defaults to the one the request declared. */
  async authorize(grant: AccessGrant, use: DataUse, purpose = grant.purpose): Promise<void> {
    const facts = this.#facts.get(grant);
    if (!facts) throw unauthorized('invalid-grant', 'this grant was not issued by the consent layer');
    this.#decide(grant, facts, use, purpose);
    this.#uses.set(grant, { use, purpose });
    this.#touch(facts.consentId);
  }

  /** Cedar's decision on this use under these facts; throws the specific 403 if it is a no. */
  #decide(grant: AccessGrant, facts: Facts, use: DataUse, purpose: string | undefined): void {
    const decision = this.#policy.decide(
      decisionInput(facts, {
        platform: grant.platform ?? '',
        customerId: grant.customerId,
        purpose: purpose ?? '',
        cluster: use.cluster,
        accountId: use.accountId,
      }),
    );
    if (!decision.allowed) throw denialProblem(decision);
  }

  /** Records "last used" off the request path, at a bounded rate. */
  #touch(consentId: string): void {
    const now = Date.now();
    if (now - (this.#touched.get(consentId) ?? 0) < TOUCH_INTERVAL_MS) return;
    if (this.#touched.size >= 100_000) this.#touched.clear();
    this.#touched.set(consentId, now);
    this.#consents.touch(consentId, new Date(now)).catch(() => {});
  }

  /**
   * A release under this grant was withheld because its consent ended before it was logged
   * (ConsentEndedError): forgets the cached row and returns the specific refusal Cedar gives
   * on the consent as the database holds it now (e.g. consent-not-authorised "revoked",
   * consent-expired), or undefined if it names none.
   */
  async refusalAfterEnd(grant: AccessGrant): Promise<Error | undefined> {
    const facts = this.#facts.get(grant);
    if (!facts) return undefined;
    this.#tokens.drop(facts.consentId);
    const record = await this.#consents.get(facts.consentId);
    if (!record) return undefined;
    try {
      const last = this.#uses.get(grant) ?? { use: { cluster: grant.clusters[0]! }, purpose: grant.purpose };
      this.#decide(grant, factsOf(record), last.use, last.purpose);
    } catch (error) {
      return error as Error;
    }
    return undefined;
  }
}

/** Test and operations helper: how many proofs the replay store holds. */
export async function replayStoreSize(database: Database): Promise<number> {
  const r = await sql<{ n: string }>`select count(*)::text as n from consent_dpop_jti`.execute(
    database.tables(),
  );
  return Number(r.rows[0]?.n ?? 0);
}
