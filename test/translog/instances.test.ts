// Two log handles on one PostgreSQL database (two gateway instances of one bank), each
// publishing checkpoints and asking the same witnesses: the race where a witness already
// holds the other instance's larger checkpoint is told apart from a real refusal and logged
// at debug; every checkpoint ends cosigned or superseded; the log verifies from tiles and an
// auditor sees consistent checkpoints; an instance that stops leaves its checkpoint to the other.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, beforeEach, describe, test } from 'node:test';
import { Registry } from 'prom-client';
import { TransparencyEvents } from '../../src/gateway/transparency.ts';
import { type Database, migrate, openDatabase } from '../../src/storage/index.ts';
import type { StoredCheckpoint } from '../../src/translog/checkpointer.ts';
import { fsckLog } from '../../src/translog/fsck.ts';
import { SIG_COSIGNATURE_V1, signerFromPrivateKey } from '../../src/translog/keys.ts';
import type { TransparencyLog } from '../../src/translog/log.ts';
import { parseNote } from '../../src/translog/note.ts';
import { verifyLog } from '../../src/translog/verify.ts';
import { createWitness, type Witness } from '../../src/translog/witness.ts';
import { type WitnessTransport, witnessCosigning } from '../../src/translog/witness-client.ts';
import {
  createPostgresDatabase,
  pgliteBackend,
  postgresSkip,
  type TestDatabase,
} from '../support/backends.ts';
import { LOG_VKEY, ORIGIN, testLog, W1_SKEY, W1_VKEY, W2_SKEY, W2_VKEY } from './support/log.ts';

const unavailable = await postgresSkip('checkpoints of several instances');
const entry = (s: string) => new TextEncoder().encode(s);
const policy = { logKeys: [LOG_VKEY], witnessKeys: [W1_VKEY, W2_VKEY], quorum: 2 };
const endpoints = [
  { verifierKey: W1_VKEY, url: 'in-process://witness.example/w1' },
  { verifierKey: W2_VKEY, url: 'in-process://witness.example/w2' },
];

/** Witness events one instance reported, as the gateway's logger would get them. */
function recorder() {
  const failures: string[] = [];
  const superseded: { witnessSize: number; size: number }[] = [];
  return {
    failures,
    superseded,
    onFailure: (witness: string, reason: string) => failures.push(`${witness}: ${reason}`),
    onSuperseded: (_witness: string, witnessSize: number, size: number) =>
      superseded.push({ witnessSize, size }),
  };
}

describe('checkpoints of several instances on one PostgreSQL', { skip: unavailable ?? false }, () => {
  let created: Awaited<ReturnType<typeof createPostgresDatabase>>;
  let databases: Database[];
  let witnessDb: TestDatabase;
  let witnesses: Witness[];
  let dir: string;
  const transport: WitnessTransport = async (url, body) => {
    const w = witnesses.find((x) => url === `in-process://${x.name}/add-checkpoint`)!;
    // A network's worth of latency, so both instances' exchanges overlap (the race under test).
    await new Promise((resolve) => setTimeout(resolve, 1 + Math.random() * 20));
    const r = await w.addCheckpoint(body);
    return {
      status: r.status,
      body: r.status === 200 ? r.signatures : r.status === 409 ? `${r.size}\n` : r.reason,
    };
  };
  const open: TransparencyLog[] = [];
  const track = async (log: Promise<TransparencyLog>) => {
    open.push(await log);
    return open[open.length - 1]!;
  };
  const instance = (database: Database, events: ReturnType<typeof recorder>, logId: string, auto = true) =>
    track(
      testLog(database, {
        logId,
        autoCheckpoint: auto,
        witnesses: {
          witnesses: endpoints,
          quorum: 2,
          transport,
          onFailure: events.onFailure,
          onSuperseded: events.onSuperseded,
        },
      }),
    );

  before(async () => {
    witnessDb = await pgliteBackend.open();
    witnesses = [W1_SKEY, W2_SKEY].map((k) =>
      createWitness(witnessDb.database, {
        cosigner: signerFromPrivateKey(k, SIG_COSIGNATURE_V1),
        logs: [{ origin: ORIGIN, verifierKeys: [LOG_VKEY] }],
      }),
    );
    dir = await mkdtemp(join(tmpdir(), 'proviso-instances-'));
  });
  beforeEach(async () => {
    // Each test logs a different tree under the one origin, on its own database (one log
    // per origin there), with two handles to it (two instances); the witnesses start afresh.
    await witnessDb.database
      .tables<{ translog_witness_state: { witness: string } }>()
      .deleteFrom('translog_witness_state')
      .execute();
    created = await createPostgresDatabase();
    databases = [await openDatabase({ url: created.url }), await openDatabase({ url: created.url })];
    await migrate(databases[0]!);
  });
  afterEach(async () => {
    // Also when a test failed halfway: an open log's timers would keep the run alive.
    for (const log of open.splice(0)) await log.close().catch(() => {});
    for (const d of databases) await d.close();
    await created.drop();
  });
  after(async () => {
    await witnessDb.dispose();
    await rm(dir, { recursive: true });
  });

  test('a witness holding the other instance’s larger checkpoint: superseded, not a refusal', async () => {
    const [a, b] = [recorder(), recorder()];
    const logA = await instance(databases[0]!, a, 'race', false);
    const logB = await instance(databases[1]!, b, 'race', false);
    for (let i = 0; i < 5; i++) await logA.append(entry(`a-${i}`));
    const older = (await logA.publishCheckpoint())!;
    for (let i = 0; i < 5; i++) await logB.append(entry(`b-${i}`));
    await logB.publishCheckpoint();
    const larger = await logB.waitForCheckpoint(10, { cosigned: true });
    // A late exchange for the older checkpoint, as instance A's witness client would send it.
    const events = recorder();
    const late = witnessCosigning({
      witnesses: endpoints,
      transport,
      proof: logA.consistencyProof,
      published: async (size) => (await logA.checkpoints(size)).some((c) => c.size === size),
      onFailure: events.onFailure,
      onSuperseded: events.onSuperseded,
    });
    assert.deepEqual(await late.cosign(parseNote(older.note)), []);
    assert.deepEqual(events.failures, []);
    assert.deepEqual(events.superseded, [
      { witnessSize: larger.size, size: older.size },
      { witnessSize: larger.size, size: older.size },
    ]);
    // A witness ahead of anything the log published is still a rollback or fork: a failure.
    const unknown = recorder();
    const suspicious = witnessCosigning({
      witnesses: endpoints,
      transport,
      proof: logA.consistencyProof,
      published: async () => false,
      onFailure: unknown.onFailure,
      onSuperseded: unknown.onSuperseded,
    });
    assert.deepEqual(await suspicious.cosign(parseNote(older.note)), []);
    assert.equal(unknown.superseded.length, 0);
    assert.equal(unknown.failures.length, 2);
    assert.match(unknown.failures[0]!, /rolled back or forked/);
  });

  test('two instances appending at once: no warning, every checkpoint cosigned or superseded, verifiable', async () => {
    const [a, b] = [recorder(), recorder()];
    const [logA, logB] = [await instance(databases[0]!, a, 'busy'), await instance(databases[1]!, b, 'busy')];
    const writer = async (log: TransparencyLog, name: string) => {
      for (let round = 0; round < 20; round++) {
        await Promise.all(Array.from({ length: 20 }, (_, i) => log.append(entry(`${name}-${round}-${i}`))));
      }
    };
    await Promise.all([writer(logA, 'a'), writer(logB, 'b')]);
    const final = await logA.waitForCheckpoint(800, { cosigned: true });
    assert.equal(final.size, 800);
    assert.deepEqual([...a.failures, ...b.failures], [], 'no witness failure is reported for the race');
    const history = await logA.checkpoints(1);
    assert.ok(history.length > 1);
    const newestCosigned = Math.max(...history.filter((c) => c.cosignatures >= 2).map((c) => c.size));
    for (const c of history) {
      assert.ok(
        c.cosignatures >= 2 || c.size < newestCosigned,
        `checkpoint ${c.size} is cosigned or superseded`,
      );
    }
    // fsck from the tiles alone, then an auditor following every cosigned checkpoint in turn.
    assert.equal(await fsckLog(logB.tiles, final.size, final.root), final.size);
    const stateFile = join(dir, 'busy.json');
    for (const c of history.filter((h) => h.cosignatures >= 2)) {
      const report = await verifyLog({ checkpoint: c.note, policy, stateFile, tiles: logA.tiles });
      assert.equal(report.ok, true, report.errors.join('; '));
      assert.notEqual(report.consistency, 'split-view');
    }
  });

  test('an instance that stops before its checkpoint is cosigned: the other has it cosigned', async () => {
    const [a, b] = [recorder(), recorder()];
    const logB = await instance(databases[1]!, b, 'stops');
    // A signs a checkpoint but has no witness answer yet (no witnesses configured), then stops.
    const logA = await track(testLog(databases[0]!, { logId: 'stops', autoCheckpoint: false }));
    for (let i = 0; i < 7; i++) await logA.append(entry(`a-${i}`));
    const orphan = (await logA.publishCheckpoint())!;
    open.splice(open.indexOf(logA), 1);
    await logA.close();
    assert.equal(orphan.cosignatures, 0);
    const cosigned = await logB.waitForCheckpoint(orphan.size, { cosigned: true });
    assert.equal(cosigned.size, orphan.size);
    assert.deepEqual([...a.failures, ...b.failures], []);
  });

  test('a witness moving on with the log’s other checkpoints between both attempts: the race too', async () => {
    const log = await track(testLog(databases[0]!, { logId: 'moving', autoCheckpoint: false }));
    const signed: StoredCheckpoint[] = [];
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 5; i++) await log.append(entry(`m-${round}-${i}`));
      signed.push((await log.publishCheckpoint())!);
    }
    const [c5, c10, c15] = signed as [StoredCheckpoint, StoredCheckpoint, StoredCheckpoint];
    const one = endpoints.slice(0, 1);
    const published = async (size: number) => signed.some((c) => c.size === size);
    for (const [knows, expected] of [
      [published, 'superseded'],
      [async () => false, 'failure'],
    ] as const) {
      // The witness holds c5 (afresh each round); another instance's client knows it.
      await witnessDb.database
        .tables<{ translog_witness_state: { witness: string } }>()
        .deleteFrom('translog_witness_state')
        .execute();
      const other = witnessCosigning({ witnesses: one, transport, proof: log.consistencyProof });
      assert.equal((await other.cosign(parseNote(c5.note))).length, 1);
      // Another instance's checkpoint reaches the witness after this instance's first 409.
      let moved = false;
      const moving: WitnessTransport = async (url, body, signal) => {
        const answer = await transport(url, body, signal);
        if (answer.status === 409 && !moved) {
          moved = true;
          assert.equal((await other.cosign(parseNote(c10.note))).length, 1);
        }
        return answer;
      };
      const events = recorder();
      const late = witnessCosigning({
        witnesses: one,
        transport: moving,
        proof: log.consistencyProof,
        published: knows,
        onFailure: events.onFailure,
        onSuperseded: events.onSuperseded,
      });
      assert.deepEqual(await late.cosign(parseNote(c15.note)), []);
      if (expected === 'superseded') {
        assert.deepEqual(events.superseded, [{ witnessSize: 10, size: 15 }]);
        assert.deepEqual(events.failures, []);
      } else {
        assert.equal(events.superseded.length, 0);
        assert.match(events.failures[0]!, /kept moving/);
      }
    }
  });

  test('the gateway logs the race at debug, a refusal as a warning', () => {
    const lines: { level: string; msg: string }[] = [];
    const logger = Object.fromEntries(
      ['debug', 'info', 'warn', 'error'].map((level) => [
        level,
        (_fields: unknown, msg: string) => lines.push({ level, msg }),
      ]),
    );
    const events = new TransparencyEvents();
    // biome-ignore lint/suspicious/noExplicitAny: a recording stand-in for the Fastify logger
    events.attach(logger as any, new Registry());
    events.witnessSuperseded('acme', 'witness.example/w1', 12, 10);
    events.witnessFailure('acme', 'witness.example/w1', 'witness answered 403: bad signature');
    assert.deepEqual(
      lines.map((l) => l.level),
      ['debug', 'warn'],
    );
  });
});
