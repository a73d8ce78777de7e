// Why a funds answer cannot be binary-searched into a balance. The bank answers "yes" only if
// the available funds reach the amount rounded UP to a geometric grid of ratio GRID_RATIO whose
// offset is a secret per link consent. Whatever amounts an attacker asks, every answer is
// "balance ≥ g" for some grid point g, so all it can ever learn is the band [g, g·GRID_RATIO)
// the balance lies in. Pinning a balance x within ±10 % means an interval [0.9x, 1.1x], of
// ratio 1.1/0.9 ≈ 1.222; a band of ratio 1.25 never fits inside one, so no budget of probes
// pins a balance that finely. The daily budget bounds how fast a changing balance is followed.
// A "yes" is always true (the grid rounds up); a "no" means only "not confirmed".
import { createHmac } from 'node:crypto';

export const GRID_RATIO = 1.25;
export const PROBES_PER_DAY = 5;

/** The consent's secret grid offset in [0, 1): a fraction of one grid step (log scale). */
export function gridOffset(secret: Buffer, linkConsentId: string): number {
  const h = createHmac('sha256', secret).update(`funds-grid\0${linkConsentId}`).digest();
  return h.readUInt32BE(0) / 2 ** 32;
}

/** The smallest grid point ≥ amount (in minor units, so the comparison is exact). */
export function gridThreshold(amountMinor: number, offset: number): number {
  if (amountMinor <= 0) return 0;
  const step = Math.log(GRID_RATIO);
  const k = Math.ceil(Math.log(amountMinor) / step - offset - 1e-12);
  return Math.ceil(Math.exp((k + offset) * step));
}

/** The attested answer: yes iff the available funds reach the grid point above the amount. */
export function fundsAvailable(availableMinor: number, amountMinor: number, offset: number): boolean {
  return availableMinor >= gridThreshold(amountMinor, offset);
}

/** "42.00" → 4200 (the API takes at most two decimals). */
export function toMinor(amount: string): number {
  const [whole, fraction = ''] = amount.split('.');
  return Number(whole) * 100 + Number(fraction.padEnd(2, '0').slice(0, 2));
}
