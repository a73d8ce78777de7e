// The relay's HTTP app: device API, stream, webhook, link callback, web client, info.
import websocket from '@fastify/websocket';
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { createHttpApp, noQuery } from '../http/index.ts';
import type { BankDirectory } from './directory.ts';
import type { DeliveryHub } from './hub.ts';
import type { GatewayCaller, PlatformClient } from './platform.ts';
import { deviceRoutes } from './routes.ts';
import type { RelaySecrets } from './secrets.ts';
import type { RelayStore } from './store.ts';
import { streamRoutes } from './stream.ts';
import { webRoutes } from './web.ts';
import { webhookRoutes } from './webhook.ts';

export interface RelayInfo {
  url: string;
  web_client_url: string;
  webhook_url: string;
}

export interface RelayAppOptions {
  version: string;
  store: RelayStore;
  hub: DeliveryHub;
  secrets: RelaySecrets;
  directory: BankDirectory;
  platform: PlatformClient;
  gateway: GatewayCaller;
  publicUrl(): string;
  /** Origins the web client may fetch from besides the relay (the gateway, for bank JWKS). */
  connectSrc: string[];
  webDist: string;
  /** Shops the web chat may browse (served to it at /shops.json). */
  shopUrls?: string[];
  link: { purposes: string[]; clusters: string[]; durationDays: number };
  logLevel?: string | false;
  logStream?: NodeJS.WritableStream;
}

export function relayInfo(publicUrl: string): RelayInfo {
  return { url: publicUrl, web_client_url: `${publicUrl}/`, webhook_url: `${publicUrl}/webhook` };
}

export async function buildRelay(relay: RelayAppOptions): Promise<FastifyInstance> {
  const app = await createHttpApp({
    title: 'Proviso relay',
    version: relay.version,
    description:
      "The messaging platform's side of Proviso: devices, their links to banks, the bank-bot webhook " +
      '(Messenger Platform conventions) and delivery of sealed envelopes the relay cannot open.',
    logLevel: relay.logLevel ?? 'info',
    ...(relay.logStream ? { logStream: relay.logStream } : {}),
    observability: {
      readiness: [
        {
          name: 'database',
          check: async () => {
            await sql`select 1`.execute(relay.store.db);
            return null;
          },
        },
      ],
    },
    securitySchemes: {
      device: { type: 'http', scheme: 'bearer', description: 'Device token from POST /api/devices' },
    },
    tags: [
      { name: 'device', description: 'The device chat client: registration, chat, links, stream' },
      { name: 'link', description: 'OAuth redirect back from the bank' },
      { name: 'webhook', description: 'Bank bot → relay (Messenger Platform conventions)' },
      { name: 'discovery', description: 'Where the relay, its web client and webhook are' },
      { name: 'operations', description: 'Health, readiness and metrics' },
    ],
  });
  await app.register(websocket, { options: { maxPayload: 64 * 1024 } });
  app.get(
    '/.well-known/proviso-relay',
    {
      schema: {
        tags: ['discovery'],
        summary: 'Relay URL, web client URL and webhook URL (for /.well-known/proviso)',
        querystring: noQuery,
        response: {
          200: {
            type: 'object',
            required: ['url', 'web_client_url', 'webhook_url'],
            additionalProperties: false,
            properties: {
              url: { type: 'string', format: 'uri' },
              web_client_url: { type: 'string', format: 'uri' },
              webhook_url: { type: 'string', format: 'uri' },
            },
          },
        },
      },
    },
    async () => relayInfo(relay.publicUrl()),
  );
  await app.register(async (scope) => webhookRoutes(scope, relay));
  await app.register(async (scope) => deviceRoutes(scope, relay));
  await app.register(async (scope) => streamRoutes(scope, relay));
  await app.register(async (scope) =>
    webRoutes(scope, { dist: relay.webDist, connectSrc: relay.connectSrc, shopUrls: relay.shopUrls ?? [] }),
  );
  return app;
}
