// Step 4 — read the core. Enforces: the core is read only after the decision allowed the
// release, under the consent's accounts (the read sees `accountIds`, never more). The read
// itself is the caller's (which records it needs); its own errors (an account outside the
// consent: 403 account-not-permitted, a bad cursor: 400 bad-cursor) are the caller's to name.
import type { ReleaseStep } from '../types.ts';

export const read: ReleaseStep = {
  name: 'read',
  async run(state) {
    const { request, deps } = state;
    const { grant } = state.authenticated!;
    state.read = await request.read({
      bankId: request.bankId,
      core: deps.core(request.bankId),
      grant,
      purpose: state.purpose!,
      accountIds: grant.accountIds,
    });
  },
};
