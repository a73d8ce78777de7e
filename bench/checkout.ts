// Complete checkouts per second, end to end, on the one-process system `npm start` runs (the
// real gateway, relay and merchant app, PGlite each): a device registered at the relay and
// linked to the bank (purpose checkout) listens on its stream; each checkout is
//   order at the merchant (payment consent + PAR) → the customer approves at the bank over
//   HTTP (login + one-time code, a plain HTTP client acting as the browser) → the merchant's
//   callback (code → DPoP token → funds confirmation (yes/no) → domestic payment → the bank's
//   confirmation verified offline) → the sealed receipt arrives on the device's WebSocket.
// Also p50/p99 of the bank's payment API as the merchant sees it (POST domestic-payment-consents,
// POST domestic-payments), beside a bare Fastify route called the same way in the same run.
// Bounded: BENCH_SECONDS (default 8) of checkouts.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import { readMerchantConfig, startMerchants } from '../src/merchant/index.ts';
import { readRelayConfig, startRelay } from '../src/relay/index.ts';
import { openDatabase } from '../src/storage/index.ts';
import { pgliteBackend } from '../test/support/backends.ts';
import { CookieJar, field, otpNow, resetTotp } from '../test/support/consent.ts';
import { startTestGateway, type TestGateway } from '../test/support/gateway.ts';
import { freePort } from '../test/support/net.ts';
import { X25519KeyPair } from '../test/support/x25519.ts';
import type { Measurement } from './lib/results.ts';

const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 8);

const pct = (sorted: number[], p: number) =>
  Number((sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0).toFixed(2));

/** Follows redirects with the cookie jar until a page (200) or a URL outside `within`. */
async function follow(jar: CookieJar, url: string, within: string): Promise<{ url: string; res: Response }> {
  let current = url;
  for (let i = 0; i < 10; i++) {
    if (!current.startsWith(within)) return { url: current, res: new Response(null, { status: 303 }) };
    const res = await jar.fetch(current);
    if (res.status !== 302 && res.status !== 303) return { url: current, res };
    current = new URL(res.headers.get('location')!, current).toString();
  }
  throw new Error('too many redirects');
}

/** The customer at the bank over HTTP: log in if asked, approve with the first account and a code. */
async function approveOverHttp(
  t: TestGateway,
  jar: CookieJar,
  authorizationUrl: string,
  username: string,
): Promise<string> {
  const base = t.gw.url;
  let { url, res } = await follow(jar, authorizationUrl, base);
  let html = await res.text();
  if (res.status !== 200) throw new Error(`approval page ${res.status}: ${html.slice(0, 200)}`);
  const page = new URL(url).pathname;
  if (html.includes('name="username"')) {
    await resetTotp(t);
    const login = await jar.fetch(`${base}${page}/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        csrf: field(html, 'csrf'),
        username,
        password: 'proviso-demo',
        otp: otpNow('northwind', username),
      }),
    });
    ({ url, res } = await follow(jar, new URL(login.headers.get('location') ?? url, base).toString(), base));
    html = await res.text();
  }
  const body = new URLSearchParams({ csrf: field(html, 'csrf'), decision: 'approve' });
  const account = /name="account" value="([^"]*)"[^>]*checked/.exec(html)?.[1];
  if (account) body.set('account', account);
  if (html.includes('name="otp"')) {
    await resetTotp(t);
    body.set('otp', otpNow('northwind', username));
  }
  const decided = await jar.fetch(`${base}${new URL(url).pathname}/decide`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body,
  });
  const next = new URL(decided.headers.get('location') ?? '', base).toString();
  return (await follow(jar, next, base)).url;
}

/** A device at the relay: registered, stream open, linked to Northwind through the bank's forms. */
async function linkedDevice(t: TestGateway, relayUrl: string, username: string) {
  const key = X25519KeyPair.generate();
  const reg = (await (
    await fetch(`${relayUrl}/api/devices`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ public_key: key.publicKey }),
    })
  ).json()) as { token: string };
  const started = (await (
    await fetch(`${relayUrl}/api/links`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${reg.token}` },
      body: JSON.stringify({ bank: 'northwind' }),
    })
  ).json()) as { authorization_url: string };
  const jar = new CookieJar();
  const { approveAtBank } = await import('../test/support/consent.ts');
  const { callback } = await approveAtBank(t.gw.url, started.authorization_url, {
    bank: 'northwind',
    username,
    beforeLogin: () => resetTotp(t),
  });
  await fetch(callback, { redirect: 'manual' });
  const receipts: string[] = [];
  const ws = new WebSocket(`${relayUrl.replace('http', 'ws')}/api/stream`);
  await new Promise<void>((resolve, reject) => {
    ws.onopen = () => ws.send(JSON.stringify({ type: 'hello', token: reg.token }));
    ws.onerror = () => reject(new Error('stream failed'));
    ws.onmessage = (e) => {
      const f = JSON.parse(String(e.data)) as { type: string; id?: string; envelope?: string };
      if (f.type === 'ready') resolve();
      if (f.type === 'message' && f.envelope) {
        const hdr = JSON.parse(Buffer.from(f.envelope.split('.')[1]!, 'base64url').toString()).hdr as {
          type: string;
          id: string;
        };
        if (hdr.type === 'receipt') receipts.push(hdr.id);
        ws.send(JSON.stringify({ type: 'ack', ids: [f.id] }));
      }
    };
  });
  return { jar, receipts, close: () => ws.close() };
}

async function bareLatency(calls: number): Promise<{ p50: number; p99: number }> {
  const app = Fastify();
  app.post('/bare', async () => ({ ok: true }));
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  const times: number[] = [];
  for (let i = 0; i < 50; i++)
    await (
      await fetch(`${url}/bare`, {
        method: 'POST',
        body: '{}',
        headers: { 'content-type': 'application/json' },
      })
    ).text();
  for (let i = 0; i < calls; i++) {
    const t0 = performance.now();
    await (
      await fetch(`${url}/bare`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{}',
      })
    ).text();
    times.push(performance.now() - t0);
  }
  await app.close();
  times.sort((a, b) => a - b);
  return { p50: pct(times, 0.5), p99: pct(times, 0.99) };
}

export async function run(): Promise<Measurement[]> {
  const relayPort = await freePort();
  const merchantPort = await freePort();
  const relayUrl = `http://127.0.0.1:${relayPort}`;
  const merchantUrl = `http://127.0.0.1:${merchantPort}`;
  // The gateway registers the demo merchants' redirect URIs from the process environment.
  process.env['PROVISO_MERCHANT_URL'] = merchantUrl;
  const t = await startTestGateway(pgliteBackend, 5, {
    env: { PROVISO_RELAY_URL: relayUrl, PROVISO_MERCHANT_URL: merchantUrl },
  });
  await t.db.database
    .tables<{ core_account: { bank_id: string; ledger_balance: string } }>()
    .updateTable('core_account')
    .set({ ledger_balance: '1000000.00' })
    .where('bank_id', '=', 'northwind')
    .execute();
  const env = { PROVISO_DATA: t.dataDir, PROVISO_GATEWAY_URL: t.gw.url, PROVISO_RELAY_URL: relayUrl };
  const relayDb = await openDatabase();
  const dist = await mkdtemp(join(tmpdir(), 'proviso-bench-web-'));
  const relay = await startRelay(
    {
      ...readRelayConfig(env),
      port: relayPort,
      logLevel: 'silent',
      webDist: join(dist, 'dist'),
      buildWeb: false,
      pollMs: 500,
    },
    { database: relayDb },
  );
  t.gw.connectRelay({ url: relay.info.webhook_url, secret: (bankId) => relay.webhookSecret(bankId) });
  const paymentApi: Record<string, number[]> = { consent: [], payment: [] };
  const timedFetch: typeof fetch = async (input, init) => {
    const url = String(input instanceof Request ? input.url : input);
    const kind =
      init?.method === 'POST' && /\/pisp\/domestic-payment-consents$/.test(url)
        ? 'consent'
        : init?.method === 'POST' && /\/pisp\/domestic-payments$/.test(url)
          ? 'payment'
          : undefined;
    const t0 = performance.now();
    const res = await fetch(input, init);
    if (kind) paymentApi[kind]!.push(performance.now() - t0);
    return res;
  };
  const merchantDb = await openDatabase();
  const shops = await startMerchants(
    { ...readMerchantConfig(env), port: merchantPort, logLevel: 'silent' },
    { database: merchantDb, fetch: timedFetch },
  );
  // One device per shopper, each a different customer of the bank (so each has its own link).
  const usernames = (
    await t.db.database
      .tables<{ core_customer: { bank_id: string; id: string; username: string } }>()
      .selectFrom('core_customer')
      .select('username')
      .where('bank_id', '=', 'northwind')
      .where('id', 'not like', 'cus\\_merchant\\_%')
      .orderBy('username')
      .execute()
  ).map((r) => r.username);
  const shoppers = [...new Set(['demo', ...usernames])].slice(0, 4);
  const devices: ({ username: string } & Awaited<ReturnType<typeof linkedDevice>>)[] = [];
  for (const username of shoppers) devices.push({ username, ...(await linkedDevice(t, relayUrl, username)) });

  /** One shopper's loop until the deadline; each checkout timed from order to receipt on the device. */
  async function shop(
    device: (typeof devices)[number],
    deadline: number,
    stats: { done: number[]; rejected: number },
  ) {
    while (Date.now() < deadline) {
      const t0 = performance.now();
      const res = await fetch(`${shops.url}/merchants/corner-books/orders`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          order_token: `bench_${crypto.randomUUID()}`,
          bank: 'northwind',
          items: [{ product: 'novel', quantity: 1 }],
        }),
      });
      const order = (await res.json()) as { order_id: string; authorization_url: string };
      if (res.status !== 201) throw new Error(`order ${res.status}: ${JSON.stringify(order)}`);
      const callback = await approveOverHttp(t, device.jar, order.authorization_url, device.username);
      if (!callback.startsWith(merchantUrl)) throw new Error(`approval ended at ${callback}`);
      await (await fetch(callback)).text();
      const done = await shops.store.order('corner-books', order.order_id);
      if (done?.status !== 'paid') {
        stats.rejected++;
        continue;
      }
      const until = Date.now() + 10_000;
      while (!device.receipts.includes(done.payment_id!) && Date.now() < until)
        await new Promise((r) => setTimeout(r, 2));
      if (!device.receipts.includes(done.payment_id!))
        throw new Error('the receipt did not reach the device');
      stats.done.push(performance.now() - t0);
    }
  }

  const out: Measurement[] = [];
  try {
    for (const count of [1, shoppers.length]) {
      process.stderr.write(`  checkouts for ${SECONDS} s, ${count} shopper(s) at once…\n`);
      paymentApi['consent'] = [];
      paymentApi['payment'] = [];
      const stats = { done: [] as number[], rejected: 0 };
      const started = performance.now();
      const deadline = Date.now() + SECONDS * 1000;
      await Promise.all(devices.slice(0, count).map((d) => shop(d, deadline, stats)));
      const seconds = (performance.now() - started) / 1000;
      const bare = await bareLatency(Math.max(200, paymentApi['payment']!.length));
      const perCheckout = stats.done.sort((a, b) => a - b);
      const consent = [...paymentApi['consent']!].sort((a, b) => a - b);
      const payment = [...paymentApi['payment']!].sort((a, b) => a - b);
      const baseline50 = { name: 'bare Fastify POST, same client, p50', value: bare.p50 };
      const baseline99 = { name: 'bare Fastify POST, same client, p99', value: bare.p99 };
      const who = `${count} shopper${count === 1 ? '' : 's'}`;
      out.push(
        {
          benchmark: 'checkout',
          metric: `complete checkouts/s end to end (${who}, PGlite)`,
          value: Number((perCheckout.length / seconds).toFixed(2)),
          unit: 'checkouts/s',
        },
        {
          benchmark: 'checkout',
          metric: `checkout p50, order → receipt on the device (${who}; ${perCheckout.length} done, ${stats.rejected} rejected)`,
          value: pct(perCheckout, 0.5),
          unit: 'ms',
        },
        { benchmark: 'checkout', metric: `checkout p99 (${who})`, value: pct(perCheckout, 0.99), unit: 'ms' },
        {
          benchmark: 'checkout',
          metric: `POST domestic-payments p50 (${who})`,
          value: pct(payment, 0.5),
          unit: 'ms',
          baseline: baseline50,
        },
        {
          benchmark: 'checkout',
          metric: `POST domestic-payments p99 (${who})`,
          value: pct(payment, 0.99),
          unit: 'ms',
          baseline: baseline99,
        },
        {
          benchmark: 'checkout',
          metric: `POST domestic-payment-consents p50 (${who})`,
          value: pct(consent, 0.5),
          unit: 'ms',
          baseline: baseline50,
        },
        {
          benchmark: 'checkout',
          metric: `POST domestic-payment-consents p99 (${who})`,
          value: pct(consent, 0.99),
          unit: 'ms',
          baseline: baseline99,
        },
        {
          benchmark: 'checkout',
          metric: `bare Fastify POST p50 (reference, after ${who})`,
          value: bare.p50,
          unit: 'ms',
        },
        {
          benchmark: 'checkout',
          metric: `bare Fastify POST p99 (reference, after ${who})`,
          value: bare.p99,
          unit: 'ms',
        },
      );
    }
    return out;
  } finally {
    for (const d of devices) d.close();
    await shops.close();
    await merchantDb.close();
    await relay.close();
    await relayDb.close();
    await t.close();
    await rm(dist, { recursive: true, force: true });
  }
}

if (import.meta.main) console.table(await run());
