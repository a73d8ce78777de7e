// The whole system for the alert benchmark, in its own process: gateway (PGlite in a temp
// folder, or DATABASE_URL), a seeded Northwind, the relay with an in-memory database, and one
// device registered at the relay and linked to the demo customer through the real consent
// flow (fraud alerts included). Prints what the load generator needs as one JSON line.
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { regionFor, seedBank } from '../../src/bank/index.ts';
import { readConfig } from '../../src/gateway/config.ts';
import { startGateway } from '../../src/gateway/runtime.ts';
import { KeyEncryptionKey } from '../../src/keys/index.ts';
import { readRelayConfig, startRelay } from '../../src/relay/index.ts';
import { openDatabase } from '../../src/storage/index.ts';
import { approveAtBank } from '../../test/support/consent.ts';
import { freePort } from '../../test/support/net.ts';
import { SYSTEM_SEED } from '../lib/system-seed.ts';

const customers = Number(process.env['BENCH_CUSTOMERS'] ?? 1000);
const dataDir = mkdtempSync(join(tmpdir(), 'proviso-bench-system-'));
const relayPort = await freePort();
const config = {
  ...readConfig({
    ...process.env,
    PROVISO_DATA: dataDir,
    PROVISO_RELAY_URL: `http://127.0.0.1:${relayPort}`,
  }),
  port: 0,
  logLevel: 'silent',
};
const gw = await startGateway(config, { kek: KeyEncryptionKey.generate() });
await seedBank(gw.database, {
  bankId: 'northwind',
  region: regionFor('northwind'),
  customers,
  ...SYSTEM_SEED,
});
const relayDb = await openDatabase();
const relay = await startRelay(
  {
    ...readRelayConfig({ PROVISO_DATA: dataDir, PROVISO_GATEWAY_URL: gw.url }),
    port: relayPort,
    logLevel: 'silent',
    buildWeb: false,
    pollMs: 0,
  },
  { database: relayDb },
);
gw.connectRelay({ url: relay.info.webhook_url, secret: (bankId) => relay.webhookSecret(bankId) });

// The device: an X25519 key (the benchmark never opens envelopes, it times their arrival).
const { publicKey } = generateKeyPairSync('x25519');
const registered = (await (
  await fetch(`${relay.url}/api/devices`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ public_key: publicKey.export({ format: 'jwk' }).x }),
  })
).json()) as { token: string };
const started = (await (
  await fetch(`${relay.url}/api/links`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${registered.token}` },
    body: JSON.stringify({ bank: 'northwind' }),
  })
).json()) as { authorization_url: string };
const { callback } = await approveAtBank(gw.url, started.authorization_url, {
  bank: 'northwind',
  username: 'demo',
});
const finished = await fetch(callback, { redirect: 'manual' });
if (!finished.headers.get('location')?.includes('linked=northwind'))
  throw new Error(
    `the relay did not finish the link: ${finished.status} ${finished.headers.get('location')}`,
  );

process.stdout.write(
  `${JSON.stringify({
    gateway: gw.url,
    relay: relay.url,
    ingestKey: gw.ingestKeys.get('northwind'),
    deviceToken: registered.token,
    customers,
    storage: gw.database.kind,
  })}\n`,
);
process.on(
  'SIGTERM',
  () =>
    void (async () => {
      await relay.close();
      await relayDb.close();
      await gw.close();
      rmSync(dataDir, { recursive: true, force: true });
      process.exit(0);
    })(),
);
