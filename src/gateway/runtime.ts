// Brings a gateway up from configuration: storage, migrations, demo banks and their keys,
// the bank cores, access, and the HTTP app. Used by `proviso start` and by tests that
// need the real server.
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { BearerTokenAccess } from '../access/index.ts';
import { DeviceAlertSink, RELAY_PUSH_TOPIC, type RelayWebhook, screeningReplies } from '../alerts/index.ts';
import { AuditTrail } from '../audit/index.ts';
import {
  type Bank,
  type BankCore,
  BankDirectory,
  type CoreBookings,
  DEMO_BANKS,
  regionFor,
  SqlBankCore,
} from '../bank/index.ts';
import {
  admitReleasesInBatch,
  type ConsentEvents,
  ConsentService,
  type PlatformRegistration,
} from '../consent/index.ts';
import { KeyEncryptionKey, KeyStore } from '../keys/index.ts';
import { Outbox, type OutboxWorker, outboxMetrics } from '../outbox/index.ts';
import {
  ensureMerchantAccounts,
  es256Signers,
  type MerchantRegistration,
  PaymentService,
  paymentConsentSource,
  withPaymentAdmission,
} from '../payments/index.ts';
import { DEMO_PLATFORM, loadOrCreatePlatformKeys } from '../platform-client/index.ts';
import { createPolicyEngine } from '../policy/index.ts';
import { ReleasePath } from '../release/index.ts';
import {
  type ScreeningService,
  screeningMetrics,
  startNatsIngest,
  trainMissingBankModels,
} from '../screening/index.ts';
import { type Database, EMBEDDED_VACUUM_MS, migrate, openDatabase } from '../storage/index.ts';
import type { TransparencyLog } from '../translog/index.ts';
import { type RunningWitness, startWitness } from '../witness/index.ts';
import { buildGateway } from './app.ts';
import { type AlertReplies, BankBot } from './bot.ts';
import { type GatewayConfig, listenOptions } from './config.ts';
import { gatewayDiscovery } from './discovery-extras.ts';
import { gatewayOutboxWorker } from './outbox-handlers.ts';
import { demoMerchantRegistrations, receiptDelivery } from './payments.ts';
import { relayLinkNotices } from './relay-events.ts';
import { startScreeningJobs } from './screening-jobs.ts';
import { DEMO_SCREENING_RULES } from './screening-rules.ts';
import { gatewayScreening } from './screening-service.ts';
import { bankSealers, gatewaySealingPool } from './sealers.ts';
import {
  bankLogSigner,
  consentAuditSink,
  logMetrics,
  openBankLogs,
  releaseAlarm,
  type TransparencyConfig,
  TransparencyEvents,
  witnessAlarm,
} from './transparency.ts';

export const VERSION = '0.1.0';

export interface RunningGateway {
  app: FastifyInstance;
  url: string;
  database: Database;
  keyStore: KeyStore;
  banks: Bank[];
  tokens: BearerTokenAccess;
  /** The consent context (authorization servers, consent records, DPoP data-API access). */
  consent: ConsentService;
  /** The release path every datum leaves through (observe its steps with `observe`). */
  release: ReleasePath;
  logs: ReadonlyMap<string, TransparencyLog>;
  audit: AuditTrail;
  /** The local demo witness, when one was started. */
  witness: RunningWitness | undefined;
  transparency: TransparencyConfig;
  core(bankId: string): BankCore;
  /** The screening engine and its alert queue. */
  screening: ScreeningService;
  /** Checkout: payment consents, payments, refunds, funds attestations. */
  payments: PaymentService;
  /** Per-bank keys for the authorisation ingest endpoint. */
  ingestKeys: ReadonlyMap<string, string>;
  /** Where to push sealed alerts (the platform's relay webhook), once it is known. */
  connectRelay(webhook: RelayWebhook): void;
  /** Pushes owed to the relay (enqueueRelayPush in src/alerts), delivered by `outboxWorker`. */
  outbox: Outbox;
  outboxWorker: OutboxWorker;
  /**
   * The core's booked hook: code that books a payment (checkout, transfers) calls
   * `bookings.booked(trx, [...])` in its transaction; purchase notifications listen to it.
   */
  bookings: CoreBookings;
  close(): Promise<void>;
}

export interface RuntimeOptions {
  kek?: KeyEncryptionKey;
  logStream?: NodeJS.WritableStream;
  /** Open this database instead of the configured one (tests). */
  database?: Database;
  /** Database for the local demo witness (tests pass an in-memory one). */
  witnessDatabase?: Database;
  /** Platforms registered with every bank; default: the demo platform, keys in the data folder. */
  platforms?: PlatformRegistration[];
  /** Where consent lifecycle events go; default: the bank's transparency log. */
  consentEvents?: ConsentEvents;
  /** Where answers to "Was this you?" go (the screening context). */
  alerts?: AlertReplies;
  /** Merchants registered with every bank; default: the demo merchants, keys in the data folder. */
  merchants?: MerchantRegistration[];
}

/** Witnesses from configuration, or a local demo witness following every bank's log. */
async function witnessesFor(
  config: GatewayConfig,
  keyStore: KeyStore,
  banks: Bank[],
  options: RuntimeOptions,
): Promise<{ transparency: TransparencyConfig; witness: RunningWitness | undefined }> {
  const base = {
    originHost: config.logOriginHost,
    witnessAlarmSeconds: config.witnessAlarmSeconds,
    uncosignedLimitSeconds: config.uncosignedLimitSeconds,
  };
  if (config.witnesses.length || !config.demoWitness) {
    return {
      transparency: { ...base, witnesses: config.witnesses, quorum: config.witnessQuorum },
      witness: undefined,
    };
  }
  const logKeys = await Promise.all(
    banks.map(async (b) => (await bankLogSigner(keyStore, config.logOriginHost, b.id)).verifierKey),
  );
  const witness = await startWitness(
    {
      name: `witness.${config.logOriginHost}`,
      dataDir: join(config.dataDir, 'witness'),
      databaseUrl: undefined,
      host: config.host,
      port: 0,
      logKeys,
      logLevel: config.logLevel === 'silent' ? false : 'warn',
    },
    options.witnessDatabase,
  );
  return {
    transparency: {
      ...base,
      witnesses: [{ url: witness.submissionUrl, verifierKey: witness.verifierKey }],
      quorum: 1,
    },
    witness,
  };
}

/** Migrates and makes sure every demo bank exists with its keys. Idempotent, safe from several instances. */
export async function prepareStorage(database: Database, keyStore: KeyStore): Promise<Bank[]> {
  await migrate(database);
  const directory = new BankDirectory(database);
  for (const bank of DEMO_BANKS) {
    await directory.ensure({ id: bank.id, name: bank.name });
    await keyStore.ensureKeys(bank.id);
  }
  return directory.list();
}

export async function openStorage(config: GatewayConfig): Promise<Database> {
  return openDatabase({
    url: config.databaseUrl,
    dataDir: join(config.dataDir, 'pgdata'),
    vacuumEveryMs: EMBEDDED_VACUUM_MS,
  });
}

export async function startGateway(
  config: GatewayConfig,
  options: RuntimeOptions = {},
): Promise<RunningGateway> {
  const database = options.database ?? (await openStorage(config));
  const kek = options.kek ?? KeyEncryptionKey.load(process.env, config.dataDir);
  const keyStore = new KeyStore(database, kek);
  const banks = await prepareStorage(database, keyStore);
  const cores = new Map(banks.map((b) => [b.id, new SqlBankCore(database, b.id)]));
  const tokens = new BearerTokenAccess(database);
  const { transparency, witness } = await witnessesFor(config, keyStore, banks, options);
  const transparencyEvents = new TransparencyEvents();
  const logs = await openBankLogs(
    database,
    keyStore,
    banks,
    transparency,
    transparencyEvents.witnessFailure,
    transparencyEvents.witnessSuperseded,
  );
  const audit = new AuditTrail(database, kek, logs, {
    ...transparencyEvents.policy(transparency),
    admission: withPaymentAdmission(admitReleasesInBatch),
  });
  let url = config.publicUrl ?? '';
  const platforms = options.platforms ?? [
    {
      clientId: DEMO_PLATFORM.clientId,
      tradingName: DEMO_PLATFORM.tradingName,
      redirectUris: [DEMO_PLATFORM.redirectUri, `${config.relayUrl}/link/callback`],
      jwks: { keys: [(await loadOrCreatePlatformKeys(config.dataDir)).publicJwk] },
    },
  ];
  const merchants = options.merchants ?? (await demoMerchantRegistrations(config.dataDir));
  await ensureMerchantAccounts(
    database,
    banks.map((b) => b.id),
    merchants,
  );
  const bankMap = new Map(banks.map((b) => [b.id, b]));
  const core = (bankId: string) => {
    const c = cores.get(bankId);
    if (!c) throw new Error(`no core for bank ${bankId}`);
    return c;
  };
  // Pushes to the platform's relay leave through the outbox, out of the request path.
  const outbox = new Outbox(database);
  // Late-bound: the sink needs the service's pairwise subjects, the service needs the sink.
  let consentRef: ConsentService | undefined;
  const consentEvents =
    options.consentEvents ??
    consentAuditSink(
      audit,
      (bankId, platform, customerId) => consentRef!.pairwiseSubject(bankId, platform, customerId),
      (event, error) =>
        app.log.error(
          { err: error, bank: event.bankId, kind: event.kind },
          'consent event not logged; the consent ended anyway',
        ),
    );
  const consent = new ConsentService({
    database,
    keyStore,
    kek,
    banks: bankMap,
    core,
    publicUrl: () => url,
    platforms,
    merchants,
    policy: await createPolicyEngine(),
    // Ended links are also announced to the platform's relay, so the chat shows them at once.
    events: relayLinkNotices(consentEvents, {
      relay: () => relayWebhook,
      pairwiseSubject: (bankId, platform, customerId) =>
        consentRef!.pairwiseSubject(bankId, platform, customerId),
      consent: (id) => consentRef!.store.get(id),
      push: async (bankId, body) =>
        void (await outbox.enqueue({ topic: RELAY_PUSH_TOPIC, bankId, payload: { body } })),
      onError: (error, event) =>
        app.log.warn({ err: error, bank: event.bankId }, 'link end not announced to the relay'),
    }),
    accessHistory: (bankId, customerId) => audit.history(bankId, customerId),
    logVerifierKey: (bankId) => logs.get(bankId)?.verifierKey,
  });
  consentRef = consent;
  // Fraud screening and the alert loop: alerts for customers with a fraud_alerts consent go
  // sealed to their device through the platform's relay; everyone else's stay in the bank queue.
  let relayWebhook: RelayWebhook | undefined = config.relayAppSecrets.size
    ? { url: `${config.relayUrl}/webhook`, secret: (bankId) => config.relayAppSecrets.get(bankId) ?? '' }
    : undefined;
  // What the outbox seals in bulk (alerts, purchase notifications) goes to worker threads.
  const sealingPool = gatewaySealingPool(() => app.log);
  const sealers = bankSealers(keyStore, sealingPool);
  // The one path by which the bank's data leaves (OB routes, bot, alert sink, checkout: the
  // merchant's confirmations are signed by the bank's ES256 key under its payment consent).
  const release = new ReleasePath({
    consent,
    audit,
    core,
    sealers,
    signers: es256Signers(keyStore),
    paymentConsents: paymentConsentSource(database),
  });
  const sink = new DeviceAlertSink({
    consent,
    release,
    relay: () => relayWebhook,
    outbox: true,
    onError: (error) =>
      app.log.warn({ err: error }, 'alert not pushed to the device; it stays in the bank queue'),
  });
  const { screening, models, cards, bookings } = gatewayScreening({ database, cores, sink });
  const outboxWorker = gatewayOutboxWorker({
    database,
    sink,
    screening,
    consent,
    release,
    core,
    relay: () => relayWebhook,
    log: () => app.log,
  });
  const ingestKeys = config.ingestKeys.size
    ? config.ingestKeys
    : new Map(
        await Promise.all(
          banks.map(
            async (b) => [b.id, (await consent.secret(b.id, 'ingest')).toString('base64url')] as const,
          ),
        ),
      );
  const payments = new PaymentService({
    database,
    consent,
    core,
    audit,
    keyStore,
    merchants,
    release,
    deliverReceipt: receiptDelivery({ release, outbox }),
    onBackgroundError: (error, what) => app.log.warn({ err: error, what }, 'checkout background work failed'),
  });
  consent.linkPayments = payments.linkPayments();
  const bot = new BankBot({
    consent,
    release,
    keyStore,
    alerts: options.alerts ?? screeningReplies(screening),
  });
  const app = await buildGateway({
    database,
    keyStore,
    version: VERSION,
    get publicUrl() {
      return url;
    },
    banks: bankMap,
    core,
    access: consent.access,
    release,
    consent,
    payments,
    bot,
    screening: {
      service: screening,
      ingestKeys,
      staffKeys: config.staffKeys.size ? config.staffKeys : ingestKeys,
      cards,
    },
    audit,
    logs,
    readiness: [witnessAlarm(logs, transparency), releaseAlarm(logs, transparency)],
    discovery: gatewayDiscovery(config.relayUrl, logs, transparency, () => url),
    logLevel: config.logLevel === 'silent' ? false : config.logLevel,
    ...(options.logStream ? { logStream: options.logStream } : {}),
  });
  logMetrics(app.metricsRegistry, logs);
  transparencyEvents.attach(app.log, app.metricsRegistry);
  screeningMetrics(app.metricsRegistry, database, models);
  outboxMetrics(app.metricsRegistry, database);
  // First start: each bank's own screening model, trained on its core's history (see docs/screening.md).
  await trainMissingBankModels(
    database,
    models,
    banks.map((b) => ({ id: b.id, currency: regionFor(b.id).currency })),
    { seed: config.seed, rules: DEMO_SCREENING_RULES, log: (m) => app.log.info(m) },
  );
  const listening = await app.listen(listenOptions(config));
  if (!config.publicUrl) url = listening.replace('[::1]', 'localhost');
  consent.startJobs();
  payments.startJobs(app.log);
  await outboxWorker.start();
  const stopScreeningJobs = startScreeningJobs(screening, config.alertReplySeconds);
  const nats = config.natsUrl
    ? await startNatsIngest({
        servers: config.natsUrl,
        bankIds: banks.map((b) => b.id),
        service: screening,
        registry: app.metricsRegistry,
        onError: (error) => app.log.warn({ err: error }, 'authorisation ingest error'),
      })
    : undefined;
  return {
    app,
    url,
    database,
    keyStore,
    banks,
    tokens,
    consent,
    release,
    logs,
    audit,
    witness,
    transparency,
    core,
    screening,
    payments,
    ingestKeys,
    connectRelay(webhook) {
      relayWebhook = webhook;
      outboxWorker.wake();
    },
    outbox,
    outboxWorker,
    bookings,
    async close() {
      consent.stop();
      payments.stop();
      await outboxWorker.stop();
      await sealingPool.close();
      stopScreeningJobs();
      await nats?.close();
      await app.close();
      for (const log of logs.values()) await log.close();
      await witness?.close();
      if (!options.database) await database.close();
    },
  };
}
