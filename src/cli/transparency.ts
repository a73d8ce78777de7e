// `proviso witness` and `proviso verify`: the auditor's and the other banks' side of the
// transparency log. Both find a log through the gateway's /.well-known/proviso.
import { join } from 'node:path';
import { httpTileFetcher, type VerifyReport, verifyLog } from '../translog/index.ts';
import { type RunningWitness, startWitness } from '../witness/index.ts';
import { progressBar } from './progress.ts';

/** Logs up to this many entries get the full check by default (PROVISO_VERIFY_FULL_LIMIT). */
export const DEFAULT_FULL_CHECK_LIMIT = 1_000_000;

export interface DiscoveredLog {
  bankId: string;
  prefix: string;
  verifierKey: string;
  witnesses: { url: string; verifier_key: string }[];
  quorum: number;
}

export class DiscoveryError extends Error {
  override name = 'DiscoveryError';
}

export async function discoverLogs(gatewayUrl: string): Promise<DiscoveredLog[]> {
  const url = `${gatewayUrl.replace(/\/+$/, '')}/.well-known/proviso`;
  let doc: {
    banks?: {
      id: string;
      log_prefix?: string;
      log_verifier_key?: string;
      log_witnesses?: DiscoveredLog['witnesses'];
      log_witness_quorum?: number;
    }[];
  };
  try {
    const res = await fetch(url);
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    doc = (await res.json()) as typeof doc;
  } catch (error) {
    throw new DiscoveryError(`cannot read ${url}: ${error instanceof Error ? error.message : String(error)}`);
  }
  return (doc.banks ?? [])
    .filter((b) => b.log_prefix && b.log_verifier_key)
    .map((b) => ({
      bankId: b.id,
      prefix: b.log_prefix!,
      verifierKey: b.log_verifier_key!,
      witnesses: b.log_witnesses ?? [],
      quorum: b.log_witness_quorum ?? 0,
    }));
}

export interface VerifyCommand {
  gateway: string;
  bankId: string;
  stateDir: string;
  /** Witness keys to require; when empty, those the gateway advertises (trust on first use). */
  witnessKeys: string[];
  quorum: number | undefined;
  entries: number[];
  /** auto: full check when the log holds at most `fullLimit` entries; always; never. */
  full?: 'auto' | 'always' | 'never';
  fullLimit?: number;
  /** Show a progress bar on stderr during the full check. */
  progress?: boolean;
}

function fullCheckLine(report: VerifyReport): string[] {
  const full = report.full;
  if (!full) return ['full check  not run (--quick)'];
  if (full.skipped) return [`full check  skipped: ${full.skipped} (--full to force)`];
  if (!full.ok) {
    return [
      `full check  FAILED${full.firstBadIndex === undefined ? '' : `: first bad entry ${full.firstBadIndex}`}`,
    ];
  }
  const rate = full.seconds > 0 ? Math.round(full.checked / full.seconds) : full.checked;
  return [
    `full check  ${full.checked} entries fetched, every tile and the root recomputed in ${full.seconds.toFixed(2)} s (${rate} entries/s)`,
  ];
}

export async function runVerify(cmd: VerifyCommand): Promise<{ report: VerifyReport; text: string }> {
  const log = (await discoverLogs(cmd.gateway)).find((l) => l.bankId === cmd.bankId);
  if (!log) throw new DiscoveryError(`the gateway publishes no transparency log for bank '${cmd.bankId}'`);
  const witnessKeys = cmd.witnessKeys.length ? cmd.witnessKeys : log.witnesses.map((w) => w.verifier_key);
  const quorum = cmd.quorum ?? (cmd.witnessKeys.length ? cmd.witnessKeys.length : log.quorum);
  const res = await fetch(`${log.prefix}/checkpoint`);
  if (!res.ok) throw new DiscoveryError(`cannot fetch ${log.prefix}/checkpoint: HTTP ${res.status}`);
  const mode = cmd.full ?? 'auto';
  let bar: ReturnType<typeof progressBar> | undefined;
  const report = await verifyLog({
    checkpoint: await res.text(),
    policy: { logKeys: [log.verifierKey], witnessKeys, quorum },
    stateFile: join(cmd.stateDir, `${cmd.bankId}.checkpoint.json`),
    tiles: httpTileFetcher(log.prefix),
    entries: cmd.entries,
    full:
      mode === 'never'
        ? false
        : {
            ...(mode === 'auto' ? { upToSize: cmd.fullLimit ?? DEFAULT_FULL_CHECK_LIMIT } : {}),
            ...(cmd.progress
              ? {
                  onProgress: (checked: number, total: number) => {
                    bar ??= progressBar('full check', total, 'entries');
                    bar.update(checked);
                  },
                }
              : {}),
          },
  });
  bar?.stop();
  const lines = [
    `log        ${report.origin ?? log.prefix}`,
    `checkpoint size ${report.size ?? '?'}, root ${report.root ?? '?'}`,
    `signatures log key ${log.verifierKey.split('+')[0]}: ${report.errors.some((e) => /signature/i.test(e)) ? 'FAILED' : 'ok'}; ` +
      `cosignatures ${report.cosignatures.length}/${quorum} required (${report.cosignatures.map((c) => c.name).join(', ') || 'none'})`,
    `consistency ${report.consistency}${report.previous ? ` with size ${report.previous.size} seen before` : ''}`,
    ...(report.splitView
      ? [
          `SPLIT VIEW: ${report.splitView.reason}`,
          `  before: ${report.splitView.previous.split('\n')[1] ?? ''}`,
          `  now:    ${report.splitView.current.split('\n')[1] ?? ''}`,
        ]
      : []),
    ...fullCheckLine(report),
    ...report.inclusions.map(
      (i) =>
        `entry ${i.index}: ${i.ok ? 'included' : `NOT PROVEN (${i.error})`}${i.entry ? `  ${i.entry}` : ''}`,
    ),
    ...report.errors.map((e) => `error: ${e}`),
    report.ok ? 'VERIFIED' : 'FAILED',
  ];
  return { report, text: lines.join('\n') };
}

export interface WitnessCommand {
  gateway: string | undefined;
  logKeys: string[];
  name: string;
  dataDir: string;
  host: string;
  port: number;
}

export async function runWitness(cmd: WitnessCommand): Promise<RunningWitness> {
  const logKeys = [...cmd.logKeys];
  if (cmd.gateway) for (const l of await discoverLogs(cmd.gateway)) logKeys.push(l.verifierKey);
  if (!logKeys.length) throw new DiscoveryError('no logs to witness: give --gateway URL or --log-key KEY');
  return startWitness({ name: cmd.name, dataDir: cmd.dataDir, host: cmd.host, port: cmd.port, logKeys });
}
