// The gateway's transparency log end to end: entries recorded through the audit trail are
// published, cosigned by the local witness, and verifiable by `proviso verify` from the
// tiles alone; discovery, metrics and the readiness alarm tell operators how it is doing.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { sql } from 'kysely';
import { LogNotCosignedError, parseEntry } from '../../src/audit/index.ts';
import { runVerify } from '../../src/cli/transparency.ts';
import { readConfig } from '../../src/gateway/config.ts';
import { startGateway } from '../../src/gateway/runtime.ts';
import { KeyEncryptionKey } from '../../src/keys/index.ts';
import { openDatabase } from '../../src/storage/index.ts';
import { ed25519Signer } from '../../src/translog/index.ts';
import { formatVerifierKey, rawPublicKey, SIG_COSIGNATURE_V1 } from '../../src/translog/keys.ts';
import { loadWitnessKey, startWitness } from '../../src/witness/index.ts';
import { pgliteBackend, storageBackends } from '../support/backends.ts';
import { dataAccess } from '../support/consent.ts';
import { insertAuthorisedConsents } from '../support/consent-rows.ts';
import { startTestGateway, type TestGateway } from '../support/gateway.ts';
import { freePort } from '../support/net.ts';

const BIN = new URL('../../bin/proviso', import.meta.url).pathname;

/** Runs the CLI without blocking this process's event loop (the gateway it asks lives here). */
async function cli(
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ status: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(BIN, args, {
      encoding: 'utf8',
      timeout: 30_000,
      env,
    });
    return { status: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return {
      status: typeof e.code === 'number' ? e.code : -1,
      stdout: e.stdout ?? '',
      stderr: e.stderr ?? '',
    };
  }
}

for (const backend of await storageBackends('gateway transparency log')) {
  describe(`transparency log on ${backend.name}`, () => {
    let t: TestGateway;
    let stateDir: string;
    const indexes: number[] = [];
    before(async () => {
      t = await startTestGateway(backend, 2);
      stateDir = mkdtempSync(join(tmpdir(), 'proviso-verify-'));
      const demo = (await t.gw.core('northwind').customerByUsername('demo'))!;
      await insertAuthorisedConsents(t.gw.database, 'northwind', [{ id: 'consent-1', customerId: demo.id }]);
      for (let i = 0; i < 5; i++) {
        indexes.push(
          await t.gw.audit.record({
            bankId: 'northwind',
            customerId: demo.id,
            pairwiseId: 'pairwise-demo',
            consentId: 'consent-1',
            platform: 'chat-platform',
            kind: 'data.access',
            purpose: 'balance_inquiry',
            clusters: ['balances'],
            released: Buffer.from(`sealed envelope ${i}`),
          }),
        );
      }
    });
    after(async () => {
      await t.close();
      rmSync(stateDir, { recursive: true, force: true });
    });

    test('discovery publishes each bank log, its verifier key and its witnesses', async () => {
      const doc = (await (await fetch(`${t.gw.url}/.well-known/proviso`)).json()) as {
        banks: {
          id: string;
          log_prefix: string;
          log_verifier_key: string;
          log_witnesses: unknown[];
          log_witness_quorum: number;
        }[];
      };
      for (const bank of doc.banks) {
        assert.equal(bank.log_prefix, `${t.gw.url}/banks/${bank.id}/log`);
        assert.match(
          bank.log_verifier_key,
          new RegExp(`^proviso\\.localhost/banks/${bank.id}/log\\+[0-9a-f]{8}\\+`),
        );
        assert.equal(bank.log_witnesses.length, 1);
        assert.equal(bank.log_witness_quorum, 1);
      }
    });

    test('entries hold commitments, never the customer or consent ids', async () => {
      const demo = (await t.gw.core('northwind').customerByUsername('demo'))!;
      const log = t.gw.logs.get('northwind')!;
      const entry = parseEntry((await log.entry(indexes[0]!))!);
      const text = JSON.stringify(entry);
      assert.ok(!text.includes(demo.id) && !text.includes('pairwise-demo') && !text.includes('consent-1'));
      assert.equal(entry.kind, 'data.access');
      assert.equal(entry.purpose, 'balance_inquiry');
      const history = await t.gw.audit.history('northwind', demo.id);
      assert.deepEqual(
        history.map((h) => h.index).sort((a, b) => a - b),
        indexes,
      );
    });

    test('proviso verify checks signatures, the witness cosignature, consistency and inclusion', async () => {
      await t.gw.logs
        .get('northwind')!
        .waitForCheckpoint(indexes.at(-1)! + 1, { timeoutMs: 10_000, cosigned: true });
      const first = await runVerify({
        gateway: t.gw.url,
        bankId: 'northwind',
        stateDir,
        witnessKeys: [],
        quorum: undefined,
        entries: indexes,
      });
      assert.ok(first.report.ok, first.text);
      assert.equal(first.report.consistency, 'first-seen');
      assert.equal(first.report.cosignatures.length, 1);
      assert.ok(first.report.inclusions.every((i) => i.ok));
      // More entries, then a second run checks consistency with what it saw.
      const demo = (await t.gw.core('northwind').customerByUsername('demo'))!;
      const more = await t.gw.audit.record({
        bankId: 'northwind',
        customerId: demo.id,
        pairwiseId: 'pairwise-demo',
        consentId: null,
        platform: 'chat-platform',
        kind: 'consent.revoked',
        purpose: null,
        clusters: [],
        released: null,
      });
      await t.gw.logs.get('northwind')!.waitForCheckpoint(more + 1, { timeoutMs: 10_000, cosigned: true });
      const second = await runVerify({
        gateway: t.gw.url,
        bankId: 'northwind',
        stateDir,
        witnessKeys: [],
        quorum: undefined,
        entries: [more],
      });
      assert.ok(second.report.ok, second.text);
      assert.equal(second.report.consistency, 'consistent');
      // A quorum the log cannot meet fails.
      const strict = await runVerify({
        gateway: t.gw.url,
        bankId: 'northwind',
        stateDir,
        witnessKeys: [],
        quorum: 2,
        entries: [],
      });
      assert.equal(strict.report.ok, false);
    });

    test('the CLI exits 0 when the log verifies and 1 when it does not', async () => {
      const ok = await cli([
        'verify',
        '--gateway',
        t.gw.url,
        '--bank',
        'northwind',
        '--state',
        stateDir,
        '--entry',
        String(indexes[0]),
      ]);
      assert.equal(ok.status, 0, ok.stdout + ok.stderr);
      assert.match(ok.stdout, /VERIFIED/);
      const bad = await cli([
        'verify',
        '--gateway',
        t.gw.url,
        '--bank',
        'northwind',
        '--state',
        stateDir,
        '--entry',
        '999999',
      ]);
      assert.equal(bad.status, 1);
      assert.match(bad.stdout, /FAILED/);
    });

    test('verify by default reads every entry: a changed or deleted entry fails naming it, on a fresh state folder', async () => {
      const log = t.gw.logs.get('northwind')!;
      const size = await log.size();
      await log.waitForCheckpoint(size, { timeoutMs: 10_000, cosigned: true });
      // A data folder that has never run verify: the state folder does not exist yet.
      const fresh = join(mkdtempSync(join(tmpdir(), 'proviso-fresh-')), 'data', 'verifier');
      const verify = () =>
        runVerify({
          gateway: t.gw.url,
          bankId: 'northwind',
          stateDir: fresh,
          witnessKeys: [],
          quorum: undefined,
          entries: [],
        });
      const intact = await verify();
      assert.ok(intact.report.ok, intact.text);
      assert.equal(intact.report.full?.checked, size);
      assert.match(intact.text, new RegExp(`full check  ${size} entries .* entries/s\\)`));

      const db = t.gw.database.tables<unknown>();
      const victim = indexes[2]!;
      const original = await log.entry(victim);
      await sql`update translog_entry set data = ${new TextEncoder().encode('{"forged":true}')} where log_id = 'northwind' and idx = ${victim}`.execute(
        db,
      );
      const changed = await verify();
      assert.equal(changed.report.ok, false);
      assert.equal(changed.report.full?.firstBadIndex, victim);
      assert.match(changed.text, new RegExp(`full check  FAILED: first bad entry ${victim}`));
      await sql`delete from translog_entry where log_id = 'northwind' and idx = ${victim}`.execute(db);
      const deleted = await verify();
      assert.equal(deleted.report.ok, false);
      assert.equal(deleted.report.full?.firstBadIndex, victim);
      // The quick check alone does not see it, which is why the full one is the default.
      const quick = await runVerify({
        gateway: t.gw.url,
        bankId: 'northwind',
        stateDir: fresh,
        witnessKeys: [],
        quorum: undefined,
        entries: [],
        full: 'never',
      });
      assert.ok(quick.report.ok, quick.text);
      await sql`insert into translog_entry (log_id, idx, data) values ('northwind', ${victim}, ${original})`.execute(
        db,
      );
      const restored = await verify();
      assert.ok(restored.report.ok, restored.text);
      // Above the configured size the full check is skipped and says so.
      const limited = await runVerify({
        gateway: t.gw.url,
        bankId: 'northwind',
        stateDir: fresh,
        witnessKeys: [],
        quorum: undefined,
        entries: [],
        fullLimit: size - 1,
      });
      assert.ok(limited.report.ok);
      assert.match(limited.text, /full check {2}skipped: .*more than the full-check limit.*--full to force/);
    });

    test('proviso verify works the first time on a fresh data folder (its state folder is created)', async () => {
      const data = join(mkdtempSync(join(tmpdir(), 'proviso-first-')), 'never-used');
      const run = await cli(['verify', '--gateway', t.gw.url, '--bank', 'northwind'], {
        ...process.env,
        PROVISO_DATA: data,
      });
      assert.equal(run.status, 0, run.stdout + run.stderr);
      assert.match(run.stdout, /full check {2}\d+ entries fetched, every tile and the root recomputed/);
      assert.match(run.stdout, /VERIFIED/);
      assert.ok(existsSync(join(data, 'verifier', 'northwind.checkpoint.json')));
      rmSync(dirname(data), { recursive: true, force: true });
    });

    test('metrics expose log size, checkpoint age and witness lag', async () => {
      const metrics = await (await fetch(`${t.gw.url}/metrics`)).text();
      assert.match(metrics, /proviso_log_size\{bank="northwind"\} [1-9]/);
      assert.match(metrics, /proviso_log_checkpoint_age_seconds\{bank="northwind"\}/);
      assert.match(metrics, /proviso_log_witness_lag_seconds\{bank="northwind"\} \d/);
    });
  });
}

/** A well-formed verifier key of a witness nobody runs. */
function absentWitnessKey(): string {
  const { publicKey } = generateKeyPairSync('ed25519');
  return formatVerifierKey('witness.example', SIG_COSIGNATURE_V1, rawPublicKey(publicKey));
}

test('readyz raises an alarm when no witness cosigns while the log grows', async () => {
  const db = await pgliteBackend.open();
  const dataDir = mkdtempSync(join(tmpdir(), 'proviso-alarm-'));
  const config = {
    ...readConfig({
      PROVISO_DATA: dataDir,
      // A witness that is not there: the log keeps signing, nobody cosigns.
      PROVISO_WITNESSES: `http://127.0.0.1:9/witness|${absentWitnessKey()}`,
      PROVISO_WITNESS_ALARM_SECONDS: '1',
    }),
    port: 0,
    logLevel: 'silent',
  };
  const gw = await startGateway(config, { database: db.database, kek: KeyEncryptionKey.generate() });
  try {
    assert.equal((await fetch(`${gw.url}/readyz`)).status, 200, 'an empty log is not an alarm');
    await gw.audit.record({
      bankId: 'fjord',
      customerId: 'c1',
      pairwiseId: 'p1',
      consentId: null,
      platform: 'chat-platform',
      kind: 'data.access',
      purpose: 'balance_inquiry',
      clusters: ['balances'],
      released: Buffer.from('x'),
    });
    await new Promise((r) => setTimeout(r, 1500));
    const res = await fetch(`${gw.url}/readyz`);
    assert.equal(res.status, 503);
    const body = (await res.json()) as { checks: Record<string, string> };
    assert.match(body.checks['witnesses'] ?? '', /no witness cosignature for fjord/);
  } finally {
    await gw.close();
    await db.dispose();
    rmSync(dataDir, { recursive: true, force: true });
  }
});

// Fail-closed: a witness that has cosigned a larger tree than the log now shows (what it sees
// after the bank's database is rolled back) refuses every checkpoint; past the bank's limit
// the gateway stops releasing data with `log-not-cosigned`, says why in its log, alarms and
// counts; once the witness cosigns again, releases resume.
for (const backend of await storageBackends('gateway fail-closed policy')) {
  test(`releases stop while the log is not cosigned and resume with cosigning (${backend.name})`, async () => {
    const witnessDir = mkdtempSync(join(tmpdir(), 'proviso-witness-'));
    const witnessKey = ed25519Signer(
      'witness.test',
      SIG_COSIGNATURE_V1,
      loadWitnessKey(witnessDir),
    ).verifierKey;
    const port = await freePort();
    const t = await startTestGateway(backend, 2, {
      env: {
        PROVISO_WITNESSES: `http://127.0.0.1:${port}/witness|${witnessKey}`,
        PROVISO_UNCOSIGNED_MAX_SECONDS: '2',
      },
    });
    const witnessDb = await openDatabase();
    const witness = await startWitness(
      {
        name: 'witness.test',
        dataDir: witnessDir,
        host: '127.0.0.1',
        port,
        logKeys: [...t.gw.logs.values()].map((l) => l.verifierKey),
        logLevel: false,
      },
      witnessDb,
    );
    const log = t.gw.logs.get('northwind')!;
    const witnessState = witnessDb.tables<{ translog_witness_state: { origin: string; size: number } }>();
    const until = async (what: string, done: () => Promise<boolean>) => {
      const deadline = Date.now() + 60_000;
      while (!(await done())) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    try {
      const access = await dataAccess(t);
      const demo = (await t.gw.core('northwind').customerByUsername('demo'))!;
      const [account] = await t.gw.core('northwind').accounts(demo.id);
      const url = `${t.gw.url}/banks/northwind/open-banking/v3.1/aisp/accounts/${account!.id}/balances`;
      const balance = async () => fetch(url, { headers: await access.headers('GET', url) });
      await until('the witness to cosign', async () => (await log.uncosignedSeconds()) === 0);
      assert.equal((await balance()).status, 200);

      // The witness now holds a larger tree than the log can show: it refuses every checkpoint.
      await witnessState
        .updateTable('translog_witness_state')
        .set((eb) => ({ size: eb('size', '+', 1000) }))
        .where('origin', '=', log.origin)
        .execute();
      let refused: Response | undefined;
      await until('releases to stop', async () => {
        const res = await balance();
        if (res.status === 200) return false;
        refused = res;
        return true;
      });
      assert.equal(refused!.status, 503);
      assert.equal(refused!.headers.get('retry-after'), '60');
      const problem = (await refused!.json()) as { type: string; detail: string };
      assert.equal(problem.type, 'urn:proviso:problem:log-not-cosigned');
      assert.match(problem.detail, /witnesses have not cosigned/);
      // Every refusal is logged with the witness's reason, and no customer data.
      const refusals = t.logs.filter((l) => l.includes('witness did not cosign the checkpoint'));
      const pattern =
        /"bank":"northwind","witness":"witness.test","reason":"witness has cosigned a larger tree .* rolled back or forked"/;
      assert.ok(
        refusals.some((l) => pattern.test(l)),
        refusals.join(''),
      );
      assert.ok(t.logs.some((l) => l.includes('release refused: the transparency log is not cosigned')));
      assert.ok(!t.logs.join('').includes(demo.id), 'no customer id in the log lines');
      // Alerts go through the same gate; ending a consent is never blocked.
      const event = {
        bankId: 'northwind',
        customerId: demo.id,
        pairwiseId: 'p',
        consentId: 'c',
        platform: 'chat-platform',
        purpose: 'fraud_alerts',
        clusters: ['transactions'],
      };
      await assert.rejects(
        t.gw.audit.record({ ...event, kind: 'alert.raised', released: Buffer.from('sealed alert') }),
        LogNotCosignedError,
      );
      await t.gw.audit.record({
        ...event,
        kind: 'consent.revoked',
        purpose: null,
        clusters: [],
        released: null,
      });
      // Alarms: readiness and metrics.
      const ready = await fetch(`${t.gw.url}/readyz`);
      assert.equal(ready.status, 503);
      const checks = ((await ready.json()) as { checks: Record<string, string> }).checks;
      assert.match(checks['releases'] ?? '', /releases stopped, log not cosigned: northwind/);
      const metrics = await (await fetch(`${t.gw.url}/metrics`)).text();
      assert.match(
        metrics,
        /proviso_releases_refused_total\{bank="northwind",reason="log-not-cosigned"\} [1-9]/,
      );
      assert.match(
        metrics,
        /proviso_witness_refusals_total\{bank="northwind",witness="witness.test"\} [1-9]/,
      );
      assert.match(metrics, /proviso_log_uncosigned_seconds\{bank="northwind"\} [1-9]/);

      // The witness's state is restored (or the log catches up): cosigning and releases resume.
      await witnessState
        .updateTable('translog_witness_state')
        .set((eb) => ({ size: eb('size', '-', 1000) }))
        .where('origin', '=', log.origin)
        .execute();
      await until('releases to resume', async () => (await balance()).status === 200);
      assert.equal(await log.uncosignedSeconds(), 0);
    } finally {
      await t.close();
      await witness.close();
      await witnessDb.close();
      rmSync(witnessDir, { recursive: true, force: true });
    }
  });
}
