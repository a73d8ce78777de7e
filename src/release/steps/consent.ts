// Step 2 — load the consent once. Enforces: a release sealed to a device rides on a consent
// record that is authorised, unexpired and still has its device key (403 consent-not-authorised,
// consent-expired, device-removed). Loaded at most once per request: a caller that already
// holds the record (a bank push, or a request authenticated earlier) is not read again; an
// Open Banking read, which seals nothing, needs no more than the consent facts the
// authenticate step joined with the token. A merchant's release rides on its payment consent,
// loaded here once (404 payment-consent when the bank has none by that id; 403
// payment-consent-not-authorised before the customer approved it): the customer, the account
// and the merchant's pairwise subject come from it; whether this merchant may hear about it is
// the decide step's (Cedar).
import type { ConsentRecord, ConsentService } from '../../consent/index.ts';
import { forbidden, notFound } from '../../http/index.ts';
import type { Authenticated, ReleaseState, ReleaseStep } from '../types.ts';

/** The consent behind an authenticated caller, checked live for talking to its device. */
export async function loadConsent(
  authenticated: Authenticated,
  service: ConsentService,
  now = new Date(),
): Promise<Authenticated> {
  const consent: ConsentRecord | null =
    authenticated.consent ?? (await service.store.get(authenticated.grant.grantId));
  if (consent?.status !== 'authorised')
    throw forbidden('consent-not-authorised', `the consent is ${consent?.status ?? 'unknown'}`);
  if (consent.expiresAt && consent.expiresAt <= now)
    throw forbidden('consent-expired', 'the consent has expired; the customer can reauthorise it');
  if (consent.deviceKeyRemovedAt)
    throw forbidden('device-removed', 'the customer removed the device this link seals to');
  return consent === authenticated.consent ? authenticated : { ...authenticated, consent };
}

/** The merchant's payment consent, loaded once, joined to the merchant caller's grant. */
async function loadPaymentConsent(state: ReleaseState, authenticated: Authenticated): Promise<Authenticated> {
  const { request, deps } = state;
  if (!deps.paymentConsents) throw new Error('the release path was built without payment consents');
  const payment = await deps.paymentConsents.get(request.bankId, authenticated.grant.grantId);
  if (!payment) throw notFound('payment-consent', 'no payment consent with this id at this bank');
  if (payment.customerId === null)
    throw forbidden('payment-consent-not-authorised', `the payment consent is ${payment.status}`);
  const pairwiseId = await deps.consent.pairwiseSubject(
    request.bankId,
    payment.merchantId,
    payment.customerId,
  );
  return {
    ...authenticated,
    grant: {
      ...authenticated.grant,
      bankId: request.bankId,
      customerId: payment.customerId,
      accountIds: payment.debtorAccountId === null ? [] : [payment.debtorAccountId],
      expiresAt: payment.expiresAt,
      subject: pairwiseId,
    },
    pairwiseId,
    paymentConsent: payment,
  };
}

export const consent: ReleaseStep = {
  name: 'consent',
  async run(state) {
    const authenticated = state.authenticated!;
    if (authenticated.merchant) {
      state.authenticated = await loadPaymentConsent(state, authenticated);
      return;
    }
    // Only a release to a device needs the record (its device key); an OB read does not.
    if (!state.request.seal && authenticated.consent === null) return;
    state.authenticated = await loadConsent(authenticated, state.deps.consent);
  },
};
