// Data minimisation per purpose: which clusters a purpose may use, and which fields of
// each Open Banking resource it may return. Projections are allow-lists: a field that is
// not listed never leaves, including fields the bank adds to its OB shapes later.
// The reasons for each choice are in docs/policy.md.
import { type DataCluster, isPurpose, type Purpose } from '../access/index.ts';

/** `payment`: the bank's confirmation of a checkout payment or refund to its merchant (not an OB read). */
export type ObResource = 'account' | 'balance' | 'transaction' | 'payment';
export type ObObject = Readonly<Record<string, unknown>>;

/** `true` copies a primitive; a function derives a value; an object recurses (arrays elementwise). */
type FieldSpec = true | ((value: unknown) => unknown) | { readonly [field: string]: FieldSpec };
type Fields = { readonly [field: string]: FieldSpec };

/** Other records of the same release a keep rule may consult (a balance's account). */
export interface RelatedRecords {
  readonly accounts?: readonly ObObject[];
}

interface ResourceProjection {
  fields: Fields;
  /** Records this purpose must not see at all (e.g. booked balances for balance_inquiry). */
  keep?: (record: ObObject, related: RelatedRecords) => boolean;
}

export class ProjectionError extends Error {
  override name = 'ProjectionError';
}

/** Must equal the forbid-cluster-outside-purpose policy (test/policy checks every pair). */
export const PURPOSE_CLUSTERS: Readonly<Record<Purpose, readonly DataCluster[]>> = {
  balance_inquiry: ['accounts', 'balances'],
  transaction_notifications: ['accounts', 'transactions'],
  fraud_alerts: ['accounts', 'transactions', 'card_controls'],
  checkout: ['payments'],
  customer_service: ['accounts', 'transactions'],
};

export const RESOURCE_CLUSTER: Readonly<Record<ObResource, DataCluster>> = {
  account: 'accounts',
  balance: 'balances',
  transaction: 'transactions',
  payment: 'payments',
};

/** "****4164": enough for a customer to recognise the account, useless to anyone else. */
export function maskIdentification(value: unknown): unknown {
  if (typeof value !== 'string') return undefined;
  const digits = value.replace(/[^0-9A-Za-z]/g, '');
  return digits.length > 4 ? `****${digits.slice(-4)}` : '****';
}

/**
 * Free text from a bank core can carry account, card or sort-code numbers ("Transfer to
 * 40123412344164"). Any run of six or more digits (spaces and dashes allowed inside) is
 * masked to its last four.
 */
export function redactNumbers(value: unknown): unknown {
  if (typeof value !== 'string') return undefined;
  return value.replace(/\d(?:[ -]?\d){5,}/g, (run) => maskIdentification(run) as string);
}

const MONEY: Fields = { Amount: true, Currency: true };
const MERCHANT: Fields = { MerchantName: true, MerchantCategoryCode: true };

// The account as a label: which account, what kind, what currency. No identification.
const ACCOUNT_LABEL: Fields = { AccountId: true, Nickname: true, AccountSubType: true, Currency: true };

const TRANSACTION_CORE: Fields = {
  AccountId: true,
  TransactionId: true,
  BookingDateTime: true,
  Status: true,
  CreditDebitIndicator: true,
  Amount: MONEY,
  MerchantDetails: MERCHANT,
};

/** True when the record's account is, by the release's own account records, a credit card. */
function onCreditCard(record: ObObject, related: RelatedRecords): boolean {
  return (related.accounts ?? []).some(
    (a) => a['AccountId'] === record['AccountId'] && a['AccountSubType'] === 'CreditCard',
  );
}

const PROJECTIONS: Readonly<Record<Purpose, Partial<Record<ObResource, ResourceProjection>>>> = {
  balance_inquiry: {
    account: { fields: ACCOUNT_LABEL },
    balance: {
      fields: { AccountId: true, Type: true, Amount: MONEY, CreditDebitIndicator: true, DateTime: true },
      // A credit card's balance is also what is owed: its booked balance (docs/policy.md).
      keep: (b, related) =>
        b['Type'] === 'InterimAvailable' || (b['Type'] === 'InterimBooked' && onCreditCard(b, related)),
    },
  },
  transaction_notifications: {
    account: { fields: ACCOUNT_LABEL },
    transaction: { fields: { ...TRANSACTION_CORE, SupplementaryData: { Category: true } } },
  },
  fraud_alerts: {
    account: { fields: ACCOUNT_LABEL },
    transaction: {
      fields: { ...TRANSACTION_CORE, SupplementaryData: { Channel: true, Country: true, CardId: true } },
    },
  },
  // The merchant's confirmation: its own payment's state and figures, never the debtor account.
  checkout: {
    payment: {
      fields: {
        iss: true,
        payment_id: true,
        refund_id: true,
        consent_id: true,
        status: true,
        amount: true,
        currency: true,
        order_reference: true,
        merchant: true,
        merchant_name: true,
        time: true,
      },
    },
  },
  customer_service: {
    account: {
      fields: {
        ...ACCOUNT_LABEL,
        Status: true,
        AccountType: true,
        Account: { SchemeName: true, Identification: maskIdentification },
      },
    },
    transaction: {
      fields: {
        ...TRANSACTION_CORE,
        TransactionInformation: redactNumbers,
        SupplementaryData: { Category: true, Channel: true },
      },
    },
  },
};

function isRecord(value: unknown): value is ObObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isPrimitive(value: unknown): boolean {
  return value === null || ['string', 'number', 'boolean'].includes(typeof value);
}

function pickValue(spec: FieldSpec, value: unknown): unknown {
  if (spec === true) return isPrimitive(value) ? value : undefined; // nested data needs its own spec
  if (typeof spec === 'function') return spec(value);
  if (Array.isArray(value)) return value.map((v) => pickValue(spec, v)).filter((v) => v !== undefined);
  return isRecord(value) ? pick(spec, value) : undefined;
}

function pick(fields: Fields, source: ObObject): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [field, spec] of Object.entries(fields)) {
    if (!Object.hasOwn(source, field)) continue;
    const value = pickValue(spec, source[field]);
    if (value !== undefined) out[field] = value;
  }
  return out;
}

function projectionFor(purpose: string, resource: ObResource): ResourceProjection {
  if (!isPurpose(purpose)) throw new ProjectionError(`unknown purpose ${JSON.stringify(purpose)}`);
  const projection = PROJECTIONS[purpose][resource];
  if (!projection) throw new ProjectionError(`${purpose} never returns ${resource} resources`);
  return projection;
}

/**
 * A new object with only the fields `purpose` may return, or null when the purpose must
 * not see this record at all. Throws ProjectionError for an unknown purpose or a resource
 * the purpose never uses (the policy engine refuses those calls before data is read).
 */
export function project(
  purpose: string,
  resource: ObResource,
  record: ObObject,
  related: RelatedRecords = {},
): Record<string, unknown> | null {
  const projection = projectionFor(purpose, resource);
  if (projection.keep && !projection.keep(record, related)) return null;
  return pick(projection.fields, record);
}

/** Projects a list, leaving out the records the purpose must not see. */
export function projectAll(
  purpose: string,
  resource: ObResource,
  records: readonly ObObject[],
  related: RelatedRecords = {},
): Record<string, unknown>[] {
  const projection = projectionFor(purpose, resource);
  return records
    .filter((r) => !projection.keep || projection.keep(r, related))
    .map((r) => pick(projection.fields, r));
}

/** The OB resources a purpose can return at all (for docs and the consent screens). */
export function resourcesFor(purpose: Purpose): ObResource[] {
  return Object.keys(PROJECTIONS[purpose]) as ObResource[];
}
