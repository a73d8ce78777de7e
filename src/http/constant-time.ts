// The one constant-time comparison for secrets (tokens, CSRF values, API keys, password
// hashes). node:crypto's timingSafeEqual throws on unequal lengths and so leaks the length
// by its early return; comparing fixed-length HMAC digests first hides the length as well.
import { createHmac, timingSafeEqual } from 'node:crypto';

const COMPARE_KEY = 'proviso-constant-time';

/** True when a and b hold the same bytes; takes the same time whatever they hold. */
export function constantTimeEqual(a: string | Buffer, b: string | Buffer): boolean {
  const x = typeof a === 'string' ? Buffer.from(a) : a;
  const y = typeof b === 'string' ? Buffer.from(b) : b;
  const hx = createHmac('sha256', COMPARE_KEY).update(x).digest();
  const hy = createHmac('sha256', COMPARE_KEY).update(y).digest();
  return timingSafeEqual(hx, hy) && x.length === y.length;
}
