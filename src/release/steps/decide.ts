// Step 3 — decide the purpose. Enforces: the purpose is one the consent names and never a
// forbidden one (advertising, marketing, profiling, resale, credit_decisioning); each data
// cluster released is one the consent and the purpose cover; a named account is one the
// consent covers; the consent is authorised and unexpired now. Cedar decides (src/policy)
// and names the rule; a denial is a 403 with a specific type (forbidden-purpose,
// purpose-not-consented, cluster-not-consented, account-not-consented, consent-expired…)
// and stops the release before the core is read, so nothing is logged.
import type { DataUse } from '../../access/index.ts';
import { denialProblem } from '../../consent/index.ts';
import { badRequest } from '../../http/index.ts';
import type { ReleaseStep } from '../types.ts';

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
      if (request.caller.kind === 'consent') {
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
