// Text no Proviso store can take: a NUL character (PostgreSQL text and jsonb refuse it) or a
// lone UTF-16 surrogate (jsonb refuses its \uXXXX escape). Found anywhere in a request's
// path parameters, query or parsed body, it is the client's mistake: a 400 problem that
// names where, before any handler runs — never a database error and a 500. A route that
// reports such values per item itself (the screening ingest) opts out with
// `config: { textGuard: false }`.
//
// Numbers too: a query value such as `1e400` is coerced by the schema validator to
// Infinity, and with strict numbers ajv lets it through its minimum and maximum; any
// non-finite number left in params, query or body after validation is a 400 problem.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Problem } from './problem.ts';

const MAX_DEPTH = 32;

function unstorable(text: string): boolean {
  return text.includes('\u0000') || !text.isWellFormed();
}

/** Where in `value` the first unstorable text is (`body/name`, `query/x[2]`), or null. */
export function unstorableTextAt(value: unknown, where: string, depth = 0): string | null {
  if (typeof value === 'string') return unstorable(value) ? where : null;
  if (typeof value !== 'object' || value === null || depth > MAX_DEPTH) return null;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = unstorableTextAt(value[i], `${where}[${i}]`, depth + 1);
      if (found !== null) return found;
    }
    return null;
  }
  if (Buffer.isBuffer(value)) return null;
  for (const [key, item] of Object.entries(value)) {
    if (unstorable(key)) return `${where} (a field name)`;
    const found = unstorableTextAt(item, `${where}/${key}`, depth + 1);
    if (found !== null) return found;
  }
  return null;
}

export function unstorableTextProblem(where: string): Problem {
  return new Problem(
    400,
    'invalid-text',
    'Text that cannot be stored',
    `${where} holds a NUL character or a lone UTF-16 surrogate`,
  );
}

function check(request: FastifyRequest): void {
  const parts: [string, unknown][] = [
    ['params', request.params],
    ['query', request.query],
    ['body', request.body],
  ];
  for (const [name, value] of parts) {
    const where = unstorableTextAt(value, name);
    if (where !== null) throw unstorableTextProblem(where);
  }
}

/** Where in `value` the first non-finite number (±Infinity, NaN) is, or null. */
export function nonFiniteNumberAt(value: unknown, where: string, depth = 0): string | null {
  if (typeof value === 'number') return Number.isFinite(value) ? null : where;
  if (typeof value !== 'object' || value === null || depth > MAX_DEPTH || Buffer.isBuffer(value)) return null;
  for (const [key, item] of Object.entries(value)) {
    const found = nonFiniteNumberAt(
      item,
      Array.isArray(value) ? `${where}[${key}]` : `${where}/${key}`,
      depth + 1,
    );
    if (found !== null) return found;
  }
  return null;
}

function checkNumbers(request: FastifyRequest): void {
  for (const [name, value] of [
    ['params', request.params],
    ['query', request.query],
    ['body', request.body],
  ] as const) {
    const where = nonFiniteNumberAt(value, name);
    if (where !== null)
      throw new Problem(
        400,
        'number-out-of-range',
        'Number out of range',
        `${where} must be a finite number`,
      );
  }
}

export function installTextGuard(app: FastifyInstance): void {
  // Callback hooks (no promise per request); a refusal goes to done() as the error.
  app.addHook('preValidation', (request, _reply, done) => {
    if (request.routeOptions.config?.textGuard === false) return done();
    guarded(() => check(request), done);
  });
  app.addHook('preHandler', (request, _reply, done) => {
    if (request.routeOptions.config?.textGuard === false) return done();
    guarded(() => checkNumbers(request), done);
  });
}

function guarded(checkRequest: () => void, done: (error?: Error) => void): void {
  let refusal: Error | undefined;
  try {
    checkRequest();
  } catch (error) {
    refusal = error as Error;
  }
  done(refusal);
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** false: the route reports unstorable text and numbers itself (see installTextGuard). */
    textGuard?: boolean;
  }
}
