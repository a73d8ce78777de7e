// Crash and scale tests of the NATS ingest against PostgreSQL: kill -9 of the `proviso screen`
// worker (and of the replay) in the middle of a replay, and two instances sharing one
// database and one durable consumer. No event may be lost or counted twice.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  type AuthorisationEvent,
  natsPublisher,
  ScreeningModel,
  ScreeningService,
  startNatsIngest,
  train,
} from '../../src/screening/index.ts';
import { type Database, migrate, openDatabase } from '../../src/storage/index.ts';
import { createPostgresDatabase, postgresSkip } from '../support/backends.ts';
import { cleanNats, NATS_URL, waitFor } from './nats-helpers.ts';
import { syntheticRows, toCsv } from './synthetic.ts';

const MAIN = new URL('../../src/cli/main.ts', import.meta.url).pathname;
const rows = syntheticRows({ days: 30 });
const modelJson = await train(rows, { warmupDays: 5, params: { trees: 20 } });
const model = new ScreeningModel(modelJson);
const why = await postgresSkip('NATS ingest on PostgreSQL: crashes and two instances');

function proviso(args: string[], env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, [MAIN, ...args], {
    env: { ...process.env, ...env, LOG_LEVEL: 'silent' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

function started(child: ChildProcess, marker: RegExp): Promise<void> {
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (marker.test(out)) resolve();
    });
    child.stderr!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.once('exit', (code) => reject(new Error(`exited ${code} before starting: ${out}`)));
  });
}

const exited = (child: ChildProcess) =>
  child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve()
    : new Promise<void>((resolve) => child.once('exit', () => resolve()));

async function assertEveryEventOnce(service: ScreeningService, bankId: string, events: AuthorisationEvent[]) {
  assert.equal((await service.counts(bankId)).events, events.length, 'every event screened once');
  const byCard = new Map<string, string[]>();
  for (const event of events)
    byCard.set(event.cardId, [...(byCard.get(event.cardId) ?? []), event.transactionId]);
  for (const [card, ids] of byCard) {
    // The card history (last 30 days) holds each of its transactions exactly once.
    assert.deepEqual([...(await service.cardHistory(bankId, card))].sort(), [...ids].sort(), `card ${card}`);
  }
}

describe('NATS ingest on PostgreSQL: crashes and two instances', { skip: why ?? false }, () => {
  let url: string;
  let drop: () => Promise<void>;
  let database: Database;
  let dir: string;
  before(async () => {
    ({ url, drop } = await createPostgresDatabase());
    database = await openDatabase({ url });
    await migrate(database);
    dir = mkdtempSync(join(tmpdir(), 'proviso-restart-'));
  });
  after(async () => {
    await database.close();
    await drop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('kill -9 of the worker and of the replay mid-stream: nothing lost, nothing counted twice', async () => {
    const bankId = `t-${randomBytes(5).toString('hex')}`;
    const durable = `crash-${bankId}`;
    const modelFile = join(dir, 'model.json');
    writeFileSync(modelFile, JSON.stringify(modelJson));
    const csv = join(dir, 'replay.csv');
    writeFileSync(csv, toCsv(rows));
    const events = rows.map((row) => ({ ...row.event, bankId }));
    const env = { DATABASE_URL: url };
    const workerArgs = [
      'screen',
      '--bank',
      bankId,
      '--durable',
      durable,
      '--model',
      modelFile,
      '--nats',
      NATS_URL,
    ];
    const replayArgs = ['replay', csv, '--rate', '2000', '--bank', bankId, '--to', NATS_URL];
    const service = new ScreeningService({ database, model });
    const count = async () => (await service.counts(bankId)).events;
    const children: ChildProcess[] = [];
    try {
      let worker = proviso(workerArgs, env);
      children.push(worker);
      await started(worker, /screening/);
      let replay = proviso(replayArgs, env);
      children.push(replay);
      // Kill the replay part-way, then replay the whole file again (the server drops
      // re-sent messages by id within its window; the engine drops any that get through).
      await waitFor('the replay to get going', async () => (await count()) > 100);
      replay.kill('SIGKILL');
      await exited(replay);
      replay = proviso(replayArgs, env);
      children.push(replay);
      // Kill the worker in the middle: its unacked messages come back after a restart.
      await waitFor('the worker to be mid-stream', async () => (await count()) > 600);
      worker.kill('SIGKILL');
      await exited(worker);
      const atCrash = await count();
      assert.ok(atCrash < events.length, 'the crash happened mid-stream');
      worker = proviso(workerArgs, env);
      children.push(worker);
      await started(worker, /screening/);
      await waitFor('every event', async () => (await count()) >= events.length, 90_000);
      await exited(replay);
      assert.equal(replay.exitCode, 0);
      // Let any straggling redelivery arrive before checking that nothing was doubled.
      await new Promise((resolve) => setTimeout(resolve, 500));
      await assertEveryEventOnce(service, bankId, events);
    } finally {
      for (const child of children)
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await Promise.all(children.map(exited));
      await cleanNats(bankId, [`${durable}-${bankId}`]);
    }
  });

  test('two instances on one PostgreSQL and one durable consumer share the stream', async () => {
    const bankId = `t-${randomBytes(5).toString('hex')}`;
    const durable = `pair-${bankId}`;
    const second = await openDatabase({ url });
    const a = new ScreeningService({ database, model });
    const b = new ScreeningService({ database: second, model });
    const ingestA = await startNatsIngest({
      servers: NATS_URL,
      bankIds: [bankId],
      service: a,
      durable,
      maxInFlight: 32,
    });
    const ingestB = await startNatsIngest({
      servers: NATS_URL,
      bankIds: [bankId],
      service: b,
      durable,
      maxInFlight: 32,
    });
    const publisher = await natsPublisher(NATS_URL);
    try {
      const events = rows.slice(0, 1200).map((row) => ({ ...row.event, bankId }));
      // Every event twice, without message ids: both instances see redeliveries.
      for (const event of [...events, ...events.slice(0, 600)]) await publisher.publish(bankId, event);
      await waitFor(
        'every message handled',
        async () => ingestA.handled() + ingestB.handled() >= 1800,
        60_000,
      );
      await assertEveryEventOnce(a, bankId, events);
      assert.ok(
        ingestA.handled() > 0 && ingestB.handled() > 0,
        `split ${ingestA.handled()}/${ingestB.handled()}`,
      );
    } finally {
      await ingestA.close();
      await ingestB.close();
      await publisher.close();
      await second.close();
      await cleanNats(bankId, [`${durable}-${bankId}`]);
    }
  });
});
