// Step 2 — load the consent once. Enforces: a release sealed to a device rides on a consent
// record that is authorised, unexpired and still has its device key (403 consent-not-authorised,
// consent-expired, device-removed). Loaded at most once per request: a caller that already
// holds the record (a bank push, or a request authenticated earlier) is not read again; an
// Open Banking read, which seals nothing, needs no more than the consent facts the
// authenticate step joined with the token.
import type { ConsentRecord, ConsentService } from '../../consent/index.ts';
import { forbidden } from '../../http/index.ts';
import type { Authenticated, ReleaseStep } from '../types.ts';

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

export const consent: ReleaseStep = {
  name: 'consent',
  async run(state) {
    const authenticated = state.authenticated!;
    // Only a release to a device needs the record (its device key); an OB read does not.
    if (!state.request.seal && authenticated.consent === null) return;
    state.authenticated = await loadConsent(authenticated, state.deps.consent);
  },
};
