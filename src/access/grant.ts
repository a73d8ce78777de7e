// The seam between "who may see what" and the data API. The foundation's internal bearer
// token produces an AccessGrant; the FAPI 2.0 consent layer produces the same thing, so the
// data API does not change when the way access is granted does.
import type { DataCluster, Purpose } from './vocabulary.ts';

export interface AccessGrant {
  /** Token or consent id this grant comes from (never logged with the customer). */
  grantId: string;
  bankId: string;
  customerId: string;
  /** Accounts the customer picked; null means all of the customer's accounts. */
  accountIds: readonly string[] | null;
  purposes: readonly Purpose[];
  clusters: readonly DataCluster[];
  expiresAt: Date;
  /** The data recipient (OAuth client), when there is one. */
  platform: string | null;
  /** The customer's pseudonym at that platform (pairwise subject), when there is one. */
  subject?: string;
  /**
   * The purpose the request declared (consent access); responses are projected to it.
   * Undefined for internal access that is not purpose-bound.
   */
  purpose?: string;
  /**
   * The request's DPoP replay record, when the caller asked to defer it (consent access with
   * `deferReplay`): not yet durable. Forward it with the release (AuditTrail.record's
   * `replay`) so it commits in the same transaction as the log entry, or the proof could be
   * reused on another instance.
   */
  replay?: ReplayRecord;
}

/** A DPoP proof's key thumbprint and jti, and when the record may be forgotten. */
export interface ReplayRecord {
  readonly jkt: string;
  readonly jti: string;
  readonly expiresAt: Date;
}

/** How a resolver should treat the request's proof (consent access; others ignore it). */
export interface ResolveOptions {
  /**
   * Leave the replay record on `grant.replay` instead of writing it now; the caller then
   * forwards it with the release it logs. The proof is still refused at once if this
   * instance has seen it.
   */
  deferReplay?: boolean;
}

/** One use of data under a grant: which cluster, and which account (absent for customer-level calls). */
export interface DataUse {
  cluster: DataCluster;
  accountId?: string;
}

/** What an access resolver sees of a request. */
export interface AccessRequest {
  bankId: string;
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
}

export interface AccessResolver {
  /** Resolves the request's credentials to a grant, or throws a Problem (401/403). */
  resolve(request: AccessRequest, options?: ResolveOptions): Promise<AccessGrant>;
  /** Allows one data use under a resolved grant, or throws a Problem (403) naming the reason. */
  authorize(grant: AccessGrant, use: DataUse): Promise<void>;
  /**
   * Optional: a release under this grant was withheld because its consent ended meanwhile;
   * the specific refusal to answer with (e.g. "consent revoked"), or undefined.
   */
  refusalAfterEnd?(grant: AccessGrant): Promise<Error | undefined>;
}
