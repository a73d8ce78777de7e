// The `proviso` command as a user runs it: help, exit codes, and a start that stops
// cleanly on Ctrl-C and reuses its data on the next start.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { freePort } from '../support/net.ts';

const BIN = new URL('../../bin/proviso', import.meta.url).pathname;
const dataDir = mkdtempSync(join(tmpdir(), 'proviso-cli-'));
after(() => rmSync(dataDir, { recursive: true, force: true }));

const env = {
  ...process.env,
  PROVISO_DATA: dataDir,
  PORT: '0',
  // The relay on a free port too, so a developer's own `npm start` (4200) does not collide.
  RELAY_PORT: String(await freePort()),
  PROVISO_SEED_CUSTOMERS: '20',
};
const run = (...args: string[]) => spawnSync(BIN, args, { env, encoding: 'utf8' });

test('help is everywhere and exit codes mean something', () => {
  const help = run('--help');
  assert.equal(help.status, 0);
  for (const c of ['start', 'migrate', 'seed', 'keys']) assert.match(help.stdout, new RegExp(`\\b${c}\\b`));
  for (const c of ['start', 'migrate', 'seed', 'keys']) {
    const r = run(c, '--help');
    assert.equal(r.status, 0, c);
    assert.match(r.stdout, /Usage: proviso/);
  }
  assert.equal(run('no-such-command').status, 2);
  assert.equal(run('seed', '--customers', 'many').status, 2);
  assert.equal(run('seed', '--bogus').status, 2);
  const bad = spawnSync(BIN, ['migrate'], { env: { ...env, DATABASE_URL: 'mysql://x' }, encoding: 'utf8' });
  assert.equal(bad.status, 3);
  assert.match(bad.stderr, /DATABASE_URL/);
});

test('keys list shows every bank key, rotate makes a new active key', () => {
  const list = run('keys', 'list', '--bank', 'northwind');
  assert.equal(list.status, 0, list.stderr);
  assert.equal(list.stdout.trim().split('\n').length, 1 + 4);
  const rotate = run('keys', 'rotate', '--bank', 'northwind', '--purpose', 'sign', '--alg', 'EdDSA');
  assert.equal(rotate.status, 0, rotate.stderr);
  const after = run('keys', 'list', '--bank', 'northwind').stdout;
  assert.match(after, /sign\s+EdDSA\s+retired/);
  assert.equal(run('keys', 'rotate', '--bank', 'northwind', '--purpose', 'sign', '--alg', 'RS256').status, 2);
});

test("otp prints the demo customer's current code and how long it lasts", () => {
  const otp = run('otp', '--bank', 'fjord');
  assert.equal(otp.status, 0, otp.stderr);
  assert.match(otp.stdout, /^\d{6}\n$/);
  assert.match(otp.stderr, /valid about \d+ s more, once; run again for a fresh one/);
  assert.equal(run('otp', '--bank', 'nowhere').status, 2);
});

async function startAndStop(
  whileRunning: (stdout: string) => Promise<void> = async () => {},
): Promise<{ stdout: string; stderr: string; code: number | null }> {
  const child = spawn(BIN, ['start'], { env });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => {
    stdout += d;
  });
  child.stderr.on('data', (d) => {
    stderr += d;
  });
  // A generous wait for the banner on a loaded machine (first start seeds and trains models).
  const deadline = Date.now() + 300_000;
  while (!stdout.includes('Press Ctrl-C') && Date.now() < deadline && child.exitCode === null) {
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.ok(stdout.includes('Press Ctrl-C'), `did not start: ${stderr}`);
  const url = /discovery\s+(\S+)/.exec(stdout)![1]!;
  assert.equal((await fetch(url)).status, 200);
  assert.match(stdout, /username "demo", password "proviso-demo"/);
  const issuer = /issuer (\S+)/.exec(stdout)![1]!;
  const meta = (await (await fetch(`${issuer}/.well-known/openid-configuration`)).json()) as {
    issuer: string;
  };
  assert.equal(meta.issuer, issuer);
  // Without a consent token the data API refuses, naming DPoP.
  const denied = await fetch(`${issuer}/open-banking/v3.1/aisp/accounts`);
  assert.equal(denied.status, 401);
  assert.match(denied.headers.get('www-authenticate') ?? '', /^DPoP/);
  // The terminal stays readable: the banner, no request log lines (they are at info).
  assert.doesNotMatch(stdout, /"msg":"request completed"/);
  assert.match(stdout, /valid about \d+ s, once; a fresh one: npm run proviso -- otp/);
  await whileRunning(stdout);
  child.kill('SIGINT');
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  return { stdout, stderr, code };
}

test('start serves, Ctrl-C stops it cleanly, and a second start reuses the data', async () => {
  const first = await startAndStop(async (stdout) => {
    // demo-alert finds the gateway that start runs (here on a port the system chose) without
    // being told: start records its address in the data folder.
    const gateway = /discovery\s+(\S+)\/\.well-known/.exec(stdout)![1]!;
    assert.equal(readFileSync(join(dataDir, 'gateway-url'), 'utf8').trim(), gateway);
    const { PORT: _port, ...withoutAddress } = env;
    const alert = spawnSync(BIN, ['demo-alert'], { env: withoutAddress, encoding: 'utf8' });
    assert.equal(alert.status, 0, alert.stderr);
    assert.match(alert.stderr, new RegExp(`gateway ${gateway} \\(from the running start`));
    assert.match(alert.stdout, /sent \d+ authorisations/);
  });
  assert.equal(first.code, 0, first.stderr);
  assert.match(first.stderr, /northwind: 20 customers/);
  assert.ok(!existsSync(join(dataDir, 'gateway-url')), 'a stopped start forgets its address');
  const second = await startAndStop();
  assert.equal(second.code, 0, second.stderr);
  assert.match(second.stderr, /already holds 20 customers/);
});
