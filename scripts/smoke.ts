// npm run smoke [-- --with-tests] [--keep]
// A newcomer's first half hour, so README cannot drift: clones the current commit into a fresh
// temporary folder (nothing beside it: no ../shared), then runs README's ```sh commands in
// order exactly as written. `npm start` runs in the background until every later command has
// run (they are "a second terminal"); the URLs it prints and every local URL README quotes must
// answer; Ctrl-C must stop it cleanly; a second start must reuse the data. `npm test` runs
// only with --with-tests (`.ci/run` is the place for it); benchmarks never.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readmeCommands, readmeUrls } from './smoke/readme.ts';
import { type Finished, launch, progress, type Running, runToEnd, tail } from './smoke/shell.ts';
import { answers, bannerUrls, type UrlCheck, works } from './smoke/urls.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const withTests = process.argv.includes('--with-tests');
const keep = process.argv.includes('--keep');
const MINUTE = 60_000;

interface Outcome {
  command: string;
  result: 'ok' | 'FAILED' | 'skipped';
  note: string;
}
const outcomes: Outcome[] = [];
const record = (command: string, result: Outcome['result'], note: string) => {
  outcomes.push({ command, result, note });
  progress(`${result === 'ok' ? '✓' : result === 'skipped' ? '-' : '✗'} ${command}  ${note}`);
};

async function portFree(port: number): Promise<boolean> {
  const server = createServer();
  return new Promise((resolve) => {
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}

/** A terminal's environment: none of this project's settings, no npm run context, no node_modules/.bin. */
function newcomerEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^(npm_|PROVISO_|RELAY_)/.test(k)) continue;
    if (
      ['DATABASE_URL', 'TEST_DATABASE_URL', 'PORT', 'HOST', 'LOG_LEVEL', 'INIT_CWD', 'NODE_OPTIONS'].includes(
        k,
      )
    )
      continue;
    env[k] = v;
  }
  env['PATH'] = (process.env['PATH'] ?? '')
    .split(':')
    .filter((p) => !p.includes('node_modules'))
    .join(':');
  return { ...env, ...extra };
}

async function checkUrls(label: string, urls: UrlCheck[]): Promise<void> {
  const failed: string[] = [];
  for (const check of urls) {
    const why = await answers(check);
    if (why) failed.push(`${check.url}: ${why}`);
  }
  if (failed.length)
    record(
      label,
      'FAILED',
      `${failed.length} of ${urls.length} do not answer:\n    ${failed.join('\n    ')}`,
    );
  else record(label, 'ok', `${urls.length} URLs answer`);
}

async function waitForStart(running: Running, what: string): Promise<Finished | string> {
  try {
    await running.waitFor(/Press Ctrl-C to stop\./, 20 * MINUTE);
    return running.output();
  } catch (error) {
    running.child.pid && process.kill(-running.child.pid, 'SIGKILL');
    const end = await running.finished;
    record(what, 'FAILED', `${(error as Error).message}\n${tail(end.output)}`);
    return end;
  }
}

/** True once no process of the group is left (sh, npm and proviso all gone). */
async function groupGone(pid: number): Promise<boolean> {
  for (let i = 0; i < 100; i++) {
    try {
      process.kill(-pid, 0);
    } catch {
      return true;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

/**
 * Ctrl-C as a terminal sends it (SIGINT to the foreground group). Clean: proviso says it is
 * stopping and prints no error after that, every process of the group ends, and npm ends with
 * 0 or by the SIGINT it was sent (as in a terminal: exit 130).
 */
async function stop(running: Running, what: string): Promise<void> {
  const end = await running.interrupt(2 * MINUTE);
  const after = end.output.split('stopping…')[1] ?? '';
  const problems = [
    /stopping…/.test(end.output) ? '' : 'it never said "stopping…"',
    /error|exception|unhandled/i.test(after) ? `after stopping: ${after.trim().slice(0, 300)}` : '',
    end.code === 0 || end.code === 130 || end.signal === 'SIGINT'
      ? ''
      : `it ended with ${end.code ?? end.signal}`,
    (await groupGone(running.child.pid!)) ? '' : 'processes of the group are still running',
  ].filter(Boolean);
  if (problems.length) record(`${what}: Ctrl-C`, 'FAILED', `${problems.join('; ')}\n${tail(end.output, 10)}`);
  else record(`${what}: Ctrl-C`, 'ok', `stopped cleanly (${end.code ?? end.signal})`);
}

/** A clone of the commit in a new temporary folder, with nothing beside it. */
function freshClone(commit: string): { base: string; clone: string } {
  const base = mkdtempSync(join(tmpdir(), 'proviso-smoke-'));
  const clone = join(base, 'proviso');
  progress(`cloning ${commit.slice(0, 12)} into ${clone} (no ../shared beside it)`);
  execFileSync('git', ['clone', '--quiet', '--no-checkout', ROOT, clone]);
  execFileSync('git', ['-C', clone, 'checkout', '--quiet', '--detach', commit]);
  if (existsSync(join(base, 'shared'))) throw new Error('a ../shared folder exists beside the clone');
  return { base, clone };
}

async function main(): Promise<number> {
  const commit = execFileSync('git', ['-C', ROOT, 'rev-parse', 'HEAD'], { encoding: 'utf8' }).trim();
  if (execFileSync('git', ['-C', ROOT, 'status', '--porcelain'], { encoding: 'utf8' }).trim())
    progress('note: the working tree has uncommitted changes; the smoke test runs the last commit');
  const { base, clone } = freshClone(commit);

  const readme = readFileSync(join(clone, 'README.md'), 'utf8');
  const gatewayPort = (await portFree(4100)) ? 4100 : await freePort();
  const relayPort = (await portFree(4200)) ? 4200 : await freePort();
  const ports: Record<string, string> = {};
  if (gatewayPort !== 4100) ports['PORT'] = String(gatewayPort);
  if (relayPort !== 4200) ports['RELAY_PORT'] = String(relayPort);
  if (Object.keys(ports).length)
    progress(
      `4100/4200 are taken on this machine: using ${JSON.stringify(ports)} and the same ports in README's URLs`,
    );
  const local = (s: string) =>
    s
      .replaceAll('127.0.0.1:4100', `127.0.0.1:${gatewayPort}`)
      .replaceAll('127.0.0.1:4200', `127.0.0.1:${relayPort}`);
  const env = newcomerEnv(ports);
  const commands = readmeCommands(readme);
  progress(`README states ${commands.length} commands: ${commands.map((c) => c.command).join(' | ')}`);

  let start: Running | undefined;
  let testsAsked = false;
  for (const { command: stated, section } of commands) {
    const command = local(stated);
    if (/^npm run bench/.test(command)) {
      record(stated, 'skipped', `benchmark ("${section}"): long, not a first-run step`);
      continue;
    }
    if (command === 'npm test') {
      testsAsked = true;
      if (!withTests) record(stated, 'skipped', 'run `npm run smoke -- --with-tests` (or `.ci/run`) for it');
      continue;
    }
    if (command === 'npm start') {
      progress(`$ ${command}   (first start: migrate, seed, build the chat)`);
      start = launch(command, clone, env);
      const banner = await waitForStart(start, stated);
      if (typeof banner !== 'string') return report(base, false);
      record(stated, 'ok', `banner after ${secondsSince(start)} s (first start)`);
      await checkUrls('URLs printed by npm start', bannerUrls(banner));
      await checkUrls(
        "README's local URLs",
        readmeUrls(readme).map((u) => ({ url: local(u).replaceAll('{bank}', 'northwind'), accept: works })),
      );
      continue;
    }
    progress(`$ ${command}${start ? '   (beside the running start)' : ''}`);
    const end = await runToEnd(command, clone, env, 20 * MINUTE);
    if (end.code === 0) record(stated, 'ok', `${Math.round(end.seconds)} s; ${lastLine(end.output)}`);
    else {
      record(
        stated,
        'FAILED',
        `exit ${end.code ?? end.signal} after ${Math.round(end.seconds)} s\n${tail(end.output)}`,
      );
      if (command.startsWith('npm ci')) return report(base, false);
    }
  }
  if (start) {
    await stop(start, 'npm start');
    await restart(clone, env);
  } else record('npm start', 'FAILED', 'README states no `npm start`');
  if (testsAsked && withTests) await runTests(clone, env);
  return report(
    base,
    outcomes.every((o) => o.result !== 'FAILED'),
  );
}

/** README: "the next start reuses the data". */
async function restart(clone: string, env: NodeJS.ProcessEnv): Promise<void> {
  progress('$ npm start   (again: it must reuse the data)');
  const again = launch('npm start', clone, env);
  const banner = await waitForStart(again, 'npm start (second)');
  if (typeof banner !== 'string') return;
  const reused = /already holds/.test(banner);
  record(
    'npm start (second)',
    reused ? 'ok' : 'FAILED',
    `banner after ${secondsSince(again)} s; ${reused ? 'data reused' : 'seeded again'}`,
  );
  await stop(again, 'npm start (second)');
}

async function runTests(clone: string, env: NodeJS.ProcessEnv): Promise<void> {
  progress('$ npm test');
  const end = await runToEnd('npm test', clone, env, 90 * MINUTE);
  const summary = end.output.match(/ℹ (tests|pass|fail|skipped) \d+/g)?.join(', ') ?? lastLine(end.output);
  record(
    'npm test',
    end.code === 0 ? 'ok' : 'FAILED',
    `${Math.round(end.seconds)} s; ${summary}${end.code === 0 ? '' : `\n${tail(end.output, 60)}`}`,
  );
}

const secondsSince = (running: Running) => Math.round((Date.now() - running.startedAt) / 1000);

const lastLine = (output: string) => output.trimEnd().split('\n').at(-1)?.slice(0, 160) ?? '';

function report(base: string, ok: boolean): number {
  process.stdout.write('\nsmoke summary\n');
  for (const o of outcomes) process.stdout.write(`  ${o.result.padEnd(8)}${o.command}\n`);
  process.stdout.write(ok ? '\nsmoke: every README command works on a fresh clone\n' : '\nsmoke: FAILED\n');
  if (ok && !keep) rmSync(base, { recursive: true, force: true });
  else process.stdout.write(`the clone is kept at ${base}\n`);
  return ok ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`smoke: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  },
);
