// The vocabulary of a release: what a caller asks for (ReleaseRequest), who the caller is
// (ReleaseCaller), the state the steps pass along (ReleaseState) and what comes back (Released).
import type { KeyObject } from 'node:crypto';
import type { AccessGrant, AccessRequest, DataCluster } from '../access/index.ts';
import type { AuditEvent, AuditTrail, EntryKind } from '../audit/index.ts';
import type { BankCore } from '../bank/index.ts';
import type { ConsentRecord, ConsentService } from '../consent/index.ts';
import type { ObObject, ObResource } from '../policy/index.ts';
import type { Sealer } from '../seal/index.ts';

/** Who asks for the release. */
export type ReleaseCaller =
  /** A platform's HTTP request: token + DPoP proof are checked by the authenticate step. */
  | { kind: 'request'; request: AccessRequest }
  /** A request the path authenticated earlier in the same call (`ReleasePath.authenticate`). */
  | { kind: 'authenticated'; authenticated: Authenticated }
  /** The bank itself, pushing under a consent it already holds (alerts, receipts). */
  | { kind: 'consent'; consent: ConsentRecord }
  /**
   * A merchant under one payment consent (checkout confirmations): its DPoP-bound token was
   * checked by the payment API's door (src/payments/tokens.ts) before the body was read.
   */
  | { kind: 'merchant'; merchant: MerchantClient; paymentConsentId: string };

/** The merchant client the payment API authenticated (its OAuth client_id). */
export interface MerchantClient {
  readonly merchantId: string;
}

/** What the release path needs to know of a payment consent (src/payments holds the row). */
export interface PaymentConsentFacts {
  readonly id: string;
  readonly bankId: string;
  /** The merchant that asked for the payment (the creditor). */
  readonly merchantId: string;
  /** Null until the customer approved at the bank. */
  readonly customerId: string | null;
  readonly debtorAccountId: string | null;
  /** UK OB consent status: AwaitingAuthorisation, Authorised, Consumed, Rejected. */
  readonly status: string;
  readonly expiresAt: Date;
}

/** Loads a payment consent by id (src/payments' store, wired by the gateway). */
export interface PaymentConsentSource {
  get(bankId: string, consentId: string): Promise<PaymentConsentFacts | null>;
}

/** The bank's ES256 signing key (its JWKS), for answers signed rather than sealed. */
export interface SigningKey {
  key: KeyObject | CryptoKey;
  kid: string;
}

/** The outcome of the authenticate and consent steps; reused across releases of one request. */
export interface Authenticated {
  /**
   * The grant the consent layer issued, kept intact through every step (the log step hands
   * its fields, such as a DPoP `replay` record, to the audit trail).
   */
  readonly grant: AccessGrant & { readonly replay?: unknown };
  /** The consent record, loaded once (null for a request that does not need it: no seal). */
  readonly consent: ConsentRecord | null;
  /** The customer's pairwise subject at the platform (what the log commits to). */
  readonly pairwiseId: string;
  /** The purpose the request declared (x-proviso-purpose), when it declared one. */
  readonly declaredPurpose?: string;
  /** A merchant caller: the client, then (after the consent step) its payment consent. */
  readonly merchant?: MerchantClient;
  readonly paymentConsent?: PaymentConsentFacts;
}

/** Lists of Open Banking resources a core read returns; each list is projected to the purpose. */
export type ResourceLists = Partial<Record<ObResource, ObObject[]>>;

/** What the read step hands over: resource lists to project, and anything else the answer needs. */
export interface CoreRead<Extra = undefined> {
  records: ResourceLists;
  extra: Extra;
}

/** What the read function sees: the bank's core and the consent it reads under. */
export interface ReadScope {
  readonly bankId: string;
  readonly core: BankCore;
  readonly grant: AccessGrant;
  readonly purpose: string;
  /** The consent's accounts (null: every account of the customer). */
  readonly accountIds: readonly string[] | null;
}

/** Where the released payload goes when it goes to the customer's device. */
export interface SealTo {
  /** Envelope type the device renders (balance, transactions, cards, alert…). */
  type: string;
  /** A stable id for the envelope (an alert's id), when the device should dedupe on it. */
  id?: string;
  /**
   * Sealed among many at once (the outbox's alerts and notifications): the envelope may wait
   * a moment to be sealed in a batch on the sealing pool's worker threads (Sealer.sealSoon).
   */
  batch?: boolean;
}

export interface ReleaseRequest<Extra = undefined> {
  bankId: string;
  caller: ReleaseCaller;
  /**
   * The one purpose this release serves. Omitted for an HTTP caller that declares it in
   * x-proviso-purpose (Open Banking routes); required otherwise.
   */
  purpose?: string;
  /** Data clusters released; Cedar decides each (with accountId when given). */
  clusters: readonly DataCluster[];
  accountId?: string;
  /** The log entry kind (data.access, alert.raised, card.action…). */
  kind: EntryKind;
  /** The core read (or core action), run only after the decision allowed the release. */
  read(scope: ReadScope): Promise<CoreRead<Extra>>;
  /**
   * The payload that leaves, built from the projected records. Null releases nothing (a
   * decision that is logged with no data, e.g. an alert reply).
   */
  answer(projected: ResourceLists, extra: Extra): Record<string, unknown> | null;
  /** Seal the payload to the consent's device key; absent: the answer goes to the caller as is. */
  seal?: SealTo;
  /**
   * Instead of sealing: sign the payload (plus its log index) as a JWT by the bank's ES256
   * key, for a caller that verifies offline against the bank's JWKS (a merchant).
   */
  sign?: SignAs;
  /** Extra fields the log step forwards to AuditTrail.record (beside the ones it derives). */
  log?: Partial<AuditEvent> & Record<string, unknown>;
}

/** How a signed answer is typed (the JWS `typ` header the verifier insists on). */
export interface SignAs {
  typ: string;
}

export interface Released {
  /** The JSON payload that left (null when nothing did). */
  payload: Record<string, unknown> | null;
  /** The exact bytes logged and released (JSON of payload). */
  bytes: Buffer | null;
  /** Transparency-log index of the release's entry. */
  logIndex: number;
  /** The sealed envelope (compact JWS), when sealed. */
  envelope?: string;
  /** The signed answer (compact JWS), when signed. */
  signed?: string;
  authenticated: Authenticated;
}

/** What the path is built from. */
export interface ReleaseDependencies {
  consent: ConsentService;
  audit: AuditTrail;
  core(bankId: string): BankCore;
  /** One sealer per bank, signing with its key (gateway's bankSealers). */
  sealers(bankId: string): Promise<Sealer>;
  /** The bank's ES256 key, for signed answers (merchant confirmations). */
  signers?(bankId: string): Promise<SigningKey>;
  /** Payment consents, for merchant callers. */
  paymentConsents?: PaymentConsentSource;
}

/** The state one release carries from step to step; each step fills in its part. */
export interface ReleaseState<Extra = unknown> {
  readonly request: ReleaseRequest<Extra>;
  readonly deps: ReleaseDependencies;
  authenticated?: Authenticated;
  purpose?: string;
  read?: CoreRead<Extra>;
  projected?: ResourceLists;
  payload?: Record<string, unknown> | null;
  bytes?: Buffer | null;
  logIndex?: number;
  envelope?: string;
  signed?: string;
}

/** One single-purpose step of the path. */
export interface ReleaseStep {
  readonly name: StepName;
  run(state: ReleaseState): Promise<void>;
}

export type StepName = 'authenticate' | 'consent' | 'decide' | 'read' | 'project' | 'log' | 'seal';
