// One transparency log per bank, signed with the bank's Ed25519 log key from the key
// store and cosigned by the configured witnesses (k of n). Also the log's gauges on
// /metrics, the readiness alarms when witnesses stop cosigning, and the fail-closed policy:
// past the bank's limit without a cosignature, releases stop with a `log-not-cosigned` problem.
import type { FastifyBaseLogger } from 'fastify';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { AuditTrail, LogNotCosignedError, ReleasePolicy } from '../audit/index.ts';
import type { Bank } from '../bank/index.ts';
import type { ConsentEvent, ConsentEvents } from '../consent/index.ts';
import type { ReadinessCheck } from '../http/index.ts';
import type { KeyStore } from '../keys/index.ts';
import type { Database } from '../storage/index.ts';
import {
  createLog,
  ed25519Signer,
  logPathPrefix,
  type NoteSigner,
  SIG_ED25519,
  type TransparencyLog,
  type WitnessEndpoint,
} from '../translog/index.ts';

export interface TransparencyConfig {
  /** Host part of every log's origin; must stay the same for the life of the logs. */
  originHost: string;
  witnesses: WitnessEndpoint[];
  quorum: number;
  /** Readiness alarm after this many seconds without a cosignature while the log grows. */
  witnessAlarmSeconds: number;
  /** Releases stop after this many seconds of uncosigned entries (0: never); PROVISO_UNCOSIGNED_MAX_SECONDS. */
  uncosignedLimitSeconds: number;
}

export function logOrigin(originHost: string, bankId: string): string {
  return `${originHost}${logPathPrefix(bankId)}`;
}

/** The note signer for a bank's log (its active Ed25519 log key). */
export async function bankLogSigner(
  keyStore: KeyStore,
  originHost: string,
  bankId: string,
): Promise<NoteSigner> {
  const key = await keyStore.active(bankId, 'log', 'EdDSA');
  return ed25519Signer(logOrigin(originHost, bankId), SIG_ED25519, key.privateKey);
}

export async function openBankLogs(
  database: Database,
  keyStore: KeyStore,
  banks: readonly Bank[],
  config: TransparencyConfig,
  onWitnessFailure?: (bank: string, witness: string, reason: string) => void,
  onWitnessSuperseded?: (bank: string, witness: string, witnessSize: number, size: number) => void,
): Promise<Map<string, TransparencyLog>> {
  const logs = new Map<string, TransparencyLog>();
  for (const bank of banks) {
    const signer = await bankLogSigner(keyStore, config.originHost, bank.id);
    const log = await createLog(database, {
      logId: bank.id,
      origin: signer.name,
      signer,
      ...(config.witnesses.length
        ? {
            witnesses: {
              witnesses: config.witnesses,
              quorum: config.quorum,
              ...(onWitnessFailure
                ? {
                    onFailure: (witness: string, reason: string) =>
                      onWitnessFailure(bank.id, witness, reason),
                  }
                : {}),
              ...(onWitnessSuperseded
                ? {
                    onSuperseded: (witness: string, witnessSize: number, size: number) =>
                      onWitnessSuperseded(bank.id, witness, witnessSize, size),
                  }
                : {}),
            },
          }
        : {}),
    });
    logs.set(bank.id, log);
  }
  return logs;
}

/**
 * Witness refusals and refused releases: a log line each (never secrets: a witness's reason
 * is public, a refused release names only the bank) and counters on /metrics. Events before
 * the gateway's logger exists (the first checkpoint at start) are kept and written on attach.
 */
export class TransparencyEvents {
  #logger: FastifyBaseLogger | undefined;
  #witnessRefusals: Counter<'bank' | 'witness'> | undefined;
  #releasesRefused: Counter<'bank' | 'reason'> | undefined;
  readonly #early: (() => void)[] = [];

  attach(logger: FastifyBaseLogger, registry: Registry): void {
    this.#logger = logger;
    this.#witnessRefusals = new Counter({
      name: 'proviso_witness_refusals_total',
      help: 'Checkpoints a witness did not cosign (refused, unreachable or invalid answer)',
      labelNames: ['bank', 'witness'],
      registers: [registry],
    });
    this.#releasesRefused = new Counter({
      name: 'proviso_releases_refused_total',
      help: 'Releases refused by the fail-closed policy',
      labelNames: ['bank', 'reason'],
      registers: [registry],
    });
    for (const event of this.#early.splice(0)) event();
  }

  #emit(event: () => void): void {
    if (this.#logger) event();
    else if (this.#early.length < 1000) this.#early.push(event);
  }

  readonly witnessFailure = (bank: string, witness: string, reason: string): void =>
    this.#emit(() => {
      this.#witnessRefusals!.inc({ bank, witness });
      this.#logger!.warn({ bank, witness, reason }, 'witness did not cosign the checkpoint');
    });

  /** Another instance's larger checkpoint reached the witness first: the expected race, not a refusal. */
  readonly witnessSuperseded = (bank: string, witness: string, witnessSize: number, size: number): void =>
    this.#emit(() => {
      this.#logger!.debug(
        { bank, witness, witnessSize, size },
        'checkpoint superseded: the witness already cosigned a larger one of this log',
      );
    });

  /** Refused releases since the last log line, per bank: one line per bank per 10 s, not one per request. */
  readonly #refusedSinceLine = new Map<string, { at: number; count: number }>();

  readonly releaseRefused = (error: LogNotCosignedError): void =>
    this.#emit(() => {
      this.#releasesRefused!.inc({ bank: error.bankId, reason: 'log-not-cosigned' });
      const last = this.#refusedSinceLine.get(error.bankId) ?? { at: 0, count: 0 };
      last.count += 1;
      this.#refusedSinceLine.set(error.bankId, last);
      if (Date.now() - last.at < 10_000) return;
      this.#logger!.error(
        {
          bank: error.bankId,
          uncosignedSeconds: Math.round(error.uncosignedSeconds),
          limitSeconds: error.limitSeconds,
          refused: last.count,
        },
        'release refused: the transparency log is not cosigned',
      );
      this.#refusedSinceLine.set(error.bankId, { at: Date.now(), count: 0 });
    });

  policy(config: TransparencyConfig): ReleasePolicy {
    return { maxUncosignedSeconds: config.uncosignedLimitSeconds, onRefused: this.releaseRefused };
  }
}

/**
 * The problem a client gets when a release could not be logged: 503 `log-not-cosigned`
 * under the fail-closed policy, 503 `audit-unavailable` for any other failure to log.
 */
export { releaseWithheld } from '../release/index.ts';

export function logMetrics(registry: Registry, logs: ReadonlyMap<string, TransparencyLog>): void {
  const health = async () =>
    Promise.all([...logs].map(async ([bank, log]) => [bank, await log.health()] as const));
  new Gauge({
    name: 'proviso_log_size',
    help: 'Entries in the bank transparency log',
    labelNames: ['bank'],
    registers: [registry],
    async collect() {
      for (const [bank, h] of await health()) this.set({ bank }, h.size);
    },
  });
  new Gauge({
    name: 'proviso_log_checkpoint_age_seconds',
    help: 'Seconds since the newest signed checkpoint',
    labelNames: ['bank'],
    registers: [registry],
    async collect() {
      for (const [bank, h] of await health())
        this.set({ bank }, Number.isFinite(h.checkpointAgeSeconds) ? h.checkpointAgeSeconds : -1);
    },
  });
  new Gauge({
    name: 'proviso_log_uncosigned_seconds',
    help: 'Seconds the log has held entries no witness quorum cosigned (releases stop past the limit)',
    labelNames: ['bank'],
    registers: [registry],
    async collect() {
      for (const [bank, log] of logs) this.set({ bank }, await log.uncosignedSeconds());
    },
  });
  new Gauge({
    name: 'proviso_log_witness_lag_seconds',
    help: 'Seconds since witnesses last cosigned a checkpoint (-1: never)',
    labelNames: ['bank'],
    registers: [registry],
    async collect() {
      for (const [bank, h] of await health()) {
        this.set({ bank }, h.lastCosignedAt ? (Date.now() - h.lastCosignedAt.getTime()) / 1000 : -1);
      }
    },
  });
}

/**
 * Alarm when a bank's newest checkpoint is newer than its last cosignature by more than
 * the threshold: the log is growing and the witnesses are not keeping up. An idle log
 * whose last checkpoint was cosigned is not an alarm.
 */
export function witnessAlarm(
  logs: ReadonlyMap<string, TransparencyLog>,
  config: TransparencyConfig,
): ReadinessCheck {
  const started = Date.now();
  return {
    name: 'witnesses',
    async check() {
      if (config.witnesses.length === 0) return null;
      const late: string[] = [];
      for (const [bank, log] of logs) {
        const h = await log.health();
        if (h.size === 0) continue;
        const sinceCosign = h.lastCosignedAt
          ? (Date.now() - h.lastCosignedAt.getTime()) / 1000
          : (Date.now() - started) / 1000;
        const uncosignedGrowth =
          h.uncheckpointed > 0 || !h.lastCosignedAt || h.checkpointAgeSeconds < sinceCosign;
        if (uncosignedGrowth && sinceCosign > config.witnessAlarmSeconds)
          late.push(`${bank} (${Math.round(sinceCosign)} s)`);
      }
      return late.length ? `no witness cosignature for ${late.join(', ')}` : null;
    },
  };
}

/** Alarm while releases are stopped for a bank because its log is not cosigned (fail-closed). */
export function releaseAlarm(
  logs: ReadonlyMap<string, TransparencyLog>,
  config: TransparencyConfig,
): ReadinessCheck {
  return {
    name: 'releases',
    async check() {
      if (config.witnesses.length === 0 || config.uncosignedLimitSeconds <= 0) return null;
      const stopped: string[] = [];
      for (const [bank, log] of logs) {
        const seconds = await log.uncosignedSeconds();
        if (seconds > config.uncosignedLimitSeconds)
          stopped.push(`${bank} (${Math.round(seconds)} s uncosigned)`);
      }
      return stopped.length ? `releases stopped, log not cosigned: ${stopped.join(', ')}` : null;
    },
  };
}

/**
 * Consent lifecycle events into the bank's log. Granting events veto the change when the log
 * cannot take them (nothing is granted unrecorded); ending events (revoked, expired) never
 * block the customer's way out — a failed append is reported and the consent still ends.
 */
export function consentAuditSink(
  audit: AuditTrail,
  pairwise: (bankId: string, platform: string, customerId: string) => Promise<string>,
  onFailure: (event: ConsentEvent, error: unknown) => void,
): ConsentEvents {
  return {
    async emit(event) {
      // Before login the customer is unknown: the entry commits to the consent alone, under a
      // key of its own, so nobody can later tie it to the customer who logged in.
      const owner = event.customerId ?? `consent:${event.consentId}`;
      const pairwiseId = event.customerId
        ? await pairwise(event.bankId, event.platform, event.customerId)
        : `pending:${event.consentId}`;
      try {
        await audit.record({
          bankId: event.bankId,
          customerId: owner,
          pairwiseId,
          consentId: event.consentId,
          platform: event.platform,
          kind: `consent.${event.kind}`,
          purpose: null,
          clusters: [...event.clusters],
          released: null,
          at: event.at,
        });
      } catch (error) {
        if (event.kind === 'revoked' || event.kind === 'expired') onFailure(event, error);
        else throw error;
      }
    },
  };
}
