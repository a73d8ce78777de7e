// What every screen at the bank shares: the HTML answer with its content security policy,
// an account's label, the login error in plain words, and the bank check of bank-scoped routes.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Account } from '../bank/index.ts';
import { notFound } from '../http/index.ts';
import { maskIdentification } from '../policy/index.ts';
import type { ConsentService } from './service.ts';

/** Sends a page. It carries no script, except access history (one same-origin file, fetches of the log). */
export function sendHtml(
  reply: FastifyReply,
  body: string,
  status = 200,
  formTargets: string[] = [],
  scripts = false,
): FastifyReply {
  const script = scripts ? "script-src 'self'; connect-src 'self'; " : '';
  const csp = `default-src 'none'; ${script}style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self' ${formTargets.join(' ')}; frame-ancestors 'none'; base-uri 'none'`;
  return reply
    .code(status)
    .header('content-security-policy', csp)
    .header('cache-control', 'no-store')
    .type('text/html; charset=utf-8')
    .send(body);
}

export function accountLabel(a: Account): string {
  const kind =
    a.kind === 'current' ? 'Current account' : a.kind === 'savings' ? 'Savings account' : 'Credit card';
  return `${a.nickname} — ${kind}, ${a.currency}, ending ${String(maskIdentification(a.identification)).slice(-4)}`;
}

export function loginError(result: { ok: false; reason: string }): string {
  return result.reason === 'throttled'
    ? 'Too many failed attempts. For your security, logging in is paused for this username; try again in 15 minutes.'
    : 'The username, password or one-time code is not right. Check them and try again.';
}

export function requireBank(consent: ConsentService, bankId: string): void {
  if (!consent.options.banks.has(bankId)) throw notFound('bank', `no bank '${bankId}' is served here`);
}

/**
 * A preHandler for the routes under /banks/:bankId: an unknown bank is a 404 problem, after
 * the request's schema is checked and before any other work.
 */
export function bankServed(consent: ConsentService) {
  return async (request: FastifyRequest): Promise<void> => {
    requireBank(consent, (request.params as { bankId: string }).bankId);
  };
}
