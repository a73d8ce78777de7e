// The gateway side of bench/release.ts, run as its child: a real gateway (embedded database
// or DATABASE_URL), a seeded demo bank, one customer linked over the real FAPI 2.0 flow; it
// measures the step costs and the append -> cosigned latency, prints a JSON line (ServerInfo)
// and then serves the load (with BENCH_INSTANCES=N on PostgreSQL, beside N-1 more instances
// on the same port). SIGUSR2 opens and closes a measuring window (CPU, profile).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { JWK } from 'jose';
import { startLinkedGateway } from '../lib/linked-gateway.ts';
import { appendToCosigned } from '../release-cosign.ts';
import { type StepCosts, stepCosts } from '../release-steps.ts';

const PROFILE = process.env['BENCH_PROFILE'] === '1';

export interface ServerInfo {
  balancesUrl: string;
  botUrl: string;
  subject: string;
  accessToken: string;
  privateJwk: JWK;
  publicJwk: JWK;
  storage: string;
  steps: StepCosts;
  cosign: Awaited<ReturnType<typeof appendToCosigned>>;
  profileDir: string;
  pid: number;
  /** The other gateway instances on the same port (BENCH_INSTANCES, PostgreSQL only). */
  instancePids: number[];
}

async function serve(): Promise<void> {
  const { exportJWK } = await import('jose');
  // BENCH_INSTANCES=N: N gateway processes on one port, as PROVISO_INSTANCES (PostgreSQL only).
  const instances = process.env['DATABASE_URL'] ? Number(process.env['BENCH_INSTANCES'] ?? 1) : 1;
  const { gw, linked, dataDir, closeOnSigterm, instancePids } = await startLinkedGateway('release', {
    instances,
  });
  const bank = `${gw.url}/banks/northwind`;
  const balancesUrl = `${bank}/open-banking/v3.1/aisp/accounts/${linked.picked[0]}/balances`;
  const steps = await stepCosts(gw, linked, balancesUrl);
  const consent = (await gw.consent.store.get(linked.link.consentId))!;
  const cosign = await appendToCosigned(gw, {
    bankId: 'northwind',
    customerId: consent.customerId!,
    pairwiseId: linked.link.subject,
    consentId: consent.id,
    platform: consent.clientId,
    kind: 'data.access',
    purpose: 'balance_inquiry',
    clusters: ['balances'],
    released: Buffer.from('{"Data":{"Balance":[]}}'),
  });
  const info: ServerInfo = {
    balancesUrl,
    botUrl: `${bank}/bot/events`,
    subject: linked.link.subject,
    // A throwaway token for a throwaway database, handed to the parent over a pipe.
    accessToken: linked.link.accessToken,
    privateJwk: await exportJWK(linked.link.dpopKeys.privateKey),
    publicJwk: await exportJWK(linked.link.dpopKeys.publicKey),
    storage: gw.database.kind,
    steps,
    cosign,
    profileDir: dataDir,
    pid: process.pid,
    instancePids,
  };
  measureOnSignal(dataDir);
  process.stdout.write(`${JSON.stringify(info)}\n`);
  closeOnSigterm();
}

/**
 * SIGUSR2 opens a measuring window, the next closes it and writes <dir>/<n>.window.json: the
 * process's CPU time in the window (all threads, so PGlite's worker counts) and, with
 * BENCH_PROFILE=1, the main thread's CPU profile (<dir>/<n>.cpuprofile).
 */
function measureOnSignal(dir: string): void {
  let window: { cpu: NodeJS.CpuUsage; session?: import('node:inspector').Session } | undefined;
  let n = 0;
  process.on('SIGUSR2', () => {
    void (async () => {
      if (!window) {
        window = { cpu: process.cpuUsage() };
        if (!PROFILE) return;
        const inspector = await import('node:inspector');
        const session = new inspector.Session();
        session.connect();
        const post = (method: string) =>
          new Promise<void>((resolve) => session.post(method, () => resolve()));
        await post('Profiler.enable');
        await post('Profiler.start');
        window.session = session;
        return;
      }
      const { cpu, session } = window;
      window = undefined;
      const used = process.cpuUsage(cpu);
      const id = n++;
      if (session) {
        await new Promise<void>((resolve) =>
          session.post('Profiler.stop', (error, result) => {
            if (!error) writeFileSync(join(dir, `${id}.cpuprofile`), JSON.stringify(result.profile));
            session.disconnect();
            resolve();
          }),
        );
      }
      writeFileSync(
        join(dir, `${id}.window.json`),
        JSON.stringify({ cpuMicros: used.user + used.system, systemMicros: used.system }),
      );
    })();
  });
}

if (process.env['BENCH_RELEASE_SERVER'] === '1') await serve();
