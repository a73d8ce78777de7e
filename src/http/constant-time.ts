// One constant-time comparison for secrets (CSRF tokens, webhook signatures, verify tokens).
// node:crypto's timingSafeEqual throws on inputs of different lengths, and checking the lengths
// first would reveal them; comparing fixed-length HMAC digests of both sides reveals neither.
import { createHmac, timingSafeEqual } from 'node:crypto';

export function constantTimeEqual(a: string | Buffer, b: string | Buffer): boolean {
  const x = typeof a === 'string' ? Buffer.from(a) : a;
  const y = typeof b === 'string' ? Buffer.from(b) : b;
  const hx = createHmac('sha256', 'proviso-ct').update(x).digest();
  const hy = createHmac('sha256', 'proviso-ct').update(y).digest();
  return timingSafeEqual(hx, hy) && x.length === y.length;
}
