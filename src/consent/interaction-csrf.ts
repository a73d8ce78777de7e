// The CSRF token of a linking request's forms: HMAC-SHA-256 of the interaction id under the
// bank's cookie secret, so every instance derives the same token without storing it.
import { createHmac } from 'node:crypto';
import { constantTimeEqual, forbidden } from '../http/index.ts';
import type { ConsentService } from './service.ts';

export async function interactionCsrf(consent: ConsentService, bankId: string, uid: string): Promise<string> {
  return createHmac('sha256', await consent.secret(bankId, 'cookie'))
    .update(`csrf:${uid}`)
    .digest('base64url');
}

/** Refuses a form whose token is not this interaction's; answers the expected token. */
export async function checkInteractionCsrf(
  consent: ConsentService,
  bankId: string,
  uid: string,
  csrf: string,
): Promise<string> {
  const expected = await interactionCsrf(consent, bankId, uid);
  if (!constantTimeEqual(csrf, expected)) throw forbidden('csrf', 'the form has expired; reload the page');
  return expected;
}
