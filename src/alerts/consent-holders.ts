// Which customers may hold a consent for a purpose, asked inside a transaction that books
// transactions or commits alerts: a pre-filter, so that the pushes nobody asked for (nearly
// all of them) cost that transaction one statement and the outbox nothing. The decision that
// lets a push out is still Cedar's, in the release (expiry, accounts, the policy's other rules).
import { type Kysely, sql } from 'kysely';

/** Customers among `customerIds` with an authorised consent naming `purpose`, device still there. */
export async function customersHolding(
  trx: Kysely<unknown>,
  bankId: string,
  purpose: string,
  customerIds: readonly string[],
): Promise<Set<string>> {
  if (customerIds.length === 0) return new Set();
  const { rows } = await sql<{ customer_id: string }>`
    select distinct customer_id from consent
     where bank_id = ${bankId} and status = 'authorised' and device_key_removed_at is null
       and ${purpose} = any(purposes) and customer_id = any(${[...customerIds]}::text[])`.execute(trx);
  return new Set(rows.map((r) => r.customer_id));
}
