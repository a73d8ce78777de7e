// The error layer of the authorization server and the bank pages: what a client sends
// that oidc-provider or a store would choke on is refused here as the client's mistake, in
// the format the endpoint speaks (RFC 6749 errors on OAuth endpoints, the bank's error page
// to a browser, a problem document to any other client).
import type { FastifyReply, FastifyRequest } from 'fastify';
import { htmlErrorPage } from './screens.ts';
import type { ConsentService } from './service.ts';

// C0 controls but tab, line feed and carriage return (a JSON parameter may be pretty-printed).
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const OAUTH_CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;

function badText(text: string): boolean {
  return OAUTH_CONTROL.test(text) || !text.isWellFormed();
}

/** The first OAuth parameter (query or form body) holding text no client may send, or null. */
export function badOAuthParameter(
  url: string,
  contentType: string | undefined,
  body: unknown,
): string | null {
  const query = url.indexOf('?');
  const lists: [string, URLSearchParams][] = [];
  if (query >= 0) lists.push(['query parameter', new URLSearchParams(url.slice(query + 1))]);
  if (Buffer.isBuffer(body) && (contentType ?? '').startsWith('application/x-www-form-urlencoded'))
    lists.push(['form parameter', new URLSearchParams(body.toString('utf8'))]);
  for (const [kind, params] of lists) {
    for (const [key, value] of params) {
      if (badText(key)) return `a ${kind} name`;
      if (badText(value)) return `the ${kind} ${key.slice(0, 40)}`;
    }
  }
  if (Buffer.isBuffer(body) && (contentType ?? '').startsWith('application/json')) {
    const text = body.toString('utf8');
    if (text.includes('\\u0000') || badText(text)) return 'the JSON body';
  }
  return null;
}

/** A browser (or any client that takes anything) gets pages; a client asking for JSON, problems. */
export function wantsHtml(request: FastifyRequest): boolean {
  const accept = request.headers.accept ?? '';
  return accept === '' || accept.includes('text/html') || accept.includes('*/*');
}

export function sendHtmlError(reply: FastifyReply, bankName: string, error: string, description: string) {
  return reply
    .code(400)
    .header('cache-control', 'no-store')
    .header(
      'content-security-policy',
      "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
    )
    .type('text/html; charset=utf-8')
    .send(htmlErrorPage(bankName, error, description));
}

const oauthHooked = new WeakSet<object>();

/**
 * Whatever the authorization server answers with a 4xx that is neither its own error format
 * nor its HTML error page (an unknown endpoint or method: Koa's plain "Not Found") becomes
 * an RFC 6749 error, so every OAuth endpoint speaks one error format. Installed once.
 */
export function answerOAuthErrorsAsOAuth(provider: Awaited<ReturnType<ConsentService['provider']>>): void {
  if (oauthHooked.has(provider)) return;
  oauthHooked.add(provider);
  provider.use(async (ctx, next) => {
    await next();
    if (ctx.status < 400 || ctx.status >= 500) return;
    const body: unknown = ctx.body;
    const formatted = typeof body === 'object' && body !== null && 'error' in body;
    if (formatted || ctx.response.is('html')) return;
    const status = ctx.status;
    ctx.type = 'json';
    ctx.body = {
      error: 'invalid_request',
      error_description:
        status === 404 || status === 405
          ? `${ctx.method} ${ctx.path} is not an endpoint of this authorization server`
          : 'the request is not valid',
    };
    ctx.status = status;
  });
}
