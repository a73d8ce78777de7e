// Runs a README command as a person would in a fresh terminal: `sh -c` in the clone, in its own
// process group (so Ctrl-C, SIGINT to the group, reaches npm and what npm started).
import { type ChildProcess, spawn } from 'node:child_process';

const started = Date.now();

export function progress(message: string): void {
  const s = Math.round((Date.now() - started) / 1000);
  const clock = `${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
  process.stdout.write(`[smoke ${clock}] ${message}\n`);
}

export interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  output: string;
  seconds: number;
}

export interface Running {
  child: ChildProcess;
  /** Date.now() when it was launched. */
  startedAt: number;
  /** Everything written so far (stdout and stderr interleaved). */
  output(): string;
  /** Resolves when the output matches, rejects if the process ends or the time runs out first. */
  waitFor(pattern: RegExp, timeoutMs: number): Promise<RegExpExecArray>;
  /** Ctrl-C: SIGINT to the whole process group, then the way it ended. */
  interrupt(timeoutMs: number): Promise<Finished>;
  finished: Promise<Finished>;
}

/** Process groups still running; killed if the smoke test itself ends first. */
const groups = new Set<number>();
process.on('exit', () => {
  for (const pid of groups) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

export function launch(command: string, cwd: string, env: NodeJS.ProcessEnv): Running {
  const t0 = Date.now();
  const child = spawn('sh', ['-c', command], { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  if (child.pid) groups.add(child.pid);
  let output = '';
  const listeners = new Set<() => void>();
  const append = (chunk: Buffer) => {
    output += chunk.toString();
    for (const l of listeners) l();
  };
  child.stdout!.on('data', append);
  child.stderr!.on('data', append);
  const finished = new Promise<Finished>((resolve) => {
    child.once('close', (code, signal) => {
      if (child.pid) groups.delete(child.pid);
      resolve({ code, signal, output, seconds: (Date.now() - t0) / 1000 });
    });
  });
  const waitFor = (pattern: RegExp, timeoutMs: number) =>
    new Promise<RegExpExecArray>((resolve, reject) => {
      const check = () => {
        const m = pattern.exec(output);
        if (m) done(() => resolve(m));
      };
      const timer = setTimeout(
        () => done(() => reject(new Error(`no ${pattern} within ${timeoutMs / 1000} s`))),
        timeoutMs,
      );
      const ended = () => done(() => reject(new Error(`it exited before printing ${pattern}`)));
      const done = (then: () => void) => {
        clearTimeout(timer);
        listeners.delete(check);
        child.off('close', ended);
        then();
      };
      listeners.add(check);
      child.once('close', ended);
      check();
    });
  const interrupt = async (timeoutMs: number) => {
    if (child.exitCode === null && child.pid) process.kill(-child.pid, 'SIGINT');
    const timer = setTimeout(() => child.pid && process.kill(-child.pid, 'SIGKILL'), timeoutMs);
    const end = await finished;
    clearTimeout(timer);
    return end;
  };
  return { child, startedAt: t0, output: () => output, waitFor, interrupt, finished };
}

/** Runs to the end (killing the group after timeoutMs). */
export async function runToEnd(
  command: string,
  cwd: string,
  env: NodeJS.ProcessEnv,
  timeoutMs: number,
): Promise<Finished> {
  const running = launch(command, cwd, env);
  const timer = setTimeout(() => running.child.pid && process.kill(-running.child.pid, 'SIGKILL'), timeoutMs);
  const end = await running.finished;
  clearTimeout(timer);
  return end;
}

/** The last lines of an output, indented, for a failure report. */
export function tail(output: string, lines = 25): string {
  return output
    .trimEnd()
    .split('\n')
    .slice(-lines)
    .map((l) => `    ${l}`)
    .join('\n');
}
