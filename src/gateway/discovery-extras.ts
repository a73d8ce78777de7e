// What the gateway adds to its discovery document beyond the banks themselves: where the
// platform's relay listens, and each bank's transparency log with its witnesses.
import type { TransparencyLog } from '../translog/index.ts';
import { logPathPrefix } from '../translog/index.ts';
import type { DiscoveryExtras } from './routes/discovery.ts';
import type { TransparencyConfig } from './transparency.ts';

export function gatewayDiscovery(
  relayUrl: string,
  logs: ReadonlyMap<string, TransparencyLog>,
  transparency: TransparencyConfig,
  publicUrl: () => string,
): DiscoveryExtras {
  return {
    relay: { url: relayUrl, web_client_url: `${relayUrl}/`, webhook_url: `${relayUrl}/webhook` },
    bank: async (bankId) => {
      const log = logs.get(bankId);
      if (!log) return {};
      return {
        log_prefix: `${publicUrl()}${logPathPrefix(bankId)}`,
        log_verifier_key: log.verifierKey,
        log_witnesses: transparency.witnesses.map((w) => ({ url: w.url, verifier_key: w.verifierKey })),
        log_witness_quorum: transparency.witnesses.length ? transparency.quorum : 0,
      };
    },
  };
}
