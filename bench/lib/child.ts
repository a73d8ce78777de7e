// Runs a benchmark server in its own process (so the load generator does not share its
// event loop) and waits for the JSON line it prints when ready.
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface ChildServer<T> {
  info: T;
  stop(): Promise<void>;
}

export async function startChild<T>(
  script: URL,
  env: Record<string, string> = {},
  /** Node flags for the child, e.g. --cpu-prof. */
  nodeFlags: readonly string[] = [],
): Promise<ChildServer<T>> {
  const child: ChildProcess = spawn(process.execPath, [...nodeFlags, script.pathname], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout! });
  const info = await new Promise<T>((resolve, reject) => {
    child.once('exit', (code) =>
      reject(new Error(`${script.pathname} exited with ${code} before it was ready`)),
    );
    lines.once('line', (line) => resolve(JSON.parse(line) as T));
  });
  return {
    info,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
