// Bank-scoped routes (/banks/{bankId}/…): the bank-id schema, defined once, and one Fastify
// plugin that resolves the bank once per request. Routes registered inside the scope get a
// 404 `bank` problem for a bank this server does not serve, after their params are validated
// (a malformed id stays a 400) and before any handler — so authentication and the handler
// only ever see a bank that exists.
import type { FastifyInstance, FastifyPluginAsync, FastifyRequest } from 'fastify';
import { notFound } from './problem.ts';

export const bankIdParam = {
  type: 'string',
  pattern: '^[a-z][a-z0-9-]{1,31}$',
  description: 'Bank (tenant) id',
} as const;

/** Params of a route that names only the bank. */
export const bankParams = {
  type: 'object',
  required: ['bankId'],
  properties: { bankId: bankIdParam },
  additionalProperties: false,
} as const;

export interface BankScopeOptions {
  /** The banks served here, by id. */
  banks: { has(bankId: string): boolean };
  /** Registers the bank-scoped routes on the scope. */
  routes(scope: FastifyInstance): Promise<void>;
}

/** An encapsulated scope whose routes all serve one known bank (request.params.bankId). */
export const bankScope: FastifyPluginAsync<BankScopeOptions> = async (scope, options) => {
  scope.addHook('preHandler', (request: FastifyRequest, _reply, done) => {
    const bankId = (request.params as { bankId?: string }).bankId;
    if (bankId === undefined || !options.banks.has(bankId))
      return done(notFound('bank', `no bank '${bankId}' is served here`));
    done();
  });
  await options.routes(scope);
};
