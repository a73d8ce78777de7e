// HTTP batch ingest of card authorisations: POST /banks/:bankId/screening/authorisations.
// Each bank authenticates with its own bearer ingest key (compared in constant time). A
// batch is screened event by event: a bad event is rejected with its own errors and counted,
// the good events of the same batch still go through. Too many events → 413.
import type { FastifyInstance, FastifyRequest, onRequestHookHandler } from 'fastify';
import fp from 'fastify-plugin';
import { Counter, type Registry } from 'prom-client';
import {
  bankParams,
  constantTimeEqual,
  noQuery,
  Problem,
  problemResponses,
  unauthorized,
} from '../http/index.ts';
import { deadLetterRoutes } from './dead-letter-routes.ts';
import type { ScreeningService, ScreenOutcome } from './service.ts';

/** Parses `bank:key,bank2:key2` (PROVISO_INGEST_KEYS / PROVISO_STAFF_KEYS). */
export function parseBankKeys(text: string | undefined): Map<string, string> {
  const keys = new Map<string, string>();
  for (const entry of (text ?? '').split(',')) {
    const trimmed = entry.trim();
    if (trimmed === '') continue;
    const at = trimmed.indexOf(':');
    if (at <= 0 || at === trimmed.length - 1) throw new Error('bank keys must look like bank:key,bank2:key2');
    keys.set(trimmed.slice(0, at), trimmed.slice(at + 1));
  }
  return keys;
}

/** Constant-time comparison of a presented secret with the expected one (any lengths). */
export function secretMatches(presented: string, expected: string | undefined): boolean {
  return constantTimeEqual(presented, expected ?? '\u0000no key') && expected !== undefined;
}

/** Counters shared by the HTTP and NATS ingest, registered once per registry. */
export interface IngestMetrics {
  readonly events: Counter<'source' | 'outcome'>;
  readonly rejected: Counter<'source' | 'code'>;
}

const metricsByRegistry = new WeakMap<Registry, IngestMetrics>();

export function ingestMetrics(registry: Registry): IngestMetrics {
  let metrics = metricsByRegistry.get(registry);
  if (metrics === undefined) {
    metrics = {
      events: new Counter({
        name: 'proviso_screening_events_total',
        help: 'Card authorisations received for screening, by source and outcome',
        labelNames: ['source', 'outcome'],
        registers: [registry],
      }),
      rejected: new Counter({
        name: 'proviso_screening_events_rejected_total',
        help: 'Rejected card authorisations, by source and first error code',
        labelNames: ['source', 'code'],
        registers: [registry],
      }),
    };
    metricsByRegistry.set(registry, metrics);
  }
  return metrics;
}

export function countOutcome(metrics: IngestMetrics, source: 'http' | 'nats', outcome: ScreenOutcome): void {
  metrics.events.inc({ source, outcome: outcome.status });
  if (outcome.status === 'rejected')
    metrics.rejected.inc({ source, code: outcome.errors[0]?.code ?? 'invalid' });
}

export interface ScreeningRoutesOptions {
  readonly service: ScreeningService;
  /** bank id → ingest key; default PROVISO_INGEST_KEYS. */
  readonly ingestKeys?: ReadonlyMap<string, string>;
  /** Most events in one batch (default 500); more is a 413 problem. */
  readonly maxBatch?: number;
  /** Where the counters go; default the app's /metrics registry. */
  readonly registry?: Registry;
}

// Any JSON value: each item is validated on its own (event-validation.ts) and a bad one is
// reported in its own result, so the schema must not refuse the batch for one item.
const eventSchema = {
  description:
    'A card authorisation (see docs/screening.md). Validated one by one so that a bad event (even one that is not an object) does not sink its batch.',
} as const;

const resultSchema = {
  type: 'object',
  required: ['index', 'status'],
  additionalProperties: false,
  properties: {
    index: { type: 'integer' },
    transactionId: { type: ['string', 'null'] },
    status: { type: 'string', enum: ['screened', 'duplicate', 'rejected'] },
    score: { type: 'number' },
    alert: { type: 'boolean' },
    alertId: { type: ['string', 'null'] },
    late: { type: 'boolean' },
    errors: {
      type: 'array',
      items: {
        type: 'object',
        required: ['field', 'code', 'message'],
        additionalProperties: false,
        properties: { field: { type: 'string' }, code: { type: 'string' }, message: { type: 'string' } },
      },
    },
  },
} as const;

export const screeningRoutes = fp<ScreeningRoutesOptions>(
  async (app: FastifyInstance, options) => {
    const keys = options.ingestKeys ?? parseBankKeys(process.env['PROVISO_INGEST_KEYS']);
    const maxBatch = options.maxBatch ?? 500;
    const registry =
      options.registry ?? (app as FastifyInstance & { metricsRegistry?: Registry }).metricsRegistry;
    const metrics = registry === undefined ? undefined : ingestMetrics(registry);

    // An onRequest hook: the key is checked before the body is read, so an anonymous
    // caller never gets a schema detail and never has a body parsed.
    const authenticate = ingestAuthentication(keys);

    // The ingest has its own JSON parser (in its own encapsulated scope): each event is
    // validated on its own, so a `__proto__` key must reach validation as a plain field of
    // its event (JSON.parse makes it an own property, never a prototype) instead of
    // failing the whole batch in Fastify's prototype-poisoning guard.
    await app.register(async (scope) => {
      scope.removeContentTypeParser('application/json');
      scope.addContentTypeParser('application/json', { parseAs: 'string' }, parseJsonKeepingEveryKey);
      registerIngest(scope, { ...options, maxBatch, metrics, authenticate });
    });
    await app.register(deadLetterRoutes, { service: options.service, authenticate });

    // The bank sets how many alerts a day its team (and its customers) should see; the
    // threshold is chosen from the scores of the last `days` days of its own traffic.
    app.put<{ Params: { bankId: string }; Body: { alerts_per_day: number; days?: number } }>(
      '/banks/:bankId/screening/threshold',
      {
        schema: {
          tags: ['screening'],
          summary: "Choose the bank's alert threshold for a daily alert budget",
          security: [{ ingestKey: [] }],
          params: bankParams,
          querystring: noQuery,
          body: {
            type: 'object',
            required: ['alerts_per_day'],
            additionalProperties: false,
            properties: {
              alerts_per_day: { type: 'number', exclusiveMinimum: 0, maximum: 1_000_000 },
              days: { type: 'integer', minimum: 1, maximum: 365, default: 28 },
            },
          },
          response: {
            200: {
              type: 'object',
              required: ['threshold', 'alerts_per_day', 'observed_alerts_per_day', 'days'],
              additionalProperties: false,
              properties: {
                threshold: { type: 'number' },
                alerts_per_day: { type: 'number' },
                observed_alerts_per_day: {
                  type: 'number',
                  description: 'alerts a day this threshold would have raised over the history',
                },
                days: { type: 'number' },
              },
            },
            ...problemResponses(400, 401, 422),
          },
        },
        onRequest: authenticate,
      },
      async (request) => {
        const { bankId } = request.params;
        if ((await options.service.counts(bankId)).events === 0)
          throw new Problem(
            422,
            'no-history',
            'No history to choose from',
            'screen some of the bank’s authorisations first; the threshold is chosen from their scores',
          );
        const chosen = await options.service.chooseThreshold(bankId, request.body.alerts_per_day, {
          days: request.body.days ?? 28,
        });
        return {
          threshold: chosen.threshold,
          alerts_per_day: chosen.alertsPerDay,
          observed_alerts_per_day: chosen.observedAlertsPerDay,
          days: chosen.days,
        };
      },
    );
  },
  { name: 'proviso-screening-ingest' },
);

function registerIngest(
  app: FastifyInstance,
  options: ScreeningRoutesOptions & {
    maxBatch: number;
    metrics: IngestMetrics | undefined;
    authenticate: onRequestHookHandler;
  },
): void {
  const { maxBatch, metrics, authenticate } = options;
  app.post<{ Params: { bankId: string }; Body: { events: unknown[] } }>(
    '/banks/:bankId/screening/authorisations',
    {
      // Room for a full batch of well-formed events; beyond it Fastify answers 413.
      bodyLimit: Math.max(64 * 1024, maxBatch * 2048),
      // Unstorable text is reported per event (event-validation.ts), not for the batch.
      config: { textGuard: false },
      schema: {
        tags: ['screening'],
        summary: 'Screen a batch of card authorisations',
        description:
          `Up to ${maxBatch} events. Each event is validated and screened on its own: the response lists, ` +
          'in order, screened / duplicate (same transactionId seen before: nothing changes) / rejected with ' +
          'per-field errors. Authenticated with the bank ingest key (Authorization: Bearer …).',
        security: [{ ingestKey: [] }],
        params: bankParams,
        querystring: noQuery,
        body: {
          type: 'object',
          required: ['events'],
          additionalProperties: false,
          properties: { events: { type: 'array', items: eventSchema } },
        },
        response: {
          200: {
            type: 'object',
            required: ['screened', 'duplicates', 'rejected', 'results'],
            additionalProperties: false,
            properties: {
              screened: { type: 'integer' },
              duplicates: { type: 'integer' },
              rejected: { type: 'integer' },
              results: { type: 'array', items: resultSchema },
            },
          },
          ...problemResponses(400, 401, 413, 415),
        },
      },
      onRequest: authenticate,
    },
    async (request) => {
      const { bankId } = request.params;
      const events = request.body.events;
      if (events.length > maxBatch) {
        metrics?.rejected.inc({ source: 'http', code: 'batch_too_large' }, events.length);
        throw new Problem(
          413,
          'batch-too-large',
          'Batch too large',
          `a batch holds at most ${maxBatch} events; this one has ${events.length}`,
          { extensions: { maxBatch } },
        );
      }
      const outcomes = await options.service.screenBatch(bankId, events);
      let screened = 0;
      let duplicates = 0;
      let rejected = 0;
      const results = outcomes.map((outcome, index) => {
        if (metrics !== undefined) countOutcome(metrics, 'http', outcome);
        if (outcome.status === 'rejected') {
          rejected++;
          return {
            index,
            transactionId: outcome.transactionId,
            status: outcome.status,
            errors: outcome.errors,
          };
        }
        if (outcome.status === 'duplicate') duplicates++;
        else screened++;
        return {
          index,
          transactionId: outcome.transactionId,
          status: outcome.status,
          score: outcome.score,
          alert: outcome.alert,
          alertId: outcome.alertId,
          late: outcome.late,
        };
      });
      return { screened, duplicates, rejected, results };
    },
  );
}

/** The bank's ingest key as a bearer token, checked before anything of the request is read. */
export function ingestAuthentication(keys: ReadonlyMap<string, string>): onRequestHookHandler {
  return async (request) => {
    const header = request.headers.authorization ?? '';
    const presented = header.startsWith('Bearer ') ? header.slice('Bearer '.length).trim() : '';
    const bankId = (request.params as { bankId?: unknown }).bankId;
    if (!secretMatches(presented, typeof bankId === 'string' ? keys.get(bankId) : undefined)) {
      throw unauthorized('ingest-unauthorized', 'a valid bearer ingest key for this bank is required');
    }
  };
}

/** JSON.parse as is: every key, `__proto__` included, becomes an own property. */
function parseJsonKeepingEveryKey(
  _request: FastifyRequest,
  body: string | Buffer,
  done: (error: Error | null, value?: unknown) => void,
): void {
  const text = typeof body === 'string' ? body : body.toString('utf8');
  if (text.trim() === '') {
    done(new Problem(400, 'empty-body', 'Empty JSON body', 'the request body is empty'));
    return;
  }
  try {
    done(null, JSON.parse(text));
  } catch {
    done(new Problem(400, 'malformed-json', 'Malformed JSON', 'the request body is not valid JSON'));
  }
}
