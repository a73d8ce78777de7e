// `proviso otp`: the current one-time code of a demo customer, and how long the bank accepts it.
import { demoTotpSecret, totpFor } from '../consent/index.ts';

const PERIOD_SECONDS = 30;
/** The bank accepts the code of the current 30 s step and of the one next to it (window 1). */
const ACCEPTED_STEPS_AFTER = 1;

export interface OneTimeCode {
  code: string;
  /** Seconds the bank still accepts this code (it works once). */
  validForSeconds: number;
}

export function demoOneTimeCode(bankId: string, username: string, now = Date.now()): OneTimeCode {
  const code = totpFor(demoTotpSecret(bankId, username)).generate({ timestamp: now });
  const stepEnd = (Math.floor(now / 1000 / PERIOD_SECONDS) + 1) * PERIOD_SECONDS;
  const acceptedUntil = stepEnd + ACCEPTED_STEPS_AFTER * PERIOD_SECONDS;
  return { code, validForSeconds: Math.floor(acceptedUntil - now / 1000) };
}

/** The hint printed beside a code: how long it lasts and how to get the next one. */
export const FRESH_CODE_HINT = 'a fresh one: npm run proviso -- otp';
