// The data API's door: `Authorization: DPoP <token>` plus a `DPoP` proof, a declared purpose
// (`x-proviso-purpose`), and a Cedar decision per data use. The token and its consent are
// read from the database on every call (one indexed join), so a revocation or expiry is in
// force on every gateway instance as soon as the revoking statement has committed — there is
// no cache to invalidate.
import { sql } from 'kysely';
import type { AccessGrant, AccessRequest, AccessResolver, DataUse, Purpose } from '../access/index.ts';
import { forbidden, Problem, unauthorized } from '../http/index.ts';
import type { Decision, DecisionInput, DenialCode, PolicyEngine } from '../policy/index.ts';
import type { Database } from '../storage/index.ts';
import type { OidcTables } from './adapter.ts';
import { DpopVerifier, dpopProblem } from './dpop.ts';
import type { ConsentStatus, ConsentStore, ConsentTables } from './store.ts';

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

export class DpopConsentAccess implements AccessResolver {
  readonly #db;
  readonly #dpop: DpopVerifier;
  readonly #policy: PolicyEngine;
  readonly #consents: ConsentStore;
  readonly #publicUrl: () => string;
  readonly #subjectFor: DpopConsentAccessOptions['subjectFor'];
  readonly #facts = new WeakMap<AccessGrant, Facts>();
  constructor(o: DpopConsentAccessOptions) {
    this.#db = o.database.tables<OidcTables & ConsentTables>();
    this.#dpop = new DpopVerifier(o.database);
    this.#policy = o.policy;
    this.#consents = o.consents;
    this.#publicUrl = o.publicUrl;
    this.#subjectFor = o.subjectFor;
  }

  async resolve(request: AccessRequest): Promise<AccessGrant> {
    const grant = await this.authenticate(request);
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

  /** Checks token and proof only (platform consent API): the grant's consent, whatever its state. */
  async authenticate(request: AccessRequest): Promise<AccessGrant> {
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
      .where('t.bank_id', '=', request.bankId)
      .where('t.model', '=', 'AccessToken')
      .where('t.id', '=', token)
      .executeTakeFirst();
    if (!row)
      throw dpopProblem(
        'invalid-token',
        'the access token is unknown, revoked or for another bank',
        'invalid_token',
      );
    if (row.token_expires_at && row.token_expires_at <= new Date())
      throw dpopProblem('expired-token', 'the access token has expired; refresh it', 'invalid_token');
    const payload = (typeof row.payload === 'string' ? JSON.parse(row.payload) : row.payload) as {
      jkt?: string;
    };
    if (!payload.jkt || payload.jkt !== verified.jkt)
      throw dpopProblem(
        'dpop-key-mismatch',
        'the DPoP proof is signed by a key the access token is not bound to',
        'invalid_token',
      );
    // Only a proof that passed every other check uses up its jti.
    await this.#dpop.claim(verified);

    const grant: AccessGrant = {
      grantId: row.id,
      bankId: request.bankId,
      customerId: row.customer_id ?? '',
      accountIds: row.account_ids,
      purposes: row.purposes as Purpose[],
      clusters: row.clusters as AccessGrant['clusters'],
      expiresAt: row.expires_at ?? new Date(0),
      platform: row.client_id,
      ...(this.#subjectFor && row.customer_id
        ? { subject: await this.#subjectFor(request.bankId, row.client_id, row.customer_id) }
        : {}),
    };
    this.#facts.set(grant, {
      consentId: row.id,
      status: row.status as ConsentStatus,
      platform: row.client_id,
      customerId: row.customer_id ?? '',
      purposes: row.purposes,
      clusters: row.clusters,
      accountIds: row.account_ids,
      expiresAt: row.expires_at ?? new Date(0),
    });
    return grant;
  }

  /** Cedar's decision for one use; `purpose` defaults to the one the request declared. */
  async authorize(grant: AccessGrant, use: DataUse, purpose = grant.purpose): Promise<void> {
    const facts = this.#facts.get(grant);
    if (!facts) throw unauthorized('invalid-grant', 'this grant was not issued by the consent layer');
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
    this.#consents.touch(facts.consentId).catch(() => {});
  }
}

/** Test and operations helper: how many proofs the replay store holds. */
export async function replayStoreSize(database: Database): Promise<number> {
  const r = await sql<{ n: string }>`select count(*)::text as n from consent_dpop_jti`.execute(
    database.tables(),
  );
  return Number(r.rows[0]?.n ?? 0);
}
