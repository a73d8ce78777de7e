// Step 1 — authenticate. Enforces: a platform's request carries a DPoP-bound access token and
// a proof for this very request (RFC 9449), checked by the consent layer's DpopConsentAccess
// (token join, proof signature, htm/htu, jti replay, key binding); a bank-initiated push
// names a consent the bank holds; a merchant (kind 'merchant') was authenticated by the
// payment API's door before its body was read (src/payments/tokens.ts: DPoP-bound token of a
// registered merchant, for this bank's PIS audience) — this step does not check it again, it
// only stands the merchant up as the releasing party, to be joined to its payment consent by
// the consent step. Errors: 401 dpop-required / invalid-token / expired-token /
// dpop-proof-* / dpop-key-mismatch (from the consent layer), 400 purpose-required when an
// HTTP caller that must declare a purpose did not.
import type { AccessGrant } from '../../access/index.ts';
import type { ConsentRecord, ConsentService } from '../../consent/index.ts';
import type { Authenticated, MerchantClient, ReleaseCaller, ReleaseStep } from '../types.ts';

/** A grant standing for a consent the bank acts on by itself (no token was presented). */
async function grantOfConsent(consent: ConsentRecord, service: ConsentService): Promise<Authenticated> {
  const customerId = consent.customerId ?? '';
  const pairwiseId = await service.pairwiseSubject(consent.bankId, consent.clientId, customerId);
  const grant: AccessGrant = {
    grantId: consent.id,
    bankId: consent.bankId,
    customerId,
    accountIds: consent.accountIds,
    purposes: consent.purposes,
    clusters: consent.clusters,
    expiresAt: consent.expiresAt ?? new Date(0),
    platform: consent.clientId,
    subject: pairwiseId,
  };
  return { grant, consent, pairwiseId };
}

/**
 * A merchant before its payment consent is loaded: the grant names the payment consent and the
 * merchant; the customer, the accounts and the pairwise subject come with the consent step.
 */
function merchantCaller(merchant: MerchantClient, paymentConsentId: string): Authenticated {
  const grant: AccessGrant = {
    grantId: paymentConsentId,
    bankId: '',
    customerId: '',
    accountIds: [],
    purposes: ['checkout'],
    clusters: ['payments'],
    expiresAt: new Date(0),
    platform: merchant.merchantId,
  };
  return { grant, consent: null, pairwiseId: '', merchant };
}

/**
 * Runs the check for a caller; `declare` asks the request to name its purpose in the header.
 * `deferReplay` (one release per authentication, as `release()` makes): the DPoP proof's
 * replay record is not written here but rides on `grant.replay`, and the log step commits it
 * in the same transaction as the release's entry (docs/performance.md, "Release path").
 */
export async function authenticateCaller(
  caller: ReleaseCaller,
  service: ConsentService,
  declare: boolean,
  deferReplay = false,
): Promise<Authenticated> {
  switch (caller.kind) {
    case 'authenticated':
      return caller.authenticated;
    case 'consent':
      return grantOfConsent(caller.consent, service);
    case 'merchant':
      return merchantCaller(caller.merchant, caller.paymentConsentId);
    case 'request': {
      // resolve() = authenticate() + the declared purpose (400 purpose-required without one).
      const grant = declare
        ? await service.access.resolve(caller.request, { deferReplay })
        : await service.access.authenticate(caller.request, { deferReplay });
      return {
        grant,
        consent: null,
        pairwiseId: grant.subject ?? grant.customerId,
        ...(grant.purpose !== undefined ? { declaredPurpose: grant.purpose } : {}),
      };
    }
  }
}

export const authenticate: ReleaseStep = {
  name: 'authenticate',
  async run(state) {
    state.authenticated = await authenticateCaller(
      state.request.caller,
      state.deps.consent,
      state.request.purpose === undefined,
      true,
    );
  },
};
