// One transparency log per bank, signed with the bank's Ed25519 log key from the key
// store and cosigned by the configured witnesses (k of n). Also the log's gauges on
// /metrics and the readiness alarm when witnesses stop cosigning.
import { Gauge, type Registry } from 'prom-client';
import type { AuditTrail } from '../audit/index.ts';
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
  onWitnessFailure?: (witness: string, reason: string) => void,
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
              ...(onWitnessFailure ? { onFailure: onWitnessFailure } : {}),
            },
          }
        : {}),
    });
    logs.set(bank.id, log);
  }
  return logs;
}

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
