// `proviso demo-alert`: shows the fraud-alert loop on a running system. It sends a demo
// customer's usual card payments of the last two weeks (from the bank simulator, moved up to
// today) and then one big-ticket payment at a terminal the card never used, to the gateway's
// authorisation ingest, as the bank's card processor would. A customer who linked the bank in
// the chat with fraud alerts gets a sealed "Was this you?"; anyone else lands in the bank's
// investigator queue.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { demoAuthorisations, generateCustomer, regionFor, SqlBankCore } from '../bank/index.ts';
import type { GatewayConfig } from '../gateway/config.ts';
import { openStorage } from '../gateway/runtime.ts';

const DAY = 86_400_000;

export interface DemoAlertOptions {
  gateway: string;
  bankId: string;
  username: string;
  amount: string;
}

function ingestKey(config: GatewayConfig, bankId: string): string {
  const file = join(config.dataDir, 'ingest-keys.txt');
  const line = readFileSync(file, 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${bankId}:`));
  if (!line)
    throw new Error(
      `no ingest key for ${bankId} in ${file}; is 'proviso start' running on this data folder?`,
    );
  return line.slice(bankId.length + 1);
}

export async function runDemoAlert(config: GatewayConfig, o: DemoAlertOptions): Promise<string> {
  const key = config.ingestKeys.get(o.bankId) ?? ingestKey(config, o.bankId);
  const database = await openStorage(config);
  let card: { id: string; customerId: string } | undefined;
  let index = 0;
  try {
    const core = new SqlBankCore(database, o.bankId);
    const customer = await core.customerByUsername(o.username);
    if (!customer) throw new Error(`no customer '${o.username}' at ${o.bankId}`);
    card = (await core.cards(customer.id)).find((c) => c.status === 'active');
    if (!card) throw new Error(`${o.username} has no active card at ${o.bankId} (unfreeze one first)`);
    index = customer.username === 'demo' ? 0 : Number(/(\d+)$/.exec(customer.username)?.[1] ?? 0);
  } finally {
    await database.close();
  }
  // The customer's own purchases from the simulator, shifted so the last one was an hour ago.
  const region = regionFor(o.bankId);
  const now = Date.now();
  const simulated = generateCustomer(index, {
    seed: config.seed,
    bankId: o.bankId,
    region,
    days: 30,
    end: new Date(now),
  });
  const own = demoAuthorisations([simulated], {
    seed: config.seed,
    bankId: o.bankId,
    currency: region.currency,
  })
    .filter((a) => a.fraud === null && Date.parse(a.time) > now - 14 * DAY)
    .slice(-40);
  const shift = now - 3_600_000 - Date.parse(own.at(-1)?.time ?? new Date(now).toISOString());
  const run = `${now.toString(36)}`;
  const events = own.map(({ fraud: _f, ...a }, i) => ({
    ...a,
    transactionId: `demo-${run}-${i}`,
    cardId: card!.id,
    customerId: card!.customerId,
    time: new Date(Date.parse(a.time) + shift).toISOString(),
  }));
  events.push({
    transactionId: `demo-${run}-fraud`,
    bankId: o.bankId,
    cardId: card.id,
    customerId: card.customerId,
    terminalId: `electro-outlet-online-${run}`,
    merchantName: 'Electro Outlet Online',
    mcc: '5732',
    country: region.country === 'GB' ? 'RO' : 'US',
    channel: 'ecom',
    amount: o.amount,
    currency: region.currency,
    time: new Date(now).toISOString(),
  });
  const res = await fetch(`${o.gateway}/banks/${o.bankId}/screening/authorisations`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify({ events }),
  });
  const body = (await res.json()) as {
    screened?: number;
    results?: { alert: boolean; alertId: string | null }[];
    detail?: string;
  };
  if (!res.ok) throw new Error(`the gateway refused the authorisations: ${body.detail ?? res.status}`);
  const last = body.results?.at(-1);
  return last?.alert
    ? `sent ${events.length} authorisations; the last one raised alert ${last.alertId}: look at the chat (if linked with fraud alerts) or ${o.gateway}/banks/${o.bankId}/investigator`
    : `sent ${events.length} authorisations; no alert this time (the engine scored the last one below the threshold)`;
}
