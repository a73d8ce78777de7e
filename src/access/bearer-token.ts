// Foundation-era access: an opaque random token bound to one customer, stored only as its
// SHA-256 digest (a database leak reveals no usable token). Looked up by digest, which is
// an exact-match index probe and so leaks no timing about the token's bytes.
import { createHash, randomBytes } from 'node:crypto';
import { unauthorized } from '../http/index.ts';
import type { Database } from '../storage/index.ts';
import type { AccessGrant, AccessRequest, AccessResolver } from './grant.ts';
import { DATA_CLUSTERS, PURPOSES } from './vocabulary.ts';

interface TokenTables {
  access_token: {
    token_digest: Uint8Array;
    bank_id: string;
    customer_id: string;
    account_ids: string[] | null;
    purposes: string[];
    expires_at: Date;
  };
}

const PREFIX = 'pvt_';

function digest(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}

export class BearerTokenAccess implements AccessResolver {
  readonly #db;
  constructor(database: Database) {
    this.#db = database.tables<TokenTables>();
  }

  async issue(
    bankId: string,
    customerId: string,
    ttlSeconds = 24 * 3600,
  ): Promise<{ token: string; expiresAt: Date }> {
    const token = PREFIX + randomBytes(32).toString('base64url');
    const expiresAt = new Date(Date.now() + ttlSeconds * 1000);
    await this.#db
      .insertInto('access_token')
      .values({
        token_digest: digest(token),
        bank_id: bankId,
        customer_id: customerId,
        account_ids: null,
        purposes: [...PURPOSES],
        expires_at: expiresAt,
      })
      .execute();
    return { token, expiresAt };
  }

  /** Internal access is not purpose-bound: every use of the customer's own accounts is allowed. */
  async authorize(): Promise<void> {}

  async resolve(request: AccessRequest): Promise<AccessGrant> {
    const header = request.headers['authorization'];
    if (typeof header !== 'string' || !header.startsWith('Bearer ')) {
      throw unauthorized('missing-token', 'send an access token as "Authorization: Bearer <token>"');
    }
    const token = header.slice(7).trim();
    if (!token.startsWith(PREFIX) || token.length > 128) {
      throw unauthorized('invalid-token', 'the access token is not valid', 'Bearer error="invalid_token"');
    }
    const row = await this.#db
      .selectFrom('access_token')
      .selectAll()
      .where('token_digest', '=', digest(token))
      .executeTakeFirst();
    if (!row || row.bank_id !== request.bankId) {
      throw unauthorized(
        'invalid-token',
        'the access token is not valid for this bank',
        'Bearer error="invalid_token"',
      );
    }
    if (row.expires_at.getTime() <= Date.now()) {
      throw unauthorized('expired-token', 'the access token has expired', 'Bearer error="invalid_token"');
    }
    return {
      grantId: `token:${digest(token).subarray(0, 8).toString('hex')}`,
      bankId: row.bank_id,
      customerId: row.customer_id,
      accountIds: row.account_ids,
      purposes: PURPOSES,
      clusters: DATA_CLUSTERS,
      expiresAt: row.expires_at,
      platform: null,
    };
  }
}
