// A log that shows two different trees: the witnesses refuse to cosign the second one, and a
// verifier that saw the first reports a split view with both notes as evidence.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { openCheckpoint } from '../../src/translog/cosigned.ts';
import { SIG_COSIGNATURE_V1, signerFromPrivateKey } from '../../src/translog/keys.ts';
import type { TransparencyLog } from '../../src/translog/log.ts';
import { parseNote } from '../../src/translog/note.ts';
import { verifyLog } from '../../src/translog/verify.ts';
import { createWitness, type Witness } from '../../src/translog/witness.ts';
import { type WitnessTransport, witnessCosigning } from '../../src/translog/witness-client.ts';
import { pgliteBackend, type TestDatabase } from '../support/backends.ts';
import { LOG_VKEY, ORIGIN, testLog, W1_SKEY, W1_VKEY, W2_SKEY, W2_VKEY } from './support/log.ts';

const entry = (s: string) => new TextEncoder().encode(s);

describe('split view', () => {
  let bankDb: TestDatabase;
  let forkDb: TestDatabase;
  let witnessDb: TestDatabase;
  let witnesses: Witness[];
  let log: TransparencyLog;
  let fork: TransparencyLog;
  let dir: string;
  const transport: WitnessTransport = async (url, body) => {
    const w = witnesses.find((x) => url === `in-process://${x.name}/add-checkpoint`)!;
    const r = await w.addCheckpoint(body);
    return {
      status: r.status,
      body: r.status === 200 ? r.signatures : r.status === 409 ? `${r.size}\n` : r.reason,
    };
  };
  const endpoints = [
    { verifierKey: W1_VKEY, url: 'in-process://witness.example/w1' },
    { verifierKey: W2_VKEY, url: 'in-process://witness.example/w2' },
  ];
  const policy = { logKeys: [LOG_VKEY], witnessKeys: [W1_VKEY, W2_VKEY], quorum: 2 };

  before(async () => {
    [bankDb, forkDb, witnessDb] = await Promise.all([
      pgliteBackend.open(),
      pgliteBackend.open(),
      pgliteBackend.open(),
    ]);
    witnesses = [W1_SKEY, W2_SKEY].map((k) =>
      createWitness(witnessDb.database, {
        cosigner: signerFromPrivateKey(k, SIG_COSIGNATURE_V1),
        logs: [{ origin: ORIGIN, verifierKeys: [LOG_VKEY] }],
      }),
    );
    log = await testLog(bankDb.database, { witnesses: { witnesses: endpoints, quorum: 2, transport } });
    // The same origin and key, a different history: what a misbehaving bank would show someone else.
    fork = await testLog(forkDb.database, { autoCheckpoint: false });
    dir = await mkdtemp(join(tmpdir(), 'proviso-verify-'));
  });
  after(async () => {
    await log.close();
    await fork.close();
    await Promise.all([
      bankDb.dispose(),
      forkDb.dispose(),
      witnessDb.dispose(),
      rm(dir, { recursive: true }),
    ]);
  });

  test('the honest log is cosigned by both witnesses and verifies, then verifies as consistent', async () => {
    for (let i = 0; i < 10; i++) await log.append(entry(`honest-${i}`));
    const first = await log.waitForCheckpoint(10, { cosigned: true });
    assert.equal(openCheckpoint(first.note, policy).cosignatures.length, 2);
    const served = await log.checkpoint();
    assert.equal(served?.size, 10);
    const stateFile = join(dir, 'state.json');
    const r1 = await verifyLog({
      checkpoint: served!.note,
      policy,
      stateFile,
      tiles: log.tiles,
      entries: [0, 9],
    });
    assert.equal(r1.ok, true, r1.errors.join('; '));
    assert.equal(r1.consistency, 'first-seen');
    assert.deepEqual(
      r1.inclusions.map((i) => i.entry),
      ['honest-0', 'honest-9'],
    );
    for (let i = 10; i < 15; i++) await log.append(entry(`honest-${i}`));
    const second = await log.waitForCheckpoint(15, { cosigned: true });
    const r2 = await verifyLog({
      checkpoint: second.note,
      policy,
      stateFile,
      tiles: log.tiles,
      entries: [12],
    });
    assert.equal(r2.ok, true, r2.errors.join('; '));
    assert.equal(r2.consistency, 'consistent');
    assert.equal(JSON.parse(await readFile(stateFile, 'utf8')).size, 15);
    const health = await log.health();
    assert.ok(health.lastCosignedAt instanceof Date);
  });

  test('witnesses refuse a different tree of the same size, and a longer tree that does not extend theirs', async () => {
    for (let i = 0; i < 15; i++) await fork.append(entry(`forked-${i}`));
    const forged = (await fork.publishCheckpoint())!;
    const client = witnessCosigning({
      witnesses: endpoints,
      quorum: 2,
      transport,
      proof: fork.consistencyProof,
    });
    assert.deepEqual(await client.cosign(parseNote(forged.note)), []);
    for (let i = 15; i < 20; i++) await fork.append(entry(`forked-${i}`));
    const longer = (await fork.publishCheckpoint())!;
    assert.deepEqual(await client.cosign(parseNote(longer.note)), []);
    for (const w of witnesses) {
      assert.equal((await w.state(ORIGIN))?.size, 15);
      const refusals = await w.refusals(ORIGIN);
      assert.equal(refusals.length, 2);
      assert.match(refusals[1]!.reason, /different tree of size 15/);
      assert.match(refusals[0]!.reason, /consistency proof fails/);
    }
  });

  test('the verifier reports a split view and keeps its state', async () => {
    const stateFile = join(dir, 'state.json');
    const before = await readFile(stateFile, 'utf8');
    const [forged, longer] = await fork.checkpoints(15);
    // Without witnesses the fork still fails the witness quorum...
    const strict = await verifyLog({ checkpoint: forged!.note, policy, stateFile, tiles: fork.tiles });
    assert.equal(strict.ok, false);
    assert.match(strict.errors[0]!, /quorum/);
    // ...and a verifier trusting the log key alone detects it from its saved checkpoint.
    const logOnly = { logKeys: [LOG_VKEY] };
    for (const cp of [forged!, longer!]) {
      const report = await verifyLog({ checkpoint: cp.note, policy: logOnly, stateFile, tiles: fork.tiles });
      assert.equal(report.ok, false);
      assert.equal(report.consistency, 'split-view');
      assert.equal(report.splitView?.current, cp.note);
      assert.equal(report.splitView?.previous, JSON.parse(before).note);
      assert.match(report.errors.join(), /SPLIT VIEW/);
    }
    assert.equal(await readFile(stateFile, 'utf8'), before);
  });
});
