import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const APPENDER = fileURLToPath(new URL('../fixtures/appender.ts', import.meta.url));

export interface Appender {
  readonly child: ChildProcess;
  /** index → entry for every acknowledged append seen on stdout. */
  readonly acks: Map<number, string>;
  readonly exited: Promise<number | null>;
}

export function startAppender(url: string, tag: string, count: number, concurrency: number): Appender {
  const child = spawn(process.execPath, [APPENDER, url, tag, String(count), String(concurrency)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const acks = new Map<number, string>();
  let buffer = '';
  child.stdout!.setEncoding('utf8');
  child.stdout!.on('data', (chunk: string) => {
    buffer += chunk;
    const lines = buffer.split('\n');
    buffer = lines.pop()!;
    for (const line of lines) {
      const m = /^ack (\d+) (\S+)$/.exec(line);
      if (m) acks.set(Number(m[1]), m[2]!);
    }
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, acks, exited };
}
