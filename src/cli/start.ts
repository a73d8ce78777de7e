// `proviso start`: migrate, seed the demo banks if empty, and serve the gateway (with its demo
// witness) and the reference platform's relay and web chat; prints what a person needs.
import { createWriteStream, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEMO_PASSWORD, DEMO_TOTP_SECRET } from '../consent/index.ts';
import { readConfig } from '../gateway/config.ts';
import { openStorage, prepareStorage, startGateway, VERSION } from '../gateway/runtime.ts';
import { KeyEncryptionKey, KeyStore } from '../keys/index.ts';
import { readMerchantConfig, startMerchants } from '../merchant/index.ts';
import { DEMO_PLATFORM } from '../platform-client/index.ts';
import { readRelayConfig, startRelay } from '../relay/index.ts';
import { recordGatewayUrl } from './gateway-url.ts';
import { sharedFrom, startExtraInstances } from './instances.ts';
import { demoOneTimeCode, FRESH_CODE_HINT } from './otp.ts';
import { DEMO_BANK_IDS, runSeed, todayUtc } from './seed.ts';

export interface StartOptions {
  /** Seeding; undefined: the configured default. */
  customers?: number | undefined;
  days?: number | undefined;
  seed?: number | undefined;
}

export async function runStart(options: StartOptions, untilStopped: () => Promise<void>): Promise<number> {
  // The terminal is for people: request logs only from warn up unless LOG_LEVEL says
  // otherwise; PROVISO_LOG_FILE takes the full logs instead.
  const logFile = process.env['PROVISO_LOG_FILE'] || undefined;
  const logLevel = process.env['LOG_LEVEL'] || (logFile ? 'info' : 'warn');
  const logStream = logFile ? createWriteStream(logFile, { flags: 'a' }) : undefined;
  const config = { ...readConfig(), logLevel };
  const customers = options.customers ?? config.seedCustomers;
  const database = await openStorage(config);
  const kek = KeyEncryptionKey.load(process.env, config.dataDir);
  const keyStore = new KeyStore(database, kek);
  await prepareStorage(database, keyStore);
  await runSeed(database, {
    bankIds: DEMO_BANK_IDS,
    customers,
    days: options.days ?? config.seedDays,
    seed: options.seed ?? config.seed,
    end: todayUtc(),
  });
  const gw = await startGateway(config, { kek, database, ...(logStream ? { logStream } : {}) });
  const forgetUrl = recordGatewayUrl(config.dataDir, gw.url);
  // The reference messaging platform's relay and web chat, on its own port and database.
  const relayConfig = { ...readRelayConfig({ ...process.env, PROVISO_GATEWAY_URL: gw.url }), logLevel };
  const relay = await startRelay(relayConfig, logStream ? { logStream } : {});
  gw.connectRelay({ url: relay.info.webhook_url, secret: (bankId) => relay.webhookSecret(bankId) });
  // The demo merchants: a separate party (own port, database and keys) paid at the banks.
  const shops = await startMerchants(
    {
      ...readMerchantConfig({ ...process.env, PROVISO_GATEWAY_URL: gw.url, PROVISO_RELAY_URL: relay.url }),
      logLevel,
    },
    logStream ? { logStream } : {},
  );
  // PROVISO_INSTANCES: more gateway processes on the same port and database (PostgreSQL only).
  const extra =
    config.instances > 1
      ? await startExtraInstances(config.instances - 1, {
          ...sharedFrom(gw),
          relay: {
            url: relay.url,
            secrets: new Map(gw.banks.map((b) => [b.id, relay.webhookSecret(b.id)])),
          },
          env: { LOG_LEVEL: logLevel },
        })
      : undefined;
  // Ingest keys are credentials: they go to an owner-only file, never to the terminal or logs.
  const keysFile = join(config.dataDir, 'ingest-keys.txt');
  writeFileSync(keysFile, [...gw.ingestKeys].map(([bank, key]) => `${bank}:${key}\n`).join(''), {
    mode: 0o600,
  });
  const oneTimeCode = demoOneTimeCode(gw.banks[0]?.id ?? 'northwind', 'demo');
  const lines = [
    '',
    `Proviso ${VERSION} is running (${database.location})${extra ? `, ${config.instances} gateway instances on one port` : ''}`,
    `  discovery       ${gw.url}/.well-known/proviso`,
    `  API reference   ${gw.url}/docs   (OpenAPI: ${gw.url}/openapi.json)`,
    `  health          ${gw.url}/healthz   metrics ${gw.url}/metrics`,
    ...gw.banks.map((b) => `  ${b.name.padEnd(16)}${gw.url}/banks/${b.id}/open-banking/v3.1/aisp/accounts`),
  ];
  lines.push(
    '',
    'The data API takes DPoP-bound consent tokens only (FAPI 2.0). Link a customer from a platform:',
    ...gw.banks.map(
      (b) =>
        `  ${b.name.padEnd(16)}issuer ${gw.url}/banks/${b.id}   connected apps ${gw.url}/banks/${b.id}/connected-apps`,
    ),
    `Demo customer at every bank: username "demo", password "${DEMO_PASSWORD}",`,
    `  one-time code from TOTP secret ${DEMO_TOTP_SECRET} in any authenticator app; now ${oneTimeCode.code}`,
    `  (valid about ${oneTimeCode.validForSeconds} s, once; ${FRESH_CODE_HINT})`,
    `Demo platform "${DEMO_PLATFORM.tradingName}": client_id ${DEMO_PLATFORM.clientId}, key ${config.dataDir}/platform-demo.jwk.json`,
  );
  lines.push(
    '',
    `Chat (reference platform, sees only ciphertext)   ${relay.url}/`,
    `  relay API ${relay.url}/docs   webhook ${relay.url}/webhook`,
    `Transparency logs: ${gw.url}/banks/<bank>/log/checkpoint   check one: proviso verify --gateway ${gw.url} --bank ${gw.banks[0]?.id ?? 'northwind'}`,
    `Access history for customers: ${gw.url}/banks/<bank>/connected-apps`,
    `Fraud screening: POST authorisations to ${gw.url}/banks/<bank>/screening/authorisations`,
    `  (Bearer ingest key, one per bank in ${keysFile}, owner-only); investigator view`,
    ...gw.banks.map(
      (b) =>
        `  ${b.name.padEnd(16)}${gw.url}/banks/${b.id}/investigator (user ${b.id}, password: its ingest key)`,
    ),
  );
  lines.push(
    '',
    `Demo merchants (their own party: shop in the chat, paid at your bank)   ${shops.url}/merchants`,
    ...shops.merchants.map(
      (m) =>
        `  ${m.name.padEnd(16)}${shops.url}/merchants/${m.id}   keys ${shops.url}/merchants/${m.id}/jwks.json (kid ${shops.secrets.keys.get(m.id)?.publicJwk.kid})`,
    ),
    `  orders pages ${shops.url}/merchants/<merchant>/staff/orders (user: the merchant id, password in ${shops.secrets.staffFile})`,
    `  API reference ${shops.url}/docs`,
  );
  lines.push(
    '',
    logFile
      ? `Request logs (${logLevel}) go to ${logFile}.`
      : `Logs here: ${logLevel} and above (LOG_LEVEL=info for every request, or PROVISO_LOG_FILE=FILE).`,
    'Press Ctrl-C to stop.',
    '',
  );
  // Listen for Ctrl-C before the banner says "Press Ctrl-C": the first SIGINT listener takes a
  // moment to install, and a signal sent the instant the banner appears (a script, or a quick
  // person) would otherwise still find the default action and kill the process mid-sentence.
  const stopped = untilStopped();
  process.stdout.write(lines.join('\n'));
  await stopped;
  process.stderr.write('stopping…\n');
  forgetUrl();
  await shops.close();
  await extra?.close();
  await relay.close();
  await gw.close();
  await database.close();
  logStream?.end();
  return 0;
}
