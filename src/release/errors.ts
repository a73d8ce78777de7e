// What a caller hears when the log step could not record a release: nothing was released.
import { ConsentEndedError, LogNotCosignedError } from '../audit/index.ts';
import { Problem } from '../http/index.ts';

/** The problem for a release the transparency log did not take (so nothing left the bank). */
export function releaseWithheld(error: unknown): Problem {
  if (error instanceof Problem) return error;
  if (error instanceof ConsentEndedError) {
    return new Problem(
      403,
      'consent-ended',
      'Consent ended',
      'the consent ended (revoked, expired or its device removed) while this request was served, so nothing was released',
      { cause: error },
    );
  }
  if (error instanceof LogNotCosignedError) {
    return new Problem(
      503,
      'log-not-cosigned',
      'Transparency log not cosigned',
      'independent witnesses have not cosigned the bank log for too long, so no data is released until they do; try later',
      { headers: { 'retry-after': '60' }, cause: error },
    );
  }
  return new Problem(
    503,
    'audit-unavailable',
    'Audit log unavailable',
    'the access could not be recorded, so no data was released; try again',
    { cause: error },
  );
}
