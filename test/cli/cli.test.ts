// The `proviso` command as a user runs it: help, exit codes, and a start that stops
// cleanly on Ctrl-C and reuses its data on the next start.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';

const BIN = new URL('../../bin/proviso', import.meta.url).pathname;
const dataDir = mkdtempSync(join(tmpdir(), 'proviso-cli-'));
after(() => rmSync(dataDir, { recursive: true, force: true }));

const env = {
  ...process.env,
  PROVISO_DATA: dataDir,
  PORT: '0',
  LOG_LEVEL: 'warn',
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

async function startAndStop(): Promise<{ stdout: string; stderr: string; code: number | null }> {
  const child = spawn(BIN, ['start'], { env });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => {
    stdout += d;
  });
  child.stderr.on('data', (d) => {
    stderr += d;
  });
  const deadline = Date.now() + 60_000;
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
  child.kill('SIGINT');
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  return { stdout, stderr, code };
}

test('start serves, Ctrl-C stops it cleanly, and a second start reuses the data', async () => {
  const first = await startAndStop();
  assert.equal(first.code, 0, first.stderr);
  assert.match(first.stderr, /northwind: 20 customers/);
  const second = await startAndStop();
  assert.equal(second.code, 0, second.stderr);
  assert.match(second.stderr, /already holds 20 customers/);
});
