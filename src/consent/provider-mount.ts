// The bank's authorization server (oidc-provider) mounted under /banks/:bankId by handing it
// the raw request. Fastify reads the body (up to oidc-provider's own 56 KiB limit) so that the
// parameters can be checked before oidc-provider sees them: a NUL, another control character
// or a lone surrogate in an OAuth parameter is an invalid_request (RFC 6749), never a store
// error and a server_error. oidc-provider then takes the body already read (req.body).
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { notFound } from '../http/index.ts';
import { answerOAuthErrorsAsOAuth, badOAuthParameter, sendHtmlError, wantsHtml } from './client-errors.ts';
import type { ConsentService } from './service.ts';

/** The OAuth endpoints oidc-provider serves under each issuer. */
const PROVIDER_PATHS: [string, string][] = [
  ['/.well-known/openid-configuration', 'OpenID Provider metadata (FAPI 2.0): every endpoint and setting'],
  ['/request', 'Pushed authorization request (RFC 9126) — required'],
  ['/auth', 'Authorization endpoint (takes only request_uri from PAR)'],
  ['/auth/:uid', 'Authorization resume after login and consent'],
  ['/token', 'Token endpoint: private_key_jwt client authentication, DPoP proof required'],
  ['/token/revocation', 'Token revocation (RFC 7009); revoking any token ends the consent'],
  ['/jwks', 'ID token signing keys of this issuer'],
];

/** Registered with the prefix /banks/:bankId, behind the bank check. */
export const providerMount: FastifyPluginAsync<{ consent: ConsentService }> = async (scope, { consent }) => {
  scope.removeAllContentTypeParsers();
  scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: 56 * 1024 }, (_request, body, done) =>
    done(null, body),
  );
  for (const [path, summary] of PROVIDER_PATHS) {
    scope.route({
      method:
        path.startsWith('/.well-known') || path === '/jwks' || path.startsWith('/auth')
          ? ['GET', 'POST']
          : ['POST'],
      url: path,
      // Checked below with the OAuth error format, not as a problem document.
      config: { textGuard: false },
      schema: {
        tags: ['consent'],
        summary,
        description:
          'Served by the OAuth 2.0 authorization server; errors follow RFC 6749 (`error`, `error_description`).',
        // Described by the issuer's OpenID/OAuth metadata (RFC 8414), not by this OpenAPI file.
        hide: true,
      },
      preHandler: async (request: FastifyRequest, reply: FastifyReply) => {
        const bankId = (request.params as { bankId: string }).bankId;
        const raw = request.raw as typeof request.raw & { baseUrl?: string; body?: Buffer };
        const bad = badOAuthParameter(raw.url!, request.headers['content-type'], request.body);
        if (bad !== null) {
          const description = `${bad} holds a control character or a lone surrogate`;
          if (wantsHtml(request)) {
            return sendHtmlError(reply, consent.bankName(bankId), 'invalid_request', description);
          }
          return reply.code(400).send({ error: 'invalid_request', error_description: description });
        }
        const provider = await consent.provider(bankId);
        answerOAuthErrorsAsOAuth(provider);
        if (Buffer.isBuffer(request.body)) raw.body = request.body;
        // The mount as the client wrote it (the bank id may come percent-encoded).
        const written = /^\/banks\/[^/?]+/.exec(raw.url!)?.[0] ?? `/banks/${bankId}`;
        const prefix = `/banks/${bankId}`;
        raw.url = raw.url!.slice(written.length) || '/';
        raw.baseUrl = prefix;
        // Endpoint URLs (discovery, htu, aud) are always those of the public URL.
        const pub = new URL(consent.options.publicUrl());
        raw.headers['x-forwarded-host'] = pub.host;
        raw.headers['x-forwarded-proto'] = pub.protocol.slice(0, -1);
        reply.hijack();
        provider.callback()(raw, reply.raw);
      },
      // Reached only when the preHandler did not hand the request over.
      handler: async (request) => {
        throw notFound('bank', `no bank '${(request.params as { bankId: string }).bankId}' is served here`);
      },
    });
  }
};
