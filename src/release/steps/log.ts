// Step 6 — log. Enforces "no entry, no release": the release's transparency-log entry and its
// audit row commit in one batch transaction (AuditTrail.record), which also re-checks that
// the consent still holds; only then may a byte leave. Fields the caller or the authenticate
// step attached (a DPoP `replay` record to commit in the same transaction) are handed to
// the audit trail as they are. Errors: 403 consent-ended, 503 log-not-cosigned,
// 503 audit-unavailable (releaseWithheld).
import type { AuditEvent } from '../../audit/index.ts';
import { releaseWithheld } from '../errors.ts';
import type { ReleaseStep } from '../types.ts';

export const log: ReleaseStep = {
  name: 'log',
  async run(state) {
    const { request, deps } = state;
    const { grant, consent, pairwiseId } = state.authenticated!;
    const event: AuditEvent = {
      bankId: request.bankId,
      customerId: grant.customerId,
      pairwiseId,
      consentId: consent?.id ?? grant.grantId,
      platform: consent?.clientId ?? grant.platform ?? 'bank-internal',
      kind: request.kind,
      purpose: state.purpose ?? null,
      clusters: request.clusters,
      released: state.bytes ?? null,
    };
    const forwarded = {
      ...(grant.replay !== undefined ? { replay: grant.replay } : {}),
      ...request.log,
    };
    try {
      state.logIndex = await deps.audit.record(Object.assign(event, forwarded));
    } catch (error) {
      throw releaseWithheld(error);
    }
  },
};
