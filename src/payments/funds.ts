// The funds attestation (purpose checkout): "can this customer pay 42.00 GBP now?" answered
// with a signed yes/no through the platform's link consent — never a balance, never a
// shortfall. One release function: budget, decision, log, sign.
import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import { forbidden, Problem } from '../http/index.ts';
import type { Authenticated, ReleasePath } from '../release/index.ts';
import { FUNDS_ATTESTATION_TYP } from './confirmation.ts';
import { fundsAvailable, gridOffset, PROBES_PER_DAY, toMinor } from './funds-threshold.ts';
import type { PaymentService } from './service.ts';

export const ATTESTATION_TTL_S = 120;

export interface FundsAttestation {
  attestation: string;
  fundsAvailable: boolean;
  expiresAt: string;
  logIndex: number;
  probesLeft: number;
}

/** Available funds in minor units (booked + credit line − pending), the figure `balances` gives. */
async function availableMinor(service: PaymentService, bankId: string, accountId: string): Promise<number> {
  const balances = await service.options.core(bankId).balances(accountId);
  const available = balances.find((b) => b.type === 'InterimAvailable');
  if (!available) return 0;
  const minor = toMinor(available.amount);
  return available.creditDebit === 'Debit' ? -minor : minor;
}

/**
 * The funds answer through the release path (src/release): the caller authenticated already
 * (token, DPoP, live consent); Cedar decides purpose checkout over the payments cluster; the
 * read spends one probe of the day's budget and compares on the coarse grid; the log commits to
 * the exact yes/no released; the bank signs it as a short-lived attestation.
 */
export async function releaseFundsAnswer(
  service: PaymentService,
  release: ReleasePath,
  authenticated: Authenticated,
  amount: string,
  currency: string,
): Promise<FundsAttestation> {
  const grant = authenticated.grant;
  const bankId = grant.bankId;
  const subject = authenticated.pairwiseId;
  const now = Math.floor(Date.now() / 1000);
  const released = await release.release<{ yes: boolean; probesLeft: number }>({
    bankId,
    caller: { kind: 'authenticated', authenticated },
    purpose: 'checkout',
    clusters: ['payments'],
    kind: 'payment.funds-check',
    async read({ core, accountIds }) {
      if (await service.store.linkStopped(bankId, grant.grantId))
        throw forbidden('checkout-stopped', 'the customer stopped payments through this link at the bank');
      const probesLeft = await service.store.useProbe(bankId, grant.grantId, PROBES_PER_DAY);
      if (probesLeft === null)
        throw new Problem(
          429,
          'funds-check-budget-exhausted',
          'Too many funds checks',
          `at most ${PROBES_PER_DAY} funds checks per link per day; try the payment itself`,
          { headers: { 'retry-after': String(secondsToMidnight()) } },
        );
      const offset = gridOffset(await service.options.consent.secret(bankId, 'funds-grid'), grant.grantId);
      const accounts = (await core.accounts(grant.customerId)).filter(
        (a) =>
          (accountIds === null || accountIds.includes(a.id)) &&
          a.currency === currency &&
          a.kind !== 'savings',
      );
      let yes = false;
      for (const account of accounts)
        if (fundsAvailable(await availableMinor(service, bankId, account.id), toMinor(amount), offset)) {
          yes = true;
          break;
        }
      return { records: {}, extra: { yes, probesLeft } };
    },
    answer: (_projected, extra) => ({ amount, currency, funds_available: extra.yes, sub: subject, iat: now }),
  });
  const yes = released.payload?.['funds_available'] === true;
  const signer = await service.signer(bankId);
  const attestation = await new SignJWT({
    amount,
    currency,
    funds_available: yes,
    log_index: released.logIndex,
  })
    .setProtectedHeader({ alg: 'ES256', kid: signer.kid, typ: FUNDS_ATTESTATION_TYP })
    .setIssuer(service.options.consent.issuer(bankId))
    .setSubject(subject)
    .setAudience(grant.platform ?? '')
    .setIssuedAt(now)
    .setExpirationTime(now + ATTESTATION_TTL_S)
    .setJti(randomUUID())
    .sign(signer.key);
  const probesLeft = await service.store.probesLeft(bankId, grant.grantId, PROBES_PER_DAY);
  return {
    attestation,
    fundsAvailable: yes,
    expiresAt: new Date((now + ATTESTATION_TTL_S) * 1000).toISOString(),
    logIndex: released.logIndex,
    probesLeft,
  };
}

function secondsToMidnight(now = new Date()): number {
  const midnight = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1);
  return Math.ceil((midnight - now.getTime()) / 1000);
}
