// Step 1 — authenticate. Enforces: a platform's request carries a DPoP-bound access token and
// a proof for this very request (RFC 9449), checked by the consent layer's DpopConsentAccess
// (token join, proof signature, htm/htu, jti replay, key binding); a bank-initiated push
// names a consent the bank holds. Errors: 401 dpop-required / invalid-token / expired-token /
// dpop-proof-* / dpop-key-mismatch (from the consent layer), 400 purpose-required when an
// HTTP caller that must declare a purpose did not.
import type { AccessGrant } from '../../access/index.ts';
import type { ConsentRecord, ConsentService } from '../../consent/index.ts';
import type { Authenticated, ReleaseCaller, ReleaseStep } from '../types.ts';

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

/** Runs the check for a caller; `declare` asks the request to name its purpose in the header. */
export async function authenticateCaller(
  caller: ReleaseCaller,
  service: ConsentService,
  declare: boolean,
): Promise<Authenticated> {
  switch (caller.kind) {
    case 'authenticated':
      return caller.authenticated;
    case 'consent':
      return grantOfConsent(caller.consent, service);
    case 'request': {
      // resolve() = authenticate() + the declared purpose (400 purpose-required without one).
      const grant = declare
        ? await service.access.resolve(caller.request)
        : await service.access.authenticate(caller.request);
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
    );
  },
};
