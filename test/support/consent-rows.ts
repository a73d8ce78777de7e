// Authorised consent rows written straight into the consent table, for tests that drive
// `audit.record` releases without linking through the authorization server. A release is
// logged only under a consent that still holds (src/consent/release-guard.ts).
import { sql } from 'kysely';
import type { Database } from '../../src/storage/index.ts';

export async function insertAuthorisedConsents(
  database: Database,
  bankId: string,
  consents: readonly { id: string; customerId: string }[],
): Promise<void> {
  for (const consent of consents) {
    await sql`
      insert into consent (id, bank_id, client_id, customer_id, purposes, clusters, duration_days, device_key, status, authorised_at)
      values (${consent.id}, ${bankId}, 'test-platform', ${consent.customerId}, array['balance_inquiry'], array['balances'],
              90, 'test-device-key', 'authorised', now())
      on conflict (id) do nothing`.execute(database.tables());
  }
}
