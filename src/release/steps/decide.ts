// Step 3 — decide the purpose. Enforces: the purpose is one the consent names and never a
// forbidden one (advertising, marketing, profiling, resale, credit_decisioning); each data
// cluster released is one the consent and the purpose cover; a named account is one the
// consent covers; the consent is authorised and unexpired now. Cedar decides (src/policy)
// and names the rule; a denial is a 403 with a specific type (forbidden-purpose,
// purpose-not-consented, cluster-not-consented, account-not-consented, consent-expired…)
// and stops the release before the core is read, so nothing is logged.
// A merchant's release is decided by the same Cedar rules over its payment consent read as a
// consent: platform = the merchant that asked for the payment, purposes [checkout], cluster
// payments, the debtor account; principal = the merchant that calls. So a merchant hears only
// about its own payment (forbid-wrong-platform → 403 wrong-platform), only for checkout (a
// forbidden purpose is refused by its own rule), and only once the customer approved it.
import type { DataUse } from '../../access/index.ts';
import { denialProblem } from '../../consent/index.ts';
import { badRequest } from '../../http/index.ts';
import type { ConsentStatus, DecisionInput } from '../../policy/index.ts';
import type { MerchantClient, PaymentConsentFacts, ReleaseStep } from '../types.ts';

/**
 * A payment consent as Cedar's consent facts. Authorised and Consumed (executed) both mean the
 * customer approved it. Its expiry bounds only when the payment may be executed (the payment
 * service's state transition enforces that): a merchant may hear about its executed payment —
 * a confirmation, a refund — later, so a consumed consent carries no expiry here.
 */
function merchantDecisionInput(
  payment: PaymentConsentFacts,
  merchant: MerchantClient,
  purpose: string,
  use: DataUse,
  now = new Date(),
): DecisionInput {
  const approved = payment.status === 'Authorised' || payment.status === 'Consumed';
  const status: ConsentStatus = approved
    ? 'authorised'
    : payment.status === 'AwaitingAuthorisation'
      ? 'awaiting_authorisation'
      : 'rejected';
  return {
    consent: {
      id: payment.id,
      status,
      platform: payment.merchantId,
      customerId: payment.customerId ?? '',
      purposes: ['checkout'],
      clusters: ['payments'],
      accountIds: payment.debtorAccountId === null ? [] : [payment.debtorAccountId],
      expiresAt: payment.status === 'Consumed' ? new Date(8.64e15) : payment.expiresAt,
    },
    request: {
      platform: merchant.merchantId,
      customerId: payment.customerId ?? '',
      purpose,
      cluster: use.cluster,
      accountId: use.accountId,
      now,
    },
  };
}

export const decide: ReleaseStep = {
  name: 'decide',
  async run(state) {
    const { request, deps } = state;
    const authenticated = state.authenticated!;
    const purpose = request.purpose ?? authenticated.declaredPurpose;
    if (!purpose) throw badRequest('purpose-required', 'a release names the one purpose it serves');
    const uses: DataUse[] = request.clusters.map((cluster) => ({
      cluster,
      ...(request.accountId !== undefined ? { accountId: request.accountId } : {}),
    }));
    for (const use of uses) {
      if (authenticated.paymentConsent) {
        const decision = deps.consent.options.policy.decide(
          merchantDecisionInput(authenticated.paymentConsent, authenticated.merchant!, purpose, use),
        );
        if (!decision.allowed) throw denialProblem(decision);
      } else if (request.caller.kind === 'consent') {
        // The bank acts on a consent record it holds: the same Cedar rules, no token.
        const decision = deps.consent.decide(authenticated.consent!, { purpose, ...use });
        if (!decision.allowed) throw denialProblem(decision);
      } else {
        // The platform's token: the facts joined at authentication (and the last-used mark).
        await deps.consent.access.authorize(authenticated.grant, use, purpose);
      }
    }
    state.purpose = purpose;
  },
};
