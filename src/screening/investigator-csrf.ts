// The investigator page's CSRF token. HTTP Basic credentials are resent by the browser on any
// request to the site, so a form post needs proof that it came from the page: an HMAC under
// the bank's staff key over the bank id and an 8-hour window (the page is valid 8 to 16 hours).
import { createHmac } from 'node:crypto';
import { constantTimeEqual } from '../http/index.ts';

/** The page's CSRF token: HMAC under the staff key of the bank and an 8-hour window. */
export function csrfToken(staffKey: string, bankId: string, window: number): string {
  return createHmac('sha256', staffKey)
    .update(`proviso-investigator-csrf\0${bankId}\0${window}`)
    .digest('base64url');
}

/** Constant-time comparison of two tokens. */
export function sameToken(a: string, b: string): boolean {
  return constantTimeEqual(a, b);
}
