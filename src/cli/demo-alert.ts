// `proviso demo-alert`: shows the fraud-alert loop on a running system. It sends a demo
// customer's usual card payments of the last two weeks (from the bank simulator, moved up to
// today) and then one big-ticket payment at a terminal the card never used, to the gateway's
// authorisation ingest, as the bank's card processor would. A customer who linked the bank in
// the chat with fraud alerts gets a sealed "Was this you?"; anyone else lands in the bank's
// investigator queue.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { demoAuthorisations, generateCustomer, regionFor } from '../bank/index.ts';
import type { GatewayConfig } from '../gateway/config.ts';

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

export async function runDemoAlert(config: GatewayConfig, options: DemoAlertOptions): Promise<string> {
  const key = config.ingestKeys.get(options.bankId) ?? ingestKey(config, options.bankId);
  // The simulator is deterministic: customer i and its cards have the same ids whatever the
  // seeding window, so the bank's data need not be opened (PGlite belongs to the running
  // gateway's process).
  const index = options.username === 'demo' ? 0 : Number(/(\d+)$/.exec(options.username)?.[1] ?? Number.NaN);
  if (!Number.isInteger(index))
    throw new Error(`'${options.username}' is not a simulated customer's username`);
  // The customer's own purchases from the simulator, shifted so the last one was an hour ago.
  const region = regionFor(options.bankId);
  const now = Date.now();
  const simulated = generateCustomer(index, {
    seed: config.seed,
    bankId: options.bankId,
    region,
    days: 30,
    end: new Date(now),
  });
  const recent = demoAuthorisations([simulated], {
    seed: config.seed,
    bankId: options.bankId,
    currency: region.currency,
  }).filter((a) => a.fraud === null && Date.parse(a.time) > now - 14 * DAY);
  // The card the customer uses for everyday payments (a credit card may see none).
  const cardId = recent.at(-1)?.cardId ?? simulated.cards[0]!.id;
  const card = { id: cardId, customerId: simulated.id };
  const own = recent.filter((a) => a.cardId === cardId).slice(-40);
  const shift = now - 3_600_000 - Date.parse(own.at(-1)?.time ?? new Date(now).toISOString());
  const run = `${now.toString(36)}`;
  const events = own.map(({ fraud: _f, ...a }, i) => ({
    ...a,
    transactionId: `demo-${run}-${i}`,
    time: new Date(Date.parse(a.time) + shift).toISOString(),
  }));
  events.push({
    transactionId: `demo-${run}-fraud`,
    bankId: options.bankId,
    cardId: card.id,
    customerId: card.customerId,
    terminalId: `electro-outlet-online-${run}`,
    merchantName: 'Electro Outlet Online',
    mcc: '5732',
    country: region.country === 'GB' ? 'RO' : 'US',
    channel: 'ecom',
    amount: options.amount,
    currency: region.currency,
    time: new Date(now).toISOString(),
  });
  const res = await fetch(`${options.gateway}/banks/${options.bankId}/screening/authorisations`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify({ events }),
  });
  const body = (await res.json()) as {
    screened?: number;
    results?: { alert?: boolean; alertId?: string | null; errors?: { message: string }[] }[];
    detail?: string;
  };
  if (!res.ok) throw new Error(`the gateway refused the authorisations: ${body.detail ?? res.status}`);
  const last = body.results?.at(-1);
  if (last?.errors?.length)
    throw new Error(
      `the gateway rejected the payment: ${last.errors.map((e) => e.message).join('; ')} (is '${options.username}' a customer of ${options.bankId}?)`,
    );
  return last?.alert
    ? `sent ${events.length} authorisations; the last one raised alert ${last.alertId}: look at the chat (if linked with fraud alerts) or ${options.gateway}/banks/${options.bankId}/investigator`
    : `sent ${events.length} authorisations; no alert this time (the engine scored the last one below the threshold)`;
}
