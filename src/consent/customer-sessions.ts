// The customer's session at the bank (connected apps, access history, and the login of a
// linking request): a random 256-bit cookie, stored only as its SHA-256 digest, with the
// session's CSRF token beside it. Expires after 15 minutes.
import { createHash, randomBytes } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { sql } from 'kysely';
import { constantTimeEqual, forbidden, Problem } from '../http/index.ts';
import type { Database } from '../storage/index.ts';

export const SESSION_TTL_MS = 15 * 60_000;

interface SessionTables {
  consent_customer_session: {
    digest: Uint8Array;
    bank_id: string;
    customer_id: string;
    csrf: string;
    created_at: Date;
    expires_at: Date;
  };
}

export interface CustomerSession {
  digest: Uint8Array;
  bank_id: string;
  customer_id: string;
  csrf: string;
  created_at: Date;
  expires_at: Date;
}

function sessionCookie(bankId: string): string {
  return `proviso_bank_${bankId}`;
}

/**
 * A cookie's value, or undefined when absent or not decodable: a malformed cookie is the
 * client's (or another site's) doing and reads as no cookie, never as an error.
 */
export function readCookie(request: FastifyRequest, name: string): string | undefined {
  const raw = request.headers.cookie;
  if (!raw) return undefined;
  for (const part of raw.split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k !== name) continue;
    try {
      return decodeURIComponent(v.join('='));
    } catch {
      return undefined;
    }
  }
  return undefined;
}

export class CustomerSessions {
  readonly #tables;
  readonly #secure: () => boolean;

  constructor(database: Database, secure: () => boolean) {
    this.#tables = database.tables<SessionTables>();
    this.#secure = secure;
  }

  /** Starts a session and sets its cookie on the reply. */
  async start(reply: FastifyReply, bankId: string, customerId: string): Promise<void> {
    const id = randomBytes(32).toString('base64url');
    await this.#tables
      .insertInto('consent_customer_session')
      .values({
        digest: createHash('sha256').update(id).digest(),
        bank_id: bankId,
        customer_id: customerId,
        csrf: randomBytes(24).toString('base64url'),
        expires_at: new Date(Date.now() + SESSION_TTL_MS),
      } as never)
      .execute();
    reply.header(
      'set-cookie',
      `${sessionCookie(bankId)}=${id}; Path=/banks/${bankId}/; HttpOnly; SameSite=Lax; Max-Age=${SESSION_TTL_MS / 1000}${this.#secure() ? '; Secure' : ''}`,
    );
  }

  /** The request's live session at this bank, or null. */
  async find(request: FastifyRequest, bankId: string): Promise<CustomerSession | null> {
    const id = readCookie(request, sessionCookie(bankId));
    if (!id || id.length > 64) return null;
    const row = await this.#tables
      .selectFrom('consent_customer_session')
      .selectAll()
      .where('digest', '=', createHash('sha256').update(id).digest())
      .where('bank_id', '=', bankId)
      .where('expires_at', '>', sql<Date>`now()`)
      .executeTakeFirst();
    return row ?? null;
  }

  /** The request's live session, or a 401 problem; with a form's token, that token checked too. */
  async require(request: FastifyRequest, bankId: string, csrf?: string): Promise<CustomerSession> {
    const session = await this.find(request, bankId);
    if (!session)
      throw new Problem(401, 'not-logged-in', 'Not logged in', 'log in to the connected-apps page first');
    if (csrf !== undefined && !constantTimeEqual(csrf, session.csrf))
      throw forbidden('csrf', 'the form has expired; reload the page');
    return session;
  }

  /** Ends a session and clears its cookie on the reply. */
  async end(reply: FastifyReply, session: CustomerSession): Promise<void> {
    await this.#tables.deleteFrom('consent_customer_session').where('digest', '=', session.digest).execute();
    reply.header(
      'set-cookie',
      `${sessionCookie(session.bank_id)}=; Path=/banks/${session.bank_id}/; HttpOnly; SameSite=Lax; Max-Age=0`,
    );
  }
}
