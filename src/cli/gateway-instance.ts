// One extra gateway instance, forked by instances.ts for PROVISO_INSTANCES: it waits for its
// configuration overrides over the IPC channel, serves the gateway on the shared port (SO_REUSEPORT)
// until told to stop or until the first instance goes away, and reports over the same channel.
import { createWriteStream } from 'node:fs';
import { readConfig } from '../gateway/config.ts';
import { type RunningGateway, startGateway } from '../gateway/runtime.ts';
import { KeyEncryptionKey } from '../keys/index.ts';
import type { InstanceReport, InstanceStart } from './instances.ts';

let gateway: RunningGateway | undefined;
let stopping = false;

function report(message: InstanceReport): void {
  if (process.connected) process.send?.(message);
}

async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  try {
    await gateway?.close();
  } finally {
    process.exit(0);
  }
}

async function start(message: InstanceStart): Promise<void> {
  try {
    const env = { ...process.env, ...message.env };
    const config = readConfig(env);
    const kek = KeyEncryptionKey.load(env, config.dataDir);
    const logFile = env['PROVISO_LOG_FILE'] || undefined;
    const logStream = logFile ? createWriteStream(logFile, { flags: 'a' }) : undefined;
    gateway = await startGateway(config, { kek, ...(logStream ? { logStream } : {}) });
    report({ kind: 'ready', url: gateway.url, pid: process.pid });
  } catch (error) {
    report({ kind: 'failed', message: error instanceof Error ? error.message : String(error) });
    process.exit(1);
  }
}

process.on('message', (message: InstanceStart | { kind: 'stop' }) => {
  if (message.kind === 'start') void start(message);
  else if (message.kind === 'stop') void stop();
});
// The first instance went away (stopped or crashed): so does this one.
process.on('disconnect', () => void stop());
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => {});
