// `proviso train | score | replay | screen`: the fraud screening commands, registered in main.ts.
//   train   trains a model from a labelled CSV (the shared data set's columns)
//   score   scores a CSV in time order: TRANSACTION_ID,score
//   replay  streams a CSV's authorisations at a chosen rate to NATS or to the HTTP ingest
//   screen  runs the NATS consumer (screening worker) against DATABASE_URL / PROVISO_DATA
import { readFileSync } from 'node:fs';
import type { parseArgs } from 'node:util';
import { regionFor } from '../bank/index.ts';
import { readConfig } from '../gateway/config.ts';
import { openStorage } from '../gateway/runtime.ts';
import { DEMO_SCREENING_RULES } from '../gateway/screening-rules.ts';
import {
  authorisationSubject,
  coreCardPayments,
  loadScreeningModel,
  ModelRegistry,
  natsPublisher,
  readFraudSimCsv,
  SCORE_USAGE,
  ScreeningService,
  scoreCommand,
  startNatsIngest,
  TRAIN_USAGE,
  trainCommand,
  trainFromCore,
} from '../screening/index.ts';
import { migrate, openDatabase } from '../storage/index.ts';
import { progressBar } from './progress.ts';

interface ScreeningCommand {
  summary: string;
  usage: string;
  options: NonNullable<Parameters<typeof parseArgs>[0]>['options'];
  run(values: Record<string, unknown>, positionals: string[]): Promise<number | undefined>;
}

const io = { stdout: process.stdout, stderr: process.stderr, progress: progressBar };

/** Rebuilds the argv the screening module parses itself (it owns those options). */
function argvOf(values: Record<string, unknown>, positionals: string[]): string[] {
  const argv = [...positionals];
  for (const [name, value] of Object.entries(values)) {
    if (name === 'help' || value === undefined) continue;
    argv.push(`--${name}`, String(value));
  }
  return argv;
}

const BANK_TRAIN_USAGE =
  "proviso train --bank ID [--trees 150] [--rollback]   (the bank's own model from its core, into the database; --rollback puts the previous version back)";

export const DEFAULT_NATS_URL = 'nats://127.0.0.1:4222';

export const screeningCommands: Record<string, ScreeningCommand> = {
  train: {
    summary: "train a fraud screening model: a bank's own from its core (--bank), or from a labelled CSV",
    usage: `${BANK_TRAIN_USAGE}\n${TRAIN_USAGE}`,
    options: {
      out: { type: 'string' },
      'label-delay': { type: 'string' },
      'warmup-days': { type: 'string' },
      trees: { type: 'string' },
      bank: { type: 'string' },
      rollback: { type: 'boolean' },
    },
    run: (values, positionals) =>
      values['bank'] === undefined
        ? trainCommand(argvOf(values, positionals), io)
        : trainBankCommand(values['bank'] as string, {
            rollback: values['rollback'] === true,
            ...(values['trees'] === undefined ? {} : { trees: numberOption(values['trees'], 'trees') }),
          }),
  },
  score: {
    summary: 'score a CSV in time order with a model: TRANSACTION_ID,score per row',
    usage: SCORE_USAGE,
    options: { model: { type: 'string' }, 'label-delay': { type: 'string' }, out: { type: 'string' } },
    run: (values, positionals) => scoreCommand(argvOf(values, positionals), io),
  },
  replay: {
    summary: 'stream a CSV of card authorisations at a chosen rate to NATS or the HTTP ingest',
    usage:
      'proviso replay FILE.csv[.gz] --rate N [--bank B] [--to nats|nats://HOST:PORT|http://GATEWAY] [--key INGEST_KEY] [--limit N] [--batch N]\n' +
      '  --rate   authorisations per second (0 = as fast as possible)\n' +
      '  --to     nats (default, nats://127.0.0.1:4222) or the gateway URL; the key defaults to PROVISO_INGEST_KEY',
    options: {
      rate: { type: 'string' },
      bank: { type: 'string' },
      to: { type: 'string' },
      key: { type: 'string' },
      limit: { type: 'string' },
      batch: { type: 'string' },
    },
    async run(values, positionals) {
      const file = positionals[0];
      if (file === undefined || values['rate'] === undefined) throw usage('replay needs FILE and --rate N');
      const rate = numberOption(values['rate'], 'rate');
      const limit =
        values['limit'] === undefined ? Number.POSITIVE_INFINITY : numberOption(values['limit'], 'limit');
      const bankId = (values['bank'] as string | undefined) ?? 'fraud-sim';
      authorisationSubject(bankId);
      const to = (values['to'] as string | undefined) ?? 'nats';
      const total = Math.min(limit, await countRows(file));
      const sender = to.startsWith('http')
        ? httpSender(
            to,
            bankId,
            (values['key'] as string | undefined) ?? process.env['PROVISO_INGEST_KEY'] ?? '',
            values['batch'] === undefined ? 100 : numberOption(values['batch'], 'batch'),
          )
        : await natsSender(to === 'nats' ? (process.env['NATS_URL'] ?? DEFAULT_NATS_URL) : to, bankId);
      const bar = progressBar(`replay → ${to.startsWith('http') ? 'http' : 'nats'}`, total, 'events');
      const started = performance.now();
      let sent = 0;
      try {
        for await (const row of readFraudSimCsv(file, { bankId })) {
          if (sent >= limit) break;
          if (rate > 0) {
            const due = started + (sent / rate) * 1000;
            const wait = due - performance.now();
            if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
          }
          await sender.send(row.event);
          sent++;
          if (sent % 50 === 0) bar.update(sent);
        }
        await sender.flush();
      } finally {
        bar.update(sent);
        bar.stop();
        await sender.close();
      }
      const seconds = (performance.now() - started) / 1000;
      process.stderr.write(
        `replayed ${sent} authorisations of ${bankId} in ${seconds.toFixed(1)} s (${Math.round(sent / Math.max(seconds, 1e-3))}/s)` +
          (sender.rejected() > 0 ? `, ${sender.rejected()} rejected by the ingest` : '') +
          '\n',
      );
      return 0;
    },
  },
  screen: {
    summary: 'run the screening worker: consume authorisations from NATS JetStream into the database',
    usage:
      'proviso screen --bank B [--bank B2 …] [--nats nats://127.0.0.1:4222] [--model FILE] [--durable NAME] [--max-in-flight N] [--ack-wait SECONDS]\n' +
      '  state and alerts go to DATABASE_URL (or the embedded database in PROVISO_DATA); Ctrl-C drains and stops',
    options: {
      bank: { type: 'string', multiple: true },
      nats: { type: 'string' },
      model: { type: 'string' },
      durable: { type: 'string' },
      'max-in-flight': { type: 'string' },
      'ack-wait': { type: 'string' },
    },
    async run(values) {
      const bankIds = (values['bank'] as string[] | undefined) ?? [];
      if (bankIds.length === 0) throw usage('screen needs at least one --bank');
      const url = process.env['DATABASE_URL'];
      const database = await openDatabase(
        url ? { url } : { dataDir: `${process.env['PROVISO_DATA'] ?? '.proviso'}/db` },
      );
      await migrate(database);
      const service = new ScreeningService({
        database,
        model: loadScreeningModel(values['model'] as string | undefined),
      });
      const ingest = await startNatsIngest({
        servers: (values['nats'] as string | undefined) ?? process.env['NATS_URL'] ?? DEFAULT_NATS_URL,
        bankIds,
        service,
        ...(values['durable'] === undefined ? {} : { durable: values['durable'] as string }),
        ...(values['ack-wait'] === undefined
          ? {}
          : { ackWaitSeconds: numberOption(values['ack-wait'], 'ack-wait') }),
        ...(values['max-in-flight'] === undefined
          ? {}
          : { maxInFlight: numberOption(values['max-in-flight'], 'max-in-flight') }),
        onError: (error) =>
          process.stderr.write(`screening: ${error instanceof Error ? error.message : String(error)}\n`),
      });
      process.stdout.write(
        `screening ${bankIds.join(', ')} from NATS (${database.location}); Ctrl-C to stop\n`,
      );
      await new Promise<void>((resolve) => {
        process.once('SIGINT', () => resolve());
        process.once('SIGTERM', () => resolve());
      });
      await ingest.close();
      await database.close();
      process.stderr.write(`stopped after ${ingest.handled()} messages\n`);
      return 0;
    },
  },
};

/**
 * `proviso train --bank ID`: trains the bank's model on its core history and makes it the
 * active version (a running gateway on the same database takes it over at its next batch);
 * `--rollback` reactivates the previous version. PGlite admits one process: stop the gateway
 * first, or use PostgreSQL (DATABASE_URL) to retrain while it serves.
 */
async function trainBankCommand(
  bankId: string,
  options: { rollback: boolean; trees?: number },
): Promise<number> {
  const config = readConfig();
  const database = await openStorage(config);
  try {
    await migrate(database);
    const registry = new ModelRegistry(database);
    if (options.rollback) {
      const back = await registry.rollback(bankId);
      if (back === undefined) {
        process.stderr.write(`${bankId}: no earlier model version to roll back to\n`);
        return 1;
      }
      process.stdout.write(
        `${bankId}: model v${back.version} is active again (threshold ${back.threshold.toFixed(3)})\n`,
      );
      return 0;
    }
    if ((await coreCardPayments(database, bankId)) === 0) {
      process.stderr.write(`${bankId}: the core holds no card payments to train on\n`);
      return 1;
    }
    const model = await trainFromCore(database, registry, bankId, {
      seed: config.seed,
      currency: regionFor(bankId).currency,
      rules: DEMO_SCREENING_RULES,
      ...(options.trees === undefined ? {} : { trees: options.trees }),
    });
    const v = model.validation;
    process.stdout.write(
      `${bankId}: model v${model.version} active, trained in ${model.trainingSeconds.toFixed(1)} s on ` +
        `${model.trainedFrom.toISOString().slice(0, 10)} … ${model.trainedTo.toISOString().slice(0, 10)}; ` +
        `validation ${v.from.slice(0, 10)} … ${v.to.slice(0, 10)}: AUC ${v.aucRoc.toFixed(3)}, AP ${v.averagePrecision.toFixed(3)}, ` +
        `threshold ${model.threshold.toFixed(3)}, ${v.falseAlarmsPer1000.toFixed(2)} false alarms per 1,000 genuine\n`,
    );
    return 0;
  } finally {
    await database.close();
  }
}

class ScreeningUsageError extends Error {
  override name = 'UsageError';
  // main.ts reports ERR_PARSE_ARGS* as a usage error (exit 2).
  readonly code = 'ERR_PARSE_ARGS_SCREENING';
}

function usage(message: string): Error {
  return new ScreeningUsageError(message);
}

function numberOption(value: unknown, name: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw usage(`--${name} must be a non-negative number`);
  return n;
}

async function countRows(file: string): Promise<number> {
  if (!file.endsWith('.gz')) {
    const text = readFileSync(file, 'utf8');
    let lines = 0;
    for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) lines++;
    return Math.max(0, lines - (text.endsWith('\n') ? 1 : 0));
  }
  let rows = 0;
  for await (const _ of readFraudSimCsv(file)) rows++;
  return rows;
}

interface Sender {
  send(event: unknown): Promise<void>;
  flush(): Promise<void>;
  rejected(): number;
  close(): Promise<void>;
}

/** Publishes with up to 256 acknowledgements outstanding (JetStream stores each one). */
async function natsSender(servers: string, bankId: string): Promise<Sender> {
  const publisher = await natsPublisher(servers);
  const pending = new Set<Promise<void>>();
  let failure: unknown;
  return {
    async send(event) {
      const id = (event as { transactionId: string }).transactionId;
      const p = publisher
        .publish(bankId, event, `${bankId}:${id}`)
        .catch((error: unknown) => {
          failure = error;
        })
        .finally(() => pending.delete(p));
      pending.add(p);
      if (pending.size >= 256) await Promise.race(pending);
      if (failure !== undefined) throw failure;
    },
    async flush() {
      await Promise.all(pending);
      if (failure !== undefined) throw failure;
    },
    rejected: () => 0,
    close: () => publisher.close(),
  };
}

/** Posts batches to the gateway's ingest endpoint (one request in flight: the gateway paces us). */
function httpSender(base: string, bankId: string, key: string, batchSize: number): Sender {
  let batch: unknown[] = [];
  let rejected = 0;
  let lastFlush = performance.now();
  const url = `${base.replace(/\/$/, '')}/banks/${bankId}/screening/authorisations`;
  const flush = async () => {
    if (batch.length === 0) return;
    const events = batch;
    batch = [];
    lastFlush = performance.now();
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify({ events }),
    });
    const body = (await response.json()) as { rejected?: number; detail?: string };
    if (!response.ok) throw new Error(`ingest answered ${response.status}: ${body.detail ?? ''}`);
    rejected += body.rejected ?? 0;
  };
  return {
    async send(event) {
      batch.push(event);
      if (batch.length >= batchSize || performance.now() - lastFlush > 50) await flush();
    },
    flush,
    rejected: () => rejected,
    close: async () => {},
  };
}
