// The consent side of "a revocation holds from the next request on, everywhere, and stops a
// release already in flight": the audit trail asks this, inside the transaction that logs a
// batch of releases, which of their consents still hold. One statement for the whole batch.
// It reads the consent table directly (not the cached record) because only the database
// row, read in that transaction, is the truth every instance shares.
import type { Kysely } from 'kysely';

interface ConsentRow {
  consent: {
    id: string;
    status: string;
    expires_at: Date | null;
    device_key_removed_at: Date | null;
  };
}

/** Ids among `consentIds` that are authorised, unexpired at `at`, and whose device is still there. */
export async function consentsStillAuthorised(
  trx: unknown,
  consentIds: readonly string[],
  at: Date,
): Promise<ReadonlySet<string>> {
  if (consentIds.length === 0) return new Set();
  const rows = await (trx as Kysely<ConsentRow>)
    .selectFrom('consent')
    .select('id')
    .where('id', 'in', [...consentIds])
    .where('status', '=', 'authorised')
    .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', at)]))
    .where('device_key_removed_at', 'is', null)
    .execute();
  return new Set(rows.map((row) => row.id));
}
