// The dashboard login form is bound to a pre-session: a random 256-bit cookie set with the
// form, the form's CSRF token the HMAC-SHA-256 of it under the bank's cookie secret,
// compared in constant time. Each browser has its own token; a failed attempt starts a new
// pre-session (a new token), a successful login ends it. A token made for another
// browser's pre-session (a cross-site login form) is refused.
import { createHmac, randomBytes } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { constantTimeEqual, forbidden } from '../http/index.ts';

const PRE_SESSION = /^[A-Za-z0-9_-]{43}$/;

export interface LoginPreSessionOptions {
  /** The bank's cookie secret. */
  secret(bankId: string): Promise<Uint8Array | Buffer | string>;
  /** Whether cookies get the Secure attribute (an https public URL). */
  secure(): boolean;
  maxAgeSeconds: number;
  /** Reads a cookie; undefined when absent or malformed. */
  readCookie(request: FastifyRequest, name: string): string | undefined;
}

export class LoginPreSession {
  readonly #o: LoginPreSessionOptions;
  constructor(options: LoginPreSessionOptions) {
    this.#o = options;
  }

  static cookieName(bankId: string): string {
    return `proviso_pre_${bankId}`;
  }

  /** The form's token: the browser's pre-session kept, or a new one (always when rotating). */
  async token(
    request: FastifyRequest,
    reply: FastifyReply,
    bankId: string,
    rotate: boolean,
  ): Promise<string> {
    let pre = rotate ? undefined : this.#current(request, bankId);
    if (pre === undefined) {
      pre = randomBytes(32).toString('base64url');
      this.#set(reply, bankId, pre, this.#o.maxAgeSeconds);
    }
    return this.#tokenFor(bankId, pre);
  }

  /** Refuses (403 csrf) a token that is not the one of this browser's pre-session. */
  async check(request: FastifyRequest, bankId: string, presented: string): Promise<void> {
    const pre = this.#current(request, bankId);
    const expected = pre === undefined ? undefined : await this.#tokenFor(bankId, pre);
    if (expected === undefined || !sameText(presented, expected))
      throw forbidden('csrf', 'the form has expired; reload the page');
  }

  /** Ends the pre-session (after a successful login). */
  end(reply: FastifyReply, bankId: string): void {
    this.#set(reply, bankId, '', 0);
  }

  #current(request: FastifyRequest, bankId: string): string | undefined {
    const pre = this.#o.readCookie(request, LoginPreSession.cookieName(bankId));
    return pre !== undefined && PRE_SESSION.test(pre) ? pre : undefined;
  }

  async #tokenFor(bankId: string, pre: string): Promise<string> {
    return createHmac('sha256', await this.#o.secret(bankId))
      .update(`login-csrf:${pre}`)
      .digest('base64url');
  }

  #set(reply: FastifyReply, bankId: string, value: string, maxAge: number): void {
    reply.header(
      'set-cookie',
      `${LoginPreSession.cookieName(bankId)}=${value}; Path=/banks/${bankId}/; HttpOnly; SameSite=Lax; Max-Age=${maxAge}${this.#o.secure() ? '; Secure' : ''}`,
    );
  }
}

/** Constant-time equality of two texts (over their SHA-256, so any lengths). */
function sameText(a: string, b: string): boolean {
  return constantTimeEqual(a, b);
}
