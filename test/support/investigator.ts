// Alerts in a running test gateway, for the investigator view's tests and screenshots: the
// bank's threshold set to 0 so every screened payment alerts, then a few payments on seeded
// cards (the demo customer's first), a few minutes apart, ending now.
import { sql } from 'kysely';
import type { TestGateway } from './gateway.ts';

export function staffAuthorization(t: TestGateway, bankId: string): { password: string; header: string } {
  const password = t.gw.ingestKeys.get(bankId);
  if (!password) throw new Error(`no staff key for ${bankId}`);
  return { password, header: `Basic ${Buffer.from(`${bankId}:${password}`).toString('base64')}` };
}

const MERCHANTS = [
  ['Electro Megastore', '5732', 'ecom', 'NL', '1249.00'],
  ['Corner Café', '5814', 'contactless', 'GB', '4.20'],
  ['Skyline Travel', '4722', 'ecom', 'US', '860.50'],
  ['Fuel Stop M6', '5541', 'pos', 'GB', '71.35'],
  ['Lux Watches', '5944', 'pos', 'FR', '2300.00'],
] as const;

/**
 * Screens `count` payments, each on the first card of another seeded customer (or of the
 * given customer only); returns the alert ids, newest payment first.
 */
export async function raiseDemoAlerts(
  t: TestGateway,
  bankId: string,
  count: number,
  customerId?: string,
): Promise<string[]> {
  await t.gw.screening.setThreshold(bankId, 0);
  const cards = (
    await sql<{ id: string; customer_id: string; currency: string }>`
      select distinct on (c.customer_id) c.id, c.customer_id, a.currency from core_card c
      join core_account a on a.bank_id = c.bank_id and a.id = c.account_id
      where c.bank_id = ${bankId} and (${customerId ?? null}::text is null or c.customer_id = ${customerId ?? null})
      order by c.customer_id, c.id`.execute(t.gw.database.tables())
  ).rows;
  if (cards.length === 0) throw new Error(`no seeded cards at ${bankId}`);
  const now = Date.now();
  const events = Array.from({ length: count }, (_, i) => {
    const card = cards[i % cards.length]!;
    const [merchant, mcc, channel, country, amount] = MERCHANTS[i % MERCHANTS.length]!;
    return {
      transactionId: `inv-${bankId}-${now}-${i}-${Math.random().toString(36).slice(2, 8)}`,
      bankId,
      cardId: card.id,
      customerId: card.customer_id,
      terminalId: `term-${i}`,
      merchantName: merchant,
      mcc,
      country,
      channel,
      amount,
      currency: card.currency,
      // Oldest first, a few minutes apart, the last one a minute ago.
      time: new Date(now - (count - i) * 7 * 60_000).toISOString(),
    };
  });
  const outcomes = await t.gw.screening.screenBatch(bankId, events);
  const ids = outcomes.map((o) => {
    if (o.status !== 'screened' || !o.alertId) throw new Error(`not alerted: ${JSON.stringify(o)}`);
    return o.alertId;
  });
  return ids.reverse();
}

/** The CSRF token of the investigator page (as a browser would read it from a form). */
export async function investigatorCsrf(t: TestGateway, bankId: string): Promise<string> {
  const res = await fetch(`${t.gw.url}/banks/${bankId}/investigator`, {
    headers: { authorization: staffAuthorization(t, bankId).header },
  });
  const html = await res.text();
  const m = html.match(/name="csrf" value="([^"]+)"/);
  if (!m) throw new Error(`no csrf token on the investigator page (${res.status})`);
  return m[1]!;
}

/** Posts one investigator action as the page's form would; returns the raw response. */
export async function investigatorAction(
  t: TestGateway,
  bankId: string,
  alertId: string,
  action: 'confirm-fraud' | 'clear' | 'unfreeze-card' | 'contact',
  fields: Record<string, string> = {},
  o: { csrf?: string; headers?: Record<string, string> } = {},
): Promise<Response> {
  const csrf = o.csrf ?? (await investigatorCsrf(t, bankId));
  return fetch(`${t.gw.url}/banks/${bankId}/investigator/alerts/${alertId}/${action}`, {
    method: 'POST',
    redirect: 'manual',
    headers: {
      authorization: staffAuthorization(t, bankId).header,
      'content-type': 'application/x-www-form-urlencoded',
      ...o.headers,
    },
    body: new URLSearchParams({ csrf, ...fields }),
  });
}
