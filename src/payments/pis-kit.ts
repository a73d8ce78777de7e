// What the PIS routes share (under /banks/{bankId}/open-banking/v3.1/pisp):
// the merchant is authenticated before the body is read
// (onRequest); its detached x-jws-signature is checked over the exact body bytes before the
// idempotency key is looked at; every answer with a body carries the bank's x-jws-signature.
import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { badRequest, notFound, Problem } from '../http/index.ts';
import { JwsSignatureError, signDetached, verifyDetachedJws } from './jws.ts';
import type { PaymentService } from './service.ts';
import type { MerchantCaller, MerchantTokens } from './tokens.ts';

export const PISP_PREFIX = '/banks/:bankId/open-banking/v3.1/pisp';
const BANK_ID = { type: 'string', pattern: '^[a-z][a-z0-9-]{1,31}$' } as const;
const ID = { type: 'string', pattern: '^[A-Za-z0-9_-]{1,64}$' } as const;
export const params = (...ids: string[]) =>
  ({
    type: 'object',
    required: ['bankId', ...ids],
    additionalProperties: false,
    properties: { bankId: BANK_ID, ...Object.fromEntries(ids.map((i) => [i, ID])) },
  }) as const;
export const tags = ['payments'];
export const security = [{ dpop: [] }];

interface PaymentRequestState {
  merchant?: MerchantCaller;
  rawBody?: string;
}

export interface PaymentRoutesOptions {
  service: PaymentService;
  tokens: MerchantTokens;
  banks: ReadonlySet<string>;
  publicUrl(): string;
}

export const state = (request: FastifyRequest) => request as unknown as PaymentRequestState;

/** The per-request helpers the PIS routes share: self links, the merchant's signature, idempotency. */
export type PisKit = ReturnType<typeof pisKit>;

/** Body parser (keeps the exact bytes for the signature), merchant authentication, response signing. */
export function installPisHooks(app: FastifyInstance, routeOptions: PaymentRoutesOptions): void {
  const { service } = routeOptions;
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser(
    'application/json',
    { parseAs: 'string', bodyLimit: 64 * 1024 },
    (request, body, done) => {
      state(request).rawBody = String(body);
      try {
        done(null, JSON.parse(String(body)));
      } catch {
        done(badRequest('malformed-json', 'the body is not valid JSON'), undefined);
      }
    },
  );

  // Authenticate before parsing: token, DPoP proof, merchant.
  app.addHook('onRequest', async (request) => {
    const bankId = (request.params as { bankId?: string }).bankId ?? '';
    if (!routeOptions.banks.has(bankId)) throw notFound('bank', `no bank '${bankId}' is served here`);
    state(request).merchant = await routeOptions.tokens.authenticate(
      bankId,
      request.method,
      request.url,
      request.headers,
    );
  });

  // The bank signs every answer it gives (non-repudiation, OB x-jws-signature).
  app.addHook('onSend', async (request, reply, payload) => {
    if (typeof payload !== 'string' || payload.length === 0) return payload;
    const bankId = (request.params as { bankId?: string }).bankId ?? '';
    // No bank here, no key to sign with: the 404 problem for an unknown bank goes unsigned.
    if (!routeOptions.banks.has(bankId)) return payload;
    reply.header(
      'x-jws-signature',
      await signDetached(payload, service.options.consent.issuer(bankId), await service.signer(bankId)),
    );
    const interaction = request.headers['x-fapi-interaction-id'];
    if (typeof interaction === 'string') reply.header('x-fapi-interaction-id', interaction);
    return payload;
  });
}

export function pisKit(routeOptions: PaymentRoutesOptions) {
  const { service } = routeOptions;
  const self = (request: FastifyRequest, path: string) =>
    `${routeOptions.publicUrl()}/banks/${(request.params as { bankId: string }).bankId}/open-banking/v3.1/pisp${path}`;

  async function verifySignature(request: FastifyRequest, merchantId: string): Promise<void> {
    const merchant = service.merchant(merchantId)!;
    try {
      await verifyDetachedJws(
        state(request).rawBody ?? '',
        String(request.headers['x-jws-signature']),
        merchant.jwks,
        merchantId,
      );
    } catch (error) {
      if (error instanceof JwsSignatureError) throw badRequest('jws-signature-invalid', error.message);
      throw error;
    }
  }

  /** Runs `work` once per (merchant, route, x-idempotency-key); the same body again gets the first answer. */
  async function idempotent(
    request: FastifyRequest,
    reply: FastifyReply,
    route: string,
    work: () => Promise<{ status: number; body: unknown; headers?: Record<string, string> }>,
  ) {
    const bankId = (request.params as { bankId: string }).bankId;
    const merchantId = state(request).merchant!.merchantId;
    const key = String(request.headers['x-idempotency-key']);
    const digest = createHash('sha256')
      .update(state(request).rawBody ?? '')
      .digest();
    const previous = await service.store.claimKey(bankId, merchantId, route, key, digest);
    if (previous) {
      if (!digest.equals(Buffer.from(previous.body_sha256)))
        throw new Problem(
          422,
          'idempotency-key-reused',
          'Idempotency key reused',
          'this x-idempotency-key was used with another body',
        );
      if (previous.status_code === null)
        throw new Problem(
          409,
          'idempotent-request-in-flight',
          'Request in progress',
          'the first request with this key is still being processed',
        );
      reply.headers((previous.headers ?? {}) as Record<string, string>);
      if (previous.status_code >= 400) reply.type('application/problem+json');
      return reply.code(previous.status_code).send(previous.response);
    }
    let answer: { status: number; body: unknown; headers: Record<string, string> };
    try {
      const done = await work();
      answer = { status: done.status, body: done.body, headers: done.headers ?? {} };
    } catch (error) {
      if (!(error instanceof Problem) || error.status >= 500 || error.status === 409) {
        await service.store.releaseKey(bankId, merchantId, route, key);
        throw error;
      }
      answer = { status: error.status, body: error.toDocument(), headers: error.headers };
    }
    await service.store.finishKey(bankId, merchantId, route, key, {
      statusCode: answer.status,
      response: answer.body,
      headers: answer.headers,
    });
    reply.headers(answer.headers);
    if (answer.status >= 400) reply.type('application/problem+json');
    return reply.code(answer.status).send(answer.body);
  }
  return { self, verifySignature, idempotent };
}
