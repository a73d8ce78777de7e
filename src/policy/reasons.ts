// Turns the forbid policies Cedar reports as satisfied into one code and a sentence.
// Cedar's answer decides; this file only explains it.
import { isForbiddenPurpose } from '../access/index.ts';
import type { DecisionInput, DenialCode } from './decision.ts';

/** Every forbid policy must appear here; the engine refuses to start otherwise. */
export const FORBID_CODES: Readonly<Record<string, DenialCode>> = {
  'forbid-advertising': 'forbidden_purpose',
  'forbid-marketing': 'forbidden_purpose',
  'forbid-profiling': 'forbidden_purpose',
  'forbid-resale': 'forbidden_purpose',
  'forbid-credit-decisioning': 'forbidden_purpose',
  'forbid-consent-listing-forbidden-purpose': 'forbidden_purpose',
  'forbid-unknown-purpose': 'unknown_purpose',
  'forbid-wrong-platform': 'wrong_platform',
  'forbid-wrong-customer': 'wrong_customer',
  'forbid-other-customer-resource': 'wrong_customer',
  'forbid-consent-not-authorised': 'consent_not_authorised',
  'forbid-consent-expired': 'consent_expired',
  'forbid-purpose-not-consented': 'purpose_not_consented',
  // Listed first: "checkout never uses balances" says more than "not in the consent".
  'forbid-cluster-outside-purpose': 'cluster_not_consented',
  'forbid-cluster-not-consented': 'cluster_not_consented',
  'forbid-account-not-consented': 'account_not_consented',
};

// When several rules refuse at once, report the most fundamental. The platform and
// customer checks come before anything about the consent's state, so that a platform
// probing someone else's consent learns nothing about it (not even that it expired).
const PRIORITY: readonly DenialCode[] = [
  'forbidden_purpose',
  'unknown_purpose',
  'wrong_platform',
  'wrong_customer',
  'consent_not_authorised',
  'consent_expired',
  'purpose_not_consented',
  'cluster_not_consented',
  'account_not_consented',
];

export interface Explanation {
  code: DenialCode;
  detail: string;
  policies: string[];
}

/** Orders the satisfied forbid ids by PRIORITY and explains the first. */
export function explainDenial(forbids: readonly string[], input: DecisionInput): Explanation | null {
  // By code priority, then by the order of FORBID_CODES (more specific rule first).
  const ids = Object.keys(FORBID_CODES);
  const rank = (id: string) => PRIORITY.indexOf(FORBID_CODES[id]!) * ids.length + ids.indexOf(id);
  const ordered = forbids.filter((id) => id in FORBID_CODES).sort((a, b) => rank(a) - rank(b));
  const first = ordered[0];
  if (!first) return null;
  const code = FORBID_CODES[first]!;
  return { code, detail: describe(first, code, input), policies: ordered };
}

/** Quotes a caller-supplied string safely and briefly. */
function quote(value: string): string {
  return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
}

function words(identifier: string): string {
  return identifier.replaceAll('_', ' ');
}

function describe(policyId: string, code: DenialCode, { consent, request }: DecisionInput): string {
  const purpose = request.purpose;
  switch (code) {
    case 'forbidden_purpose': {
      if (policyId === 'forbid-consent-listing-forbidden-purpose') {
        const listed = consent.purposes.filter(isForbiddenPurpose).map(words).join(', ');
        return `the consent lists ${listed}, a forbidden purpose: such a consent is void for every purpose, because Proviso never releases data for ${listed}, whatever a consent says`;
      }
      return `${words(purpose)} is a forbidden purpose: Proviso never releases data for ${words(purpose)}, whatever a consent says`;
    }
    case 'unknown_purpose':
      return `${quote(purpose)} is not a purpose Proviso knows; a request must declare one of its listed purposes`;
    case 'wrong_platform':
      return 'this consent was not given to the platform making the request';
    case 'wrong_customer':
      return 'the request is about a different customer than the one who gave this consent';
    case 'consent_not_authorised':
      return `the consent is ${words(consent.status)}, not authorised: no data is released under it`;
    case 'consent_expired':
      return `the consent expired at ${consent.expiresAt.toISOString()}; the customer must link again`;
    case 'purpose_not_consented':
      return `the customer did not consent to ${quote(purpose)} for this platform`;
    case 'cluster_not_consented':
      if (policyId === 'forbid-cluster-outside-purpose')
        return `${quote(purpose)} never uses ${quote(request.cluster)} data, whatever the consent lists`;
      return `the customer did not consent to sharing ${quote(request.cluster)} data`;
    case 'account_not_consented':
      return 'the customer did not include this account in the consent';
  }
}
