#!/usr/bin/env node
// `proviso`: one command for running and operating the system.
// Exit codes: 0 done, 1 failed, 2 usage error, 3 configuration error.
import { parseArgs } from 'node:util';
import { ConfigError, readConfig } from '../gateway/config.ts';
import { openStorage, prepareStorage, VERSION } from '../gateway/runtime.ts';
import { type KeyAlg, KeyEncryptionKey, type KeyPurpose, KeyStore } from '../keys/index.ts';
import { RelayConfigError, readRelayConfig, startRelay } from '../relay/index.ts';
import { migrate } from '../storage/index.ts';
import { runDemoAlert } from './demo-alert.ts';
import { gatewayLocation } from './gateway-url.ts';
import { demoOneTimeCode } from './otp.ts';
import { screeningCommands } from './screening.ts';
import { DEMO_BANK_IDS, runSeed, todayUtc } from './seed.ts';
import { runStart } from './start.ts';
import { DEFAULT_FULL_CHECK_LIMIT, DiscoveryError, runVerify, runWitness } from './transparency.ts';

class UsageError extends Error {
  override name = 'UsageError';
}

interface Command {
  summary: string;
  usage: string;
  options: NonNullable<Parameters<typeof parseArgs>[0]>['options'];
  run(values: Record<string, unknown>, positionals: string[]): Promise<number | undefined>;
}

const ENVIRONMENT = `Environment:
  PROVISO_DATA   data folder for the embedded database and local keys (default ./.proviso)
  DATABASE_URL   postgres:// URL; when set, PostgreSQL is used instead of the embedded database
  PROVISO_KEK    base64url 32-byte key-encryption key (default: generated in the data folder)
  HOST, PORT     where the gateway listens (default 127.0.0.1:4100)
  PROVISO_INSTANCES  gateway processes sharing that port (default 1; above 1 needs DATABASE_URL)
  LOG_LEVEL      pino level or 'silent' (default info; 'proviso start' prints warn and above)
  PROVISO_LOG_FILE  'proviso start' appends its request logs there (level info unless LOG_LEVEL)`;

const commands: Record<string, Command> = {
  start: {
    summary: 'migrate, seed the demo banks if empty, and serve the whole system',
    usage: 'proviso start [--customers N] [--days D] [--seed S]',
    options: {
      customers: { type: 'string' },
      days: { type: 'string' },
      seed: { type: 'string' },
    },
    run: (values) =>
      runStart(
        {
          customers: optionalInt(values['customers'], 'customers'),
          days: optionalInt(values['days'], 'days'),
          seed: optionalInt(values['seed'], 'seed'),
        },
        waitForSignal,
      ),
  },
  migrate: {
    summary: 'bring the database schema up to date',
    usage: 'proviso migrate',
    options: {},
    async run() {
      const database = await openStorage(readConfig());
      try {
        const applied = await migrate(database);
        process.stdout.write(applied.length ? `applied: ${applied.join(', ')}\n` : 'schema is up to date\n');
      } finally {
        await database.close();
      }
      return 0;
    },
  },
  seed: {
    summary: "fill a bank's simulated core with customers (resumes; never duplicates)",
    usage: 'proviso seed [--bank ID] [--customers N] [--days D] [--seed S] [--end YYYY-MM-DD]',
    options: {
      bank: { type: 'string', multiple: true },
      customers: { type: 'string' },
      days: { type: 'string' },
      seed: { type: 'string' },
      end: { type: 'string' },
    },
    async run(values) {
      const config = readConfig();
      const bankIds = (values['bank'] as string[] | undefined) ?? DEMO_BANK_IDS;
      for (const id of bankIds)
        if (!DEMO_BANK_IDS.includes(id))
          throw new UsageError(`unknown bank '${id}'; known: ${DEMO_BANK_IDS.join(', ')}`);
      let end = todayUtc();
      if (values['end'] !== undefined) {
        end = new Date(`${String(values['end'])}T00:00:00Z`);
        if (Number.isNaN(end.getTime())) throw new UsageError('--end must be a date YYYY-MM-DD');
      }
      const database = await openStorage(config);
      try {
        await prepareStorage(
          database,
          new KeyStore(database, KeyEncryptionKey.load(process.env, config.dataDir)),
        );
        await runSeed(database, {
          bankIds,
          customers: intOption(values['customers'], config.seedCustomers, 'customers'),
          days: intOption(values['days'], config.seedDays, 'days'),
          seed: intOption(values['seed'], config.seed, 'seed'),
          end,
        });
      } finally {
        await database.close();
      }
      return 0;
    },
  },
  keys: {
    summary: "list or rotate banks' keys",
    usage:
      'proviso keys list [--bank ID]\n       proviso keys rotate --bank ID --purpose sign|log|seal --alg EdDSA|ES256|X25519',
    options: { bank: { type: 'string' }, purpose: { type: 'string' }, alg: { type: 'string' } },
    async run(values, positionals) {
      const action = positionals[0];
      if (action !== 'list' && action !== 'rotate') throw new UsageError("say 'keys list' or 'keys rotate'");
      const config = readConfig();
      const database = await openStorage(config);
      try {
        const store = new KeyStore(database, KeyEncryptionKey.load(process.env, config.dataDir));
        await prepareStorage(database, store);
        const bank = values['bank'] as string | undefined;
        if (action === 'rotate') {
          const purpose = values['purpose'] as KeyPurpose | undefined;
          const alg = values['alg'] as KeyAlg | undefined;
          if (!bank || !purpose || !alg)
            throw new UsageError('keys rotate needs --bank, --purpose and --alg');
          const valid = (await store.list(bank)).some((k) => k.purpose === purpose && k.alg === alg);
          if (!valid) throw new UsageError(`bank '${bank}' has no ${purpose} ${alg} key to rotate`);
          const key = await store.rotate(bank, purpose, alg);
          process.stdout.write(`rotated: ${bank} ${purpose} ${alg} → ${key.kid}\n`);
          return 0;
        }
        const rows = await store.list(bank);
        process.stdout.write(
          `${'bank'.padEnd(12)}${'purpose'.padEnd(9)}${'alg'.padEnd(8)}${'status'.padEnd(9)}${'created'.padEnd(26)}kid\n`,
        );
        for (const k of rows) {
          process.stdout.write(
            `${k.bankId.padEnd(12)}${k.purpose.padEnd(9)}${k.alg.padEnd(8)}${k.status.padEnd(9)}${k.createdAt.toISOString().padEnd(26)}${k.kid}\n`,
          );
        }
      } finally {
        await database.close();
      }
      return 0;
    },
  },
};

Object.assign(commands, {
  relay: {
    summary: "run the messaging platform's relay and web chat on its own (ciphertext only)",
    usage:
      'proviso relay\n  env: RELAY_PORT (4200), RELAY_PUBLIC_URL, PROVISO_GATEWAY_URL, RELAY_DATABASE_URL, RELAY_CLIENT_ID, RELAY_CLIENT_KEY_DIR',
    options: {},
    async run() {
      const relay = await startRelay(readRelayConfig());
      const stopped = waitForSignal(); // listening before saying so (see start.ts)
      process.stdout.write(
        `relay listening\n  chat ${relay.url}/\n  webhook ${relay.info.webhook_url}\n  API reference ${relay.url}/docs\n`,
      );
      await stopped;
      await relay.close();
      return 0;
    },
  },
  witness: {
    summary: "run a witness (C2SP tlog-witness) for banks' transparency logs",
    usage:
      'proviso witness [--gateway URL] [--log-key VERIFIER_KEY ...] [--name NAME] [--data DIR] [--port N]\n' +
      '  follows every log the gateway publishes (and any --log-key); keeps its key and state in --data',
    options: {
      gateway: { type: 'string' },
      'log-key': { type: 'string', multiple: true },
      name: { type: 'string' },
      data: { type: 'string' },
      port: { type: 'string' },
    },
    async run(values) {
      const config = readConfig();
      const running = await runWitness({
        gateway: values['gateway'] as string | undefined,
        logKeys: (values['log-key'] as string[] | undefined) ?? [],
        name: (values['name'] as string | undefined) ?? `witness.${config.logOriginHost}`,
        dataDir: (values['data'] as string | undefined) ?? `${config.dataDir}/witness-standalone`,
        host: config.host,
        port: intOption(values['port'], 4300, 'port'),
      });
      const stopped = waitForSignal(); // listening before saying so (see start.ts)
      process.stdout.write(
        `witness ${running.verifierKey.split('+')[0]} listening\n  submit checkpoints to ${running.submissionUrl}/add-checkpoint\n` +
          `  verifier key ${running.verifierKey}\n  configure a gateway with PROVISO_WITNESSES='${running.submissionUrl}|${running.verifierKey}'\n`,
      );
      await stopped;
      await running.close();
      return 0;
    },
  },
  verify: {
    summary:
      "check a bank's log: signatures, witness quorum, consistency with what you saw before, inclusion",
    usage:
      'proviso verify --gateway URL --bank ID [--entry N ...] [--witness-key KEY ...] [--quorum K] [--state DIR]\n' +
      '               [--full | --quick] [--full-limit N]\n' +
      '  full check (default up to --full-limit entries, PROVISO_VERIFY_FULL_LIMIT, 1000000): every entry\n' +
      '  bundle fetched, every tile and the root recomputed; --quick checks only signatures and proofs\n' +
      '  exit 0 verified, 1 failed (bad signature, too few cosignatures, split view, entry not included,\n' +
      '  an entry changed or missing)',
    options: {
      gateway: { type: 'string' },
      bank: { type: 'string' },
      entry: { type: 'string', multiple: true },
      'witness-key': { type: 'string', multiple: true },
      quorum: { type: 'string' },
      state: { type: 'string' },
      full: { type: 'boolean' },
      quick: { type: 'boolean' },
      'full-limit': { type: 'string' },
    },
    async run(values) {
      const gateway = values['gateway'] as string | undefined;
      if (values['full'] && values['quick']) throw new UsageError('give --full or --quick, not both');
      const bankId = values['bank'] as string | undefined;
      if (!gateway || !bankId) throw new UsageError('verify needs --gateway URL and --bank ID');
      const { report, text } = await runVerify({
        gateway,
        bankId,
        stateDir: (values['state'] as string | undefined) ?? `${readConfig().dataDir}/verifier`,
        witnessKeys: (values['witness-key'] as string[] | undefined) ?? [],
        quorum: values['quorum'] === undefined ? undefined : intOption(values['quorum'], 0, 'quorum'),
        entries: ((values['entry'] as string[] | undefined) ?? []).map((e) => intOption(e, 0, 'entry')),
        full: values['full'] ? 'always' : values['quick'] ? 'never' : 'auto',
        fullLimit: intOption(
          values['full-limit'] ?? process.env['PROVISO_VERIFY_FULL_LIMIT'],
          DEFAULT_FULL_CHECK_LIMIT,
          'full-limit',
        ),
        progress: true,
      });
      process.stdout.write(`${text}\n`);
      return report.ok ? 0 : 1;
    },
  },
} satisfies Record<string, Command>);

// Fraud screening: train, score, replay, screen (src/cli/screening.ts).
Object.assign(commands, screeningCommands);
Object.assign(commands, {
  'demo-alert': {
    summary:
      "show the fraud-alert loop: a customer's usual payments, then a fraudulent one, to the running gateway",
    usage:
      'proviso demo-alert [--bank ID] [--customer USERNAME] [--amount 2499.00] [--gateway URL]\n' +
      '  the gateway: --gateway, else PROVISO_PUBLIC_URL, else HOST/PORT (as start reads them), else the\n' +
      '  address the running `proviso start` on this data folder (PROVISO_DATA) recorded, else http://127.0.0.1:4100',
    options: {
      bank: { type: 'string' },
      customer: { type: 'string' },
      amount: { type: 'string' },
      gateway: { type: 'string' },
    },
    async run(values) {
      const config = readConfig();
      const amount = (values['amount'] as string | undefined) ?? '2499.00';
      if (!/^\d{1,9}\.\d{2}$/.test(amount)) throw new UsageError('--amount is a decimal like 2499.00');
      const gateway = gatewayLocation(values['gateway'] as string | undefined, config);
      process.stderr.write(`gateway ${gateway.url} (from ${gateway.from})\n`);
      const text = await runDemoAlert(config, {
        gateway: gateway.url,
        bankId: (values['bank'] as string | undefined) ?? 'northwind',
        username: (values['customer'] as string | undefined) ?? 'demo',
        amount,
      });
      process.stdout.write(`${text}\n`);
      return 0;
    },
  },
} satisfies Record<string, Command>);

Object.assign(commands, {
  otp: {
    summary: "a demo customer's current one-time code (TOTP) for the bank's login page",
    usage: 'proviso otp [--bank ID] [--user USERNAME]   (default: northwind, demo)',
    options: { bank: { type: 'string' }, user: { type: 'string' } },
    async run(values) {
      const bankId = (values['bank'] as string | undefined) ?? 'northwind';
      if (!DEMO_BANK_IDS.includes(bankId))
        throw new UsageError(`unknown bank '${bankId}'; known: ${DEMO_BANK_IDS.join(', ')}`);
      const { code, validForSeconds } = demoOneTimeCode(
        bankId,
        (values['user'] as string | undefined) ?? 'demo',
      );
      process.stdout.write(`${code}\n`);
      process.stderr.write(`valid about ${validForSeconds} s more, once; run again for a fresh one\n`);
      return 0;
    },
  },
} satisfies Record<string, Command>);

const optionalInt = (value: unknown, name: string): number | undefined =>
  value === undefined ? undefined : intOption(value, 0, name);

function intOption(value: unknown, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`--${name} must be a non-negative integer`);
  return n;
}

/**
 * Resolves on the first Ctrl-C or SIGTERM, then keeps handling signals so that a duplicate
 * (npm forwards the one the terminal already sent) cannot kill the process halfway through
 * closing its database; a person's second Ctrl-C, a few seconds later, stops it at once.
 */
function waitForSignal(): Promise<void> {
  return new Promise((resolve) => {
    let first: number | undefined;
    const onSignal = () => {
      if (first === undefined) {
        first = Date.now();
        resolve();
      } else if (Date.now() - first > 2000) {
        process.stderr.write('stopped without finishing the shutdown\n');
        process.exit(130);
      }
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}

function mainHelp(): string {
  const width = Math.max(...Object.keys(commands).map((c) => c.length)) + 2;
  return [
    `proviso ${VERSION}: bank data in a messaging app, sealed to the device, purpose-bound, verifiable`,
    '',
    'Usage: proviso <command> [options]   (proviso <command> --help for more)',
    '',
    'Commands:',
    ...Object.entries(commands).map(([name, c]) => `  ${name.padEnd(width)}${c.summary}`),
    '',
    ENVIRONMENT,
    '',
    'Exit codes: 0 done, 1 failed, 2 usage error, 3 configuration error',
  ].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(`${mainHelp()}\n`);
    return name ? 0 : 2;
  }
  if (name === '--version') {
    process.stdout.write(`${VERSION}\n`);
    return 0;
  }
  const command = commands[name];
  if (!command) throw new UsageError(`unknown command '${name}'`);
  const { values, positionals } = parseArgs({
    args: rest,
    options: { ...command.options, help: { type: 'boolean', short: 'h' } },
    allowPositionals: true,
    strict: true,
  });
  if (values['help']) {
    process.stdout.write(`${command.summary}\n\nUsage: ${command.usage}\n\n${ENVIRONMENT}\n`);
    return 0;
  }
  return (await command.run(values, positionals)) ?? 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`proviso: ${(error as Error).message}\nRun 'proviso --help' for usage.\n`);
      process.exit(2);
    }
    if (error instanceof DiscoveryError) {
      process.stderr.write(`proviso: ${error.message}\n`);
      process.exit(1);
    }
    if (error instanceof ConfigError || error instanceof RelayConfigError) {
      process.stderr.write(`proviso: configuration error: ${error.message}\n`);
      process.exit(3);
    }
    process.stderr.write(`proviso: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
