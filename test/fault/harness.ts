// Child process of the crash test: the real gateway runtime (storage, banks and keys, the
// bank logs, the demo witness, the audit trail) releasing as fast as it can through
// `audit.record`, the step every release goes through. Each release carries a unique tag
// (as its platform id); `ack <index> <tag>` is printed only once the release is logged, i.e.
// when the gateway would send the data. PROVISO_FAULT / PROVISO_FAULT_AT make the process
// kill itself at a chosen point (src/translog/fault.ts).
//   node test/fault/harness.ts TAG      with PROVISO_DATA (and DATABASE_URL for PostgreSQL)
import { readConfig } from '../../src/gateway/config.ts';
import { startGateway } from '../../src/gateway/runtime.ts';
import { insertAuthorisedConsents } from '../support/consent-rows.ts';

const FAULT_BANK = 'northwind';
const CUSTOMERS = 8;
const CONCURRENCY = 16;

const tag = process.argv[2] ?? 'run';
const gw = await startGateway({ ...readConfig(process.env), port: 0, logLevel: 'silent' });
// The consents the releases ride on: authorised, so the re-check in the logging transaction
// (src/consent/release-guard.ts) lets them through.
await insertAuthorisedConsents(
  gw.database,
  FAULT_BANK,
  Array.from({ length: CUSTOMERS }, (_, n) => ({ id: `consent-${n}`, customerId: `customer-${n}` })),
);
process.stdout.write(`ready ${gw.url}\n`);
let next = 0;
async function releases(): Promise<void> {
  for (;;) {
    const n = next++;
    const platform = `${tag}-${n}`;
    try {
      const index = await gw.audit.record({
        bankId: FAULT_BANK,
        customerId: `customer-${n % CUSTOMERS}`,
        pairwiseId: `pairwise-${n % CUSTOMERS}`,
        consentId: `consent-${n % CUSTOMERS}`,
        platform,
        kind: 'data.access',
        purpose: 'balance_inquiry',
        clusters: ['balances'],
        released: Buffer.from(`sealed envelope ${platform}`),
        // The request's DPoP replay record commits with the entry (kept a day: no purge mid-test).
        replay: { jkt: 'fault-harness', jti: platform, expiresAt: new Date(Date.now() + 86_400_000) },
      });
      process.stdout.write(`ack ${index} ${platform}\n`);
    } catch (error) {
      process.stdout.write(`refused ${platform} ${(error as Error).name}\n`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}
await Promise.all(Array.from({ length: CONCURRENCY }, releases));
