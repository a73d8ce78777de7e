// Per-bank secrets the authorization server needs on every instance alike: cookie signing
// keys and the pairwise-subject salt. Created once (first instance wins), stored sealed
// under the key-encryption key.
import { randomBytes } from 'node:crypto';
import type { KeyEncryptionKey } from '../keys/index.ts';
import type { Database } from '../storage/index.ts';

interface SecretTables {
  consent_secret: { bank_id: string; name: string; sealed: Uint8Array };
}

export async function bankSecret(
  database: Database,
  kek: KeyEncryptionKey,
  bankId: string,
  name: string,
): Promise<Buffer> {
  const db = database.tables<SecretTables>();
  const context = `consent-secret:${bankId}:${name}`;
  await db
    .insertInto('consent_secret')
    .values({ bank_id: bankId, name, sealed: kek.seal(randomBytes(32), context) })
    .onConflict((oc) => oc.columns(['bank_id', 'name']).doNothing())
    .execute();
  const row = await db
    .selectFrom('consent_secret')
    .select('sealed')
    .where('bank_id', '=', bankId)
    .where('name', '=', name)
    .executeTakeFirstOrThrow();
  return kek.open(row.sealed, context);
}
