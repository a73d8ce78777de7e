// The banks the relay can link to, from the gateway's /.well-known/proviso (cached briefly).
import type { BankInfo } from './platform.ts';

export interface BankDirectory {
  list(): Promise<BankInfo[]>;
  get(bankId: string): Promise<BankInfo | undefined>;
}

interface DiscoveryDoc {
  banks?: { id: string; name: string; issuer: string; jwks_uri: string }[];
}

export function discoveryDirectory(gatewayUrl: string, ttlMs = 60_000): BankDirectory {
  let cached: { at: number; banks: BankInfo[] } | undefined;
  async function list(): Promise<BankInfo[]> {
    if (cached && Date.now() - cached.at < ttlMs) return cached.banks;
    try {
      const res = await fetch(`${gatewayUrl}/.well-known/proviso`, { signal: AbortSignal.timeout(5000) });
      if (!res.ok) throw new Error(`discovery answered ${res.status}`);
      const doc = (await res.json()) as DiscoveryDoc;
      const banks = (doc.banks ?? []).map((b) => ({
        id: b.id,
        name: b.name,
        issuer: b.issuer,
        jwks_uri: b.jwks_uri,
        bot_events_url: `${gatewayUrl}/banks/${encodeURIComponent(b.id)}/bot/events`,
      }));
      cached = { at: Date.now(), banks };
      return banks;
    } catch (e) {
      // A stale list beats none while the gateway restarts.
      if (cached) return cached.banks;
      throw e;
    }
  }
  return {
    list,
    async get(bankId) {
      return (await list()).find((b) => b.id === bankId);
    },
  };
}

/** A fixed directory (tests, or a relay configured without discovery). */
export function staticDirectory(banks: BankInfo[]): BankDirectory {
  return {
    list: async () => banks,
    get: async (id) => banks.find((b) => b.id === id),
  };
}
