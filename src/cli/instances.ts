// More gateway processes on the one port (PROVISO_INSTANCES=N, PostgreSQL only). One Node
// process serves requests on one core; a bank's deployment runs several instances on one
// PostgreSQL anyway (behind a balancer), and here N processes on one host share the port:
// each binds it with SO_REUSEPORT and the kernel spreads new connections over them. The
// instances need nothing from each other — PostgreSQL is the source of truth (consent changes
// by LISTEN/NOTIFY and re-checked inside every log batch, DPoP replay records committed with
// the release, the outbox claimed with SKIP LOCKED, the logs sequenced by their state row).
//
// `proviso start` runs the first instance itself (with the relay, the merchants and the demo
// witness) and forks the others with gateway-instance.ts; what they must share that is not in
// the environment (the actual port, the demo witness, the relay's webhook secrets) is sent
// over the IPC channel, so no secret sits in a process's environment.
import { type ChildProcess, fork } from 'node:child_process';

/** Sent to an extra instance once: environment overrides for its readConfig(). */
export interface InstanceStart {
  kind: 'start';
  env: Record<string, string>;
}

/** Sent back by an extra instance. */
export type InstanceReport =
  | { kind: 'ready'; url: string; pid: number }
  | { kind: 'failed'; message: string };

/** What the extra instances must share with the first one. */
export interface SharedWithInstances {
  /** The port the first instance bound (with SO_REUSEPORT). */
  port: number;
  /** The URL every instance serves (DPoP proofs name it). */
  publicUrl: string;
  /** The first instance's demo witness, which every instance's logs then use; none if configured. */
  witness?: { url: string; verifierKey: string } | undefined;
  /** The reference relay and its webhook secret per bank, when started with the gateway. */
  relay?: { url: string; secrets: Map<string, string> } | undefined;
  /** Anything else to set in the instances' configuration (tests: the key-encryption key). */
  env?: Record<string, string>;
}

export interface ExtraInstances {
  readonly pids: number[];
  close(): Promise<void>;
}

const ENTRY = new URL('./gateway-instance.ts', import.meta.url);
const START_TIMEOUT_MS = 120_000;

/** The configuration overrides every extra instance gets. */
export function instanceEnv(shared: SharedWithInstances): Record<string, string> {
  const env: Record<string, string> = {
    PORT: String(shared.port),
    PROVISO_PUBLIC_URL: shared.publicUrl,
    ...shared.env,
  };
  if (shared.witness) {
    env['PROVISO_WITNESSES'] = `${shared.witness.url}|${shared.witness.verifierKey}`;
    env['PROVISO_WITNESS_QUORUM'] = '1';
  }
  if (shared.relay) {
    env['PROVISO_RELAY_URL'] = shared.relay.url;
    env['PROVISO_RELAY_APP_SECRETS'] = [...shared.relay.secrets]
      .map(([bank, secret]) => `${bank}=${secret}`)
      .join(',');
  }
  return env;
}

/** Forks `count` more gateway instances on the shared port; resolves once every one listens. */
export async function startExtraInstances(
  count: number,
  shared: SharedWithInstances,
  /** Where their logs go: this process's stdout (default) or stderr (when stdout is a protocol). */
  logsTo: 'stdout' | 'stderr' = 'stdout',
): Promise<ExtraInstances> {
  const children: ChildProcess[] = [];
  const stopAll = async () => {
    await Promise.all(children.map(stopInstance));
  };
  try {
    for (let i = 0; i < count; i++) children.push(await forkInstance(instanceEnv(shared), logsTo));
  } catch (error) {
    await stopAll();
    throw error;
  }
  return { pids: children.map((c) => c.pid!), close: stopAll };
}

async function forkInstance(env: Record<string, string>, logsTo: 'stdout' | 'stderr'): Promise<ChildProcess> {
  const child = fork(ENTRY, [], {
    stdio: ['ignore', logsTo === 'stdout' ? 'inherit' : 'pipe', 'inherit', 'ipc'],
  });
  child.stdout?.pipe(process.stderr);
  const started = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error('a gateway instance did not start in time')),
      START_TIMEOUT_MS,
    );
    const done = (error?: Error) => {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
      if (error) reject(error);
      else resolve();
    };
    const onMessage = (message: InstanceReport) => {
      if (message.kind === 'ready') done();
      else done(new Error(`a gateway instance failed to start: ${message.message}`));
    };
    const onExit = (code: number | null) =>
      done(new Error(`a gateway instance exited (${code}) while starting`));
    child.on('message', onMessage);
    child.on('exit', onExit);
  });
  child.send({ kind: 'start', env } satisfies InstanceStart);
  try {
    await started;
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  return child;
}

/** Asks an instance to close (finishing its requests and batches) and waits for it to exit. */
async function stopInstance(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  if (child.connected) child.send({ kind: 'stop' });
  else child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}

/** What a running first instance shares with the others: its port, URL and demo witness. */
export function sharedFrom(gw: {
  app: { server: { address(): unknown } };
  url: string;
  witness: { submissionUrl: string; verifierKey: string } | undefined;
}): Pick<SharedWithInstances, 'port' | 'publicUrl' | 'witness'> {
  const address = gw.app.server.address() as { port: number };
  return {
    port: address.port,
    publicUrl: gw.url,
    witness: gw.witness ? { url: gw.witness.submissionUrl, verifierKey: gw.witness.verifierKey } : undefined,
  };
}
