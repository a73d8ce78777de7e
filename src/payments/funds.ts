// The funds attestation (purpose checkout): "can this customer pay 42.00 GBP now?" answered
// with a signed yes/no through the platform's link consent — never a balance, never a
// shortfall. One release function: budget, decision, log, sign.
import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import type { AccessGrant, AccessResolver } from '../access/index.ts';
import { forbidden, Problem } from '../http/index.ts';
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

export async function releaseFundsAnswer(
  service: PaymentService,
  access: AccessResolver,
  grant: AccessGrant,
  amount: string,
  currency: string,
): Promise<FundsAttestation> {
  const bankId = grant.bankId;
  if (grant.purpose !== 'checkout')
    throw forbidden('purpose-not-checkout', 'a funds attestation is asked under the purpose checkout');
  // Cedar decides per account (checkout may use the payments cluster only).
  const covered =
    grant.accountIds ?? (await service.options.core(bankId).accounts(grant.customerId)).map((a) => a.id);
  const accounts: string[] = [];
  let refusal: unknown = forbidden('account-not-consented', 'this link covers no account');
  for (const accountId of covered) {
    try {
      await access.authorize(grant, { cluster: 'payments', accountId });
      accounts.push(accountId);
    } catch (error) {
      if (!(error instanceof Problem) || error.status !== 403) throw error;
      refusal = error;
    }
  }
  if (accounts.length === 0) throw refusal;
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
  const core = service.options.core(bankId);
  const offset = gridOffset(await service.options.consent.secret(bankId, 'funds-grid'), grant.grantId);
  let yes = false;
  for (const accountId of accounts) {
    const account = await core.account(accountId);
    if (!account || account.currency !== currency || account.kind === 'savings') continue;
    if (fundsAvailable(await availableMinor(service, bankId, accountId), toMinor(amount), offset)) {
      yes = true;
      break;
    }
  }
  const subject = grant.subject ?? '';
  const now = Math.floor(Date.now() / 1000);
  const released = { amount, currency, funds_available: yes, sub: subject, iat: now };
  const logIndex = await service.options.audit.record({
    bankId,
    customerId: grant.customerId,
    pairwiseId: subject,
    consentId: grant.grantId,
    platform: grant.platform ?? '',
    kind: 'payment.funds-check',
    purpose: 'checkout',
    clusters: ['payments'],
    released: Buffer.from(JSON.stringify(released)),
  });
  const signer = await service.signer(bankId);
  const attestation = await new SignJWT({ amount, currency, funds_available: yes, log_index: logIndex })
    .setProtectedHeader({ alg: 'ES256', kid: signer.kid, typ: FUNDS_ATTESTATION_TYP })
    .setIssuer(service.options.consent.issuer(bankId))
    .setSubject(subject)
    .setAudience(grant.platform ?? '')
    .setIssuedAt(now)
    .setExpirationTime(now + ATTESTATION_TTL_S)
    .setJti(randomUUID())
    .sign(signer.key);
  return {
    attestation,
    fundsAvailable: yes,
    expiresAt: new Date((now + ATTESTATION_TTL_S) * 1000).toISOString(),
    logIndex,
    probesLeft,
  };
}

function secondsToMidnight(now = new Date()): number {
  const midnight = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1);
  return Math.ceil((midnight - now.getTime()) / 1000);
}
