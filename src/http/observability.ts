// /healthz (the process answers), /readyz (its dependencies answer; named alarms make it
// 503) and /metrics (Prometheus). Each app has its own registry, so two apps in one
// process (tests) never share counters.
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { collectDefaultMetrics, Histogram, Registry } from 'prom-client';
import { noQuery } from './schemas.ts';

export interface ReadinessCheck {
  name: string;
  /** Resolves to null when fine, or a short reason when not. */
  check(): Promise<string | null>;
}

export interface Observability {
  registry?: Registry;
  readiness?: ReadinessCheck[];
}

const healthSchema = {
  type: 'object',
  required: ['status'],
  properties: {
    status: { type: 'string', enum: ['ok', 'unavailable'] },
    checks: { type: 'object', additionalProperties: { type: 'string' } },
  },
  additionalProperties: false,
} as const;

export const observabilityPlugin = fp<Observability>(
  async (app: FastifyInstance, options) => {
    const registry = options.registry ?? new Registry();
    if (!options.registry) collectDefaultMetrics({ register: registry });
    const duration = new Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP request duration by route and status',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    });
    app.decorate('metricsRegistry', registry);
    app.addHook('onResponse', (request, reply, done) => {
      duration.observe(
        {
          method: request.method,
          route: request.routeOptions.url ?? 'unmatched',
          status: String(reply.statusCode),
        },
        reply.elapsedTime / 1000,
      );
      done();
    });
    const tags = ['operations'];
    app.get(
      '/healthz',
      { schema: { tags, summary: 'Liveness', querystring: noQuery, response: { 200: healthSchema } } },
      async () => ({
        status: 'ok' as const,
      }),
    );
    app.get(
      '/readyz',
      {
        schema: {
          tags,
          summary: 'Readiness and alarms',
          querystring: noQuery,
          response: { 200: healthSchema, 503: healthSchema },
        },
      },
      async (_request, reply) => {
        const checks: Record<string, string> = {};
        let ok = true;
        for (const c of options.readiness ?? []) {
          const why = await c.check().catch((e: unknown) => (e instanceof Error ? e.message : String(e)));
          checks[c.name] = why ?? 'ok';
          if (why !== null) ok = false;
        }
        return reply.code(ok ? 200 : 503).send({ status: ok ? 'ok' : 'unavailable', checks });
      },
    );
    app.get(
      '/metrics',
      {
        schema: {
          tags,
          summary: 'Prometheus metrics',
          querystring: noQuery,
          produces: ['text/plain'],
          response: { 200: { type: 'string' } },
        },
      },
      async (_request, reply) => reply.type(registry.contentType).send(await registry.metrics()),
    );
  },
  { name: 'proviso-observability' },
);

declare module 'fastify' {
  interface FastifyInstance {
    metricsRegistry: Registry;
  }
}
