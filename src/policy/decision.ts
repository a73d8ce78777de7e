// The plain-data shapes the policy engine takes and gives back.

export type ConsentStatus = 'awaiting_authorisation' | 'authorised' | 'rejected' | 'revoked' | 'expired';

/** What a consent record says, as the consent store holds it. */
export interface ConsentFacts {
  id: string;
  status: ConsentStatus;
  platform: string;
  customerId: string;
  purposes: readonly string[];
  clusters: readonly string[];
  accountIds: readonly string[];
  expiresAt: Date;
}

/** One data call: who asks, about whom, for what, which cluster, which account. */
export interface DataRequest {
  platform: string;
  customerId: string;
  /** Declared purpose; any string — unknown ones are refused, not rejected by type. */
  purpose: string;
  cluster: string;
  /** Absent for customer-level calls (e.g. listing the consented accounts). */
  accountId?: string | undefined;
  now: Date;
}

export interface DecisionInput {
  consent: ConsentFacts;
  request: DataRequest;
}

export type DenialCode =
  | 'forbidden_purpose'
  | 'unknown_purpose'
  | 'consent_not_authorised'
  | 'consent_expired'
  | 'purpose_not_consented'
  | 'cluster_not_consented'
  | 'account_not_consented'
  | 'wrong_platform'
  | 'wrong_customer';

export type DecisionCode = 'allowed' | DenialCode;

export interface Decision {
  allowed: boolean;
  code: DecisionCode;
  /** Plain language, safe to show the platform and the customer (no account numbers). */
  detail: string;
  /** Ids of the Cedar policies that determined the decision. */
  policies: string[];
}
