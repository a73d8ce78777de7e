// Brings the merchant app up: its own database (PGlite in <data>/merchant/pgdata, or
// MERCHANT_DATABASE_URL) migrated from src/merchant/migrations, its keys and staff passwords,
// a FAPI 2.0 payment client per bank, and the HTTP app on its own port.
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { createHttpApp } from '../http/index.ts';
import { type Database, EMBEDDED_VACUUM_MS, migrate, openDatabase } from '../storage/index.ts';
import { BankPaymentClient } from './bank-client.ts';
import { DEMO_MERCHANTS, type Merchant } from './catalogue.ts';
import { Checkout } from './checkout.ts';
import type { MerchantConfig } from './config.ts';
import { loadMerchantSecrets, type MerchantSecrets, merchantClientId } from './keys.ts';
import type { PaymentRail } from './rail.ts';
import { merchantRoutes } from './routes.ts';
import { MerchantStore } from './store.ts';

export const MERCHANT_VERSION = '0.1.0';
export const MERCHANT_MIGRATIONS = new URL('./migrations/', import.meta.url);

export interface MerchantRuntimeOptions {
  /** Use this database (tests); migrated, not closed by close(). */
  database?: Database;
  merchants?: readonly Merchant[];
  /** The payment API per bank; default: BankPaymentClient against the configured gateway. */
  rail?: (bankId: string) => PaymentRail | undefined;
  logStream?: NodeJS.WritableStream;
  /** The fetch the payment clients call the banks with (the bench times the payment API through it). */
  fetch?: typeof fetch;
}

export interface RunningMerchants {
  app: FastifyInstance;
  url: string;
  database: Database;
  store: MerchantStore;
  secrets: MerchantSecrets;
  merchants: readonly Merchant[];
  close(): Promise<void>;
}

export async function startMerchants(
  config: MerchantConfig,
  options: MerchantRuntimeOptions = {},
): Promise<RunningMerchants> {
  const database =
    options.database ??
    (await openDatabase({
      url: config.databaseUrl,
      dataDir: join(config.dataDir, 'pgdata'),
      vacuumEveryMs: EMBEDDED_VACUUM_MS,
    }));
  await migrate(database, { folder: MERCHANT_MIGRATIONS, table: 'merchant_migration' });
  const merchants = options.merchants ?? DEMO_MERCHANTS;
  const secrets = await loadMerchantSecrets(config.keyDir, config.dataDir, merchants);
  const store = new MerchantStore(database);
  const clients = new Map(
    config.banks.map((bank) => [
      bank.id,
      new BankPaymentClient({
        issuer: `${config.gatewayUrl}/banks/${bank.id}`,
        credentials: (merchantId) => ({
          clientId: merchantClientId(merchantId),
          privateJwk: secrets.keys.get(merchantId)!.privateJwk,
        }),
        allowInsecure: config.gatewayUrl.startsWith('http:'),
        ...(options.fetch ? { fetch: options.fetch } : {}),
      }),
    ]),
  );
  let url = config.publicUrl ?? '';
  const checkout = new Checkout({
    store,
    merchants,
    rail: options.rail ?? ((bankId) => clients.get(bankId)),
    currencyOf: (bankId) => config.banks.find((b) => b.id === bankId)?.currency,
    publicUrl: () => url,
    approvalWindowMs: config.approvalWindowSeconds * 1000,
    onBankError: (step, error) => app.log.warn({ step, err: error }, 'payment step failed at the bank'),
  });
  const app = await createHttpApp({
    title: 'Proviso demo merchants',
    version: MERCHANT_VERSION,
    description:
      'Two demo shops, a separate party from the bank and the platform: catalogue, orders, payment ' +
      "at the shopper's bank as a FAPI 2.0 client of its own (UK OB PIS), the bank's signed " +
      "confirmation verified offline. It learns 'paid' or 'not paid', never the account.",
    logLevel: config.logLevel === 'silent' ? false : config.logLevel,
    ...(options.logStream ? { logStream: options.logStream } : {}),
    observability: {
      readiness: [
        {
          name: 'database',
          check: async () => {
            await sql`select 1`.execute(store.db);
            return null;
          },
        },
      ],
    },
    securitySchemes: {
      staff: { type: 'http', scheme: 'basic', description: 'merchant id : staff password' },
    },
    tags: [
      { name: 'catalogue', description: 'What the shops sell (public, CORS for the chat)' },
      { name: 'orders', description: "The shopper's orders (CORS for the chat)" },
      { name: 'payments', description: "The bank's redirect back after approval" },
      { name: 'keys', description: "The merchants' public keys" },
      { name: 'staff', description: "The merchant's own staff: orders page, refunds" },
      { name: 'operations', description: 'Health, readiness and metrics' },
    ],
  });
  await app.register(async (scope) =>
    merchantRoutes(scope, {
      checkout,
      merchants,
      publicJwks: (id) => [secrets.keys.get(id)!.publicJwk],
      staffPassword: (id) => secrets.staffPasswords.get(id) ?? '',
      allowedOrigins: [new URL(config.chatUrl).origin],
      chatUrl: config.chatUrl,
      banks: config.banks,
    }),
  );
  const listening = await app.listen({ host: config.host, port: config.port });
  if (!config.publicUrl) url = listening.replace('[::1]', 'localhost');
  return {
    app,
    url,
    database,
    store,
    secrets,
    merchants,
    async close() {
      await app.close();
      if (!options.database) await database.close();
    },
  };
}
