// The Fastify base every Proviso HTTP app (gateway, relay, witness) is built on, so they
// share one behaviour: strict schemas, problem details, request ids, security headers,
// logs without secrets, health, metrics and a generated OpenAPI 3.1 document.
import { randomUUID } from 'node:crypto';
import swagger from '@fastify/swagger';
import apiReference from '@scalar/fastify-api-reference';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import helmet from 'helmet';
import { installProblemHandlers, sendProblem, toProblem, writeClientErrorProblem } from './errors.ts';
import { safeErrorFields } from './log-safety.ts';
import { type Observability, observabilityPlugin } from './observability.ts';
import { problemSchema } from './problem.ts';
import { installTextGuard } from './text-guard.ts';

/** The security headers of every answer (helmet's defaults plus this CSP). */
const SECURITY_HEADERS = {
  contentSecurityPolicy: {
    directives: {
      defaultSrc: ["'self'"],
      scriptSrc: ["'self'", "'unsafe-inline'"],
      styleSrc: ["'self'", "'unsafe-inline'"],
      imgSrc: ["'self'", 'data:'],
      connectSrc: ["'self'"],
      formAction: ["'self'"],
      frameAncestors: ["'none'"],
    },
  },
  crossOriginResourcePolicy: { policy: 'cross-origin' as const },
};

/** helmet's middleware, built (CSP directives parsed) once per app, not once per request. */
function securityHeaders() {
  return helmet(SECURITY_HEADERS);
}

export interface HttpAppOptions {
  title: string;
  version: string;
  description: string;
  /** false silences logs (tests); otherwise a pino level. */
  logLevel?: string | false;
  /** Destination stream for logs (tests capture it). */
  logStream?: NodeJS.WritableStream;
  bodyLimit?: number;
  observability?: Observability;
  tags?: { name: string; description: string }[];
  securitySchemes?: Record<string, Record<string, unknown>>;
}

const REQUEST_ID = /^[A-Za-z0-9._-]{8,64}$/;

/** Header and body fields that must never reach a log line. */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.dpop',
  'req.headers.cookie',
  'req.headers["x-hub-signature-256"]',
  'res.headers["set-cookie"]',
];

export function loggerOptions(
  level: string | false,
  stream?: NodeJS.WritableStream,
): FastifyServerOptions['logger'] {
  if (level === false) return false;
  return {
    level,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    // Log the route path, never the query string: queries can carry identifiers.
    serializers: {
      req: (req: { method: string; url: string; id: string }) => ({
        id: req.id,
        method: req.method,
        path: req.url.split('?')[0],
      }),
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
      // A database error's message quotes the refused row: only its class and code are logged.
      err: (error: unknown) => ({ stack: '', ...safeErrorFields(error) }),
    },
    ...(stream ? { stream } : {}),
  } as FastifyServerOptions['logger'];
}

export async function createHttpApp(options: HttpAppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger: loggerOptions(options.logLevel ?? 'info', options.logStream),
    bodyLimit: options.bodyLimit ?? 64 * 1024,
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    ajv: {
      // Unknown fields are an error, not silently dropped; query strings are coerced from text.
      customOptions: { removeAdditional: false, coerceTypes: true, useDefaults: true, allErrors: false },
    },
    routerOptions: { ignoreTrailingSlash: true },
    // Errors raised by the router itself (malformed URL, over-long parameter) become
    // problem documents like every other client mistake.
    frameworkErrors: (error, request, reply) => sendProblem(reply, toProblem(error), request),
    // What Node's HTTP parser refuses (headers too large, malformed request line) is a
    // problem document too, written straight to the socket.
    clientErrorHandler: writeClientErrorProblem,
  });
  // Hooks on every request take a callback, not a promise: one promise and one tick fewer each.
  app.addHook('onSend', (request, reply, payload, done) => {
    reply.header('x-request-id', request.id);
    done(null, payload);
  });
  installProblemHandlers(app);
  installTextGuard(app);
  // Security headers. The headers are the same for every answer, so helmet's middleware is
  // built once (securityHeaders below): @fastify/helmet, registered globally, rebuilds it, CSP
  // directives included, on every request (2–5 % of the gateway's CPU under load,
  // docs/performance.md). Registered even with `global: false` it still runs two hooks on
  // every request (one async, decorating the reply), so it is not registered: no route here
  // wants per-response CSP nonces (no page has inline scripts that need them). A route that
  // comes to want them registers @fastify/helmet in its own scope.
  const applySecurityHeaders = securityHeaders();
  app.addHook('onRequest', (request, reply, done) => {
    // helmet 8 throws rather than passing an error to its callback.
    applySecurityHeaders(request.raw, reply.raw, () => done());
  });
  app.addSchema(problemSchema);
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: options.title, version: options.version, description: options.description },
      tags: options.tags ?? [],
      components: { securitySchemes: (options.securitySchemes ?? {}) as never },
    },
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => String(json['$id'] ?? `def-${i}`) },
  });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  // The reference is served from this process only: no web fonts from a CDN, no telemetry,
  // and none of the vendor's hosted extras (AI agent, MCP, developer tools' "Deploy").
  await app.register(apiReference, {
    routePrefix: '/docs',
    configuration: {
      url: '/openapi.json',
      withDefaultFonts: false,
      telemetry: false,
      showDeveloperTools: 'never',
      agent: { disabled: true },
      mcp: { disabled: true },
    },
  });
  await app.register(observabilityPlugin, options.observability ?? {});
  return app;
}
