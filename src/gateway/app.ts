// The bank's gateway: one Fastify app serving every bank it hosts.
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { type ConsentService, consentRoutes } from '../consent/index.ts';
import { bankScope, createHttpApp, type ReadinessCheck } from '../http/index.ts';
import type { PaymentService } from '../payments/index.ts';
import {
  AlertActionStore,
  type CardDirectory,
  investigatorRoutes,
  type ScreeningService,
  screeningRoutes,
} from '../screening/index.ts';
import { translogRoutes } from '../translog/index.ts';
import type { BankBot } from './bot.ts';
import type { GatewayContext } from './context.ts';
import { investigatorDesk } from './investigator-desk.ts';
import { registerPaymentRoutes } from './payments.ts';
import { AISP_PREFIX, accountRoutes } from './routes/accounts.ts';
import { botRoutes } from './routes/bot.ts';
import { deviceKeyRoutes } from './routes/device-key.ts';
import { type DiscoveryExtras, discoveryRoutes } from './routes/discovery.ts';

export interface GatewayOptions extends GatewayContext {
  logLevel?: string | false;
  logStream?: NodeJS.WritableStream;
  discovery?: DiscoveryExtras;
  readiness?: ReadinessCheck[];
  /** The consent context: authorization server, screens, platform consent API. */
  consent?: ConsentService;
  /** Checkout: the Payment Initiation API, funds attestations, the approval screen (needs consent). */
  payments?: PaymentService;
  /** The bank bot (needs the consent context). */
  bot?: BankBot;
  /** Fraud screening: ingest endpoint and the investigator view. */
  screening?: {
    service: ScreeningService;
    ingestKeys: ReadonlyMap<string, string>;
    staffKeys: ReadonlyMap<string, string>;
    cards: CardDirectory;
  };
}

// Public, read-only documents a device or an auditor fetches from another origin (the chat
// client is served by the relay): discovery, JWKS, the transparency log.
const PUBLIC_READ = /^\/(\.well-known\/|banks\/[a-z][a-z0-9-]{1,31}\/(jwks|log\/))/;

export async function buildGateway(options: GatewayOptions): Promise<FastifyInstance> {
  const readiness: ReadinessCheck[] = [
    {
      name: 'database',
      check: async () => {
        await sql`select 1`.execute(options.database.tables());
        return null;
      },
    },
    ...(options.readiness ?? []),
  ];
  const app = await createHttpApp({
    title: 'Proviso gateway',
    version: options.version,
    description:
      "The bank's side of Proviso: discovery, account data (UK Open Banking v3.1 shapes) behind purpose-bound access, " +
      'keys and operations. Every error is an RFC 9457 problem document.',
    logLevel: options.logLevel ?? 'info',
    ...(options.logStream ? { logStream: options.logStream } : {}),
    observability: { readiness },
    securitySchemes: {
      ingestKey: {
        type: 'http',
        scheme: 'bearer',
        description: "The bank's authorisation-ingest key (PROVISO_INGEST_KEYS, or generated per bank)",
      },
      staffBasic: {
        type: 'http',
        scheme: 'basic',
        description:
          'Bank staff: user = bank id, password = the staff key (PROVISO_STAFF_KEYS, else the ingest key)',
      },
      dpop: {
        type: 'http',
        scheme: 'DPoP',
        description:
          'DPoP-bound access token from the bank\'s FAPI 2.0 authorization server (RFC 9449): "Authorization: DPoP <token>" plus a fresh "DPoP" proof header per request',
      },
    },
    tags: [
      { name: 'discovery', description: 'Finding banks, keys and endpoints' },
      { name: 'accounts', description: 'Account and Transaction API (UK Open Banking v3.1 shapes)' },
      {
        name: 'consent',
        description: 'FAPI 2.0 authorization server, consent screens, connected apps, receipts, revocation',
      },
      {
        name: 'transparency log',
        description: 'Checkpoints (C2SP signed notes), tiles (C2SP tlog-tiles), proofs',
      },
      {
        name: 'payments',
        description:
          'Payment Initiation (UK Open Banking v3.1 shapes) for merchants, funds attestations for platforms, the approval screen',
      },
      { name: 'operations', description: 'Health, readiness and metrics' },
    ],
  });
  app.addHook('onSend', (request, reply, payload, done) => {
    if ((request.method === 'GET' || request.method === 'HEAD') && PUBLIC_READ.test(request.url))
      reply.header('access-control-allow-origin', '*');
    done(null, payload);
  });
  await app.register(async (scope) => discoveryRoutes(scope, options));
  await app.register(translogRoutes, { resolveLog: (bankId: string) => options.logs.get(bankId) });
  // Routes under /banks/{bankId}/… of the gateway's own: the bank is resolved once, by the scope.
  const consent = options.consent;
  await app.register(bankScope, {
    banks: options.banks,
    async routes(scope) {
      await scope.register(async (s) => accountRoutes(s, options), { prefix: AISP_PREFIX });
      if (!consent) return;
      const bot = options.bot;
      if (bot) await scope.register(async (s) => botRoutes(s, { bot, release: options.release }));
      await scope.register(async (s) => deviceKeyRoutes(s, { consent, keyStore: options.keyStore }));
    },
  });
  if (consent) await app.register(async (scope) => consentRoutes(scope, consent));
  if (consent && options.payments)
    await registerPaymentRoutes(app, options, { payments: options.payments, consent });
  const screening = options.screening;
  if (screening) {
    await app.register(screeningRoutes, {
      service: screening.service,
      ingestKeys: screening.ingestKeys,
      registry: app.metricsRegistry,
    });
    await app.register(investigatorRoutes, {
      service: screening.service,
      staffKeys: screening.staffKeys,
      desk: investigatorDesk({ banks: options.banks, core: options.core, audit: options.audit }),
      actions: new AlertActionStore(options.database),
    });
  }
  return app;
}
