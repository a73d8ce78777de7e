// What the gateway's routes need, assembled once at start-up by the app that runs it.
import type { AccessResolver } from '../access/index.ts';
import type { AuditTrail } from '../audit/index.ts';
import type { Bank, BankCore } from '../bank/index.ts';
import type { KeyStore } from '../keys/index.ts';
import type { ReleasePath } from '../release/index.ts';
import type { Database } from '../storage/index.ts';
import type { TransparencyLog } from '../translog/index.ts';

export interface GatewayContext {
  database: Database;
  keyStore: KeyStore;
  /** Public base URL (scheme://host:port), used in links and discovery. */
  publicUrl: string;
  version: string;
  /** Banks this gateway serves, by id. */
  banks: ReadonlyMap<string, Bank>;
  core(bankId: string): BankCore;
  access: AccessResolver;
  /** Appends every release to the bank's transparency log before it leaves the gateway. */
  audit: AuditTrail;
  /** The one path by which data leaves: authenticate, consent, decide, read, project, log, seal. */
  release: ReleasePath;
  logs: ReadonlyMap<string, TransparencyLog>;
}
