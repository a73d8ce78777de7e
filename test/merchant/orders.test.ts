// The merchant app with a fake bank rail, on every storage backend: one order per cart token
// (a double-click makes one order and one payment consent), another cart under the same token
// refused, the bank's redirect finishing the order once, the approval window, refunds by staff
// only, CORS for the chat's origin only, and nothing but order facts in the answers.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { validate } from '@readme/openapi-parser';
import {
  Checkout,
  DEMO_MERCHANTS,
  type MerchantConfig,
  MerchantStore,
  type PaymentOutcome,
  type PaymentRail,
  type RunningMerchants,
  startMerchants,
} from '../../src/merchant/index.ts';
import { storageBackends, type TestDatabase } from '../support/backends.ts';

const CHAT = 'http://127.0.0.1:4999';

class FakeRail implements PaymentRail {
  starts = 0;
  completes = 0;
  refunds = 0;
  next: PaymentOutcome = { status: 'paid', paymentId: 'dp_1', confirmationJws: 'a.b.c' };
  async start(input: Parameters<PaymentRail['start']>[0]) {
    this.starts++;
    const state = `state-${input.order.id}`;
    return {
      authorizationUrl: `http://bank.test/auth?request_uri=urn:${input.order.id}`,
      state,
      consentId: `pc_${this.starts}`,
      pending: { state },
    };
  }
  async complete(_input: Parameters<PaymentRail['complete']>[0]) {
    this.completes++;
    return this.next;
  }
  async refund() {
    this.refunds++;
    return { refundId: 'rf_1' };
  }
}

function config(dataDir: string): MerchantConfig {
  return {
    dataDir,
    keyDir: dataDir,
    databaseUrl: undefined,
    host: '127.0.0.1',
    port: 0,
    publicUrl: undefined,
    gatewayUrl: 'http://127.0.0.1:1',
    chatUrl: CHAT,
    logLevel: 'silent',
    banks: [
      { id: 'northwind', currency: 'GBP' },
      { id: 'fjord', currency: 'EUR' },
    ],
    approvalWindowSeconds: 600,
  };
}

const token = () => `cart-${Math.random().toString(36).slice(2)}-${Date.now()}`;

for (const backend of await storageBackends('merchant orders')) {
  describe(`merchant orders (${backend.name})`, () => {
    let db: TestDatabase;
    let shop: RunningMerchants;
    let rail: FakeRail;
    let dir: string;
    const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
      fetch(`${shop.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify(body),
      });
    const staff = (id: string) => ({
      authorization: `Basic ${Buffer.from(`${id}:${shop.secrets.staffPasswords.get(id)}`).toString('base64')}`,
    });

    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'merchant-'));
      db = await backend.open();
      rail = new FakeRail();
      shop = await startMerchants(config(dir), { database: db.database, rail: () => rail });
    });
    after(async () => {
      await shop.close();
      await db.dispose();
      rmSync(dir, { recursive: true, force: true });
    });

    it('lists both merchants with prices in each bank currency, CORS for the chat only', async () => {
      const res = await fetch(`${shop.url}/merchants`, { headers: { origin: CHAT } });
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('access-control-allow-origin'), CHAT);
      const body = (await res.json()) as {
        merchants: {
          id: string;
          banks: { id: string; currency: string }[];
          products: { prices: object }[];
        }[];
      };
      assert.deepEqual(
        body.merchants.map((m) => m.id),
        ['corner-books', 'harbour-tea'],
      );
      for (const m of body.merchants) {
        assert.deepEqual(m.banks, [
          { id: 'northwind', currency: 'GBP' },
          { id: 'fjord', currency: 'EUR' },
        ]);
        for (const p of m.products) assert.deepEqual(Object.keys(p.prices).sort(), ['EUR', 'GBP']);
      }
      const other = await fetch(`${shop.url}/merchants`, { headers: { origin: 'http://evil.test' } });
      assert.equal(other.headers.get('access-control-allow-origin'), null);
    });

    it('a double-click on Pay makes one order and one payment consent', async () => {
      const cart = { order_token: token(), bank: 'northwind', items: [{ product: 'atlas', quantity: 2 }] };
      const before = rail.starts;
      const [a, b] = await Promise.all([
        post('/merchants/corner-books/orders', cart),
        post('/merchants/corner-books/orders', cart),
      ]);
      const [ja, jb] = (await Promise.all([a.json(), b.json()])) as {
        order_id: string;
        amount: string;
        authorization_url?: string;
      }[];
      assert.deepEqual([a.status, b.status].sort(), [200, 201]);
      assert.equal(ja!.order_id, jb!.order_id);
      assert.equal(ja!.amount, '29.98');
      assert.equal(rail.starts - before, 1);
      const again = (await (await post('/merchants/corner-books/orders', cart)).json()) as {
        authorization_url: string;
      };
      assert.match(again.authorization_url, /^http:\/\/bank\.test\/auth/);
    });

    it('the same token with another cart is refused with a specific problem', async () => {
      const t = token();
      assert.equal(
        (
          await post('/merchants/corner-books/orders', {
            order_token: t,
            bank: 'northwind',
            items: [{ product: 'novel', quantity: 1 }],
          })
        ).status,
        201,
      );
      const res = await post('/merchants/corner-books/orders', {
        order_token: t,
        bank: 'northwind',
        items: [{ product: 'novel', quantity: 2 }],
      });
      assert.equal(res.status, 409);
      assert.equal(((await res.json()) as { type: string }).type, 'urn:proviso:problem:order-token-reused');
    });

    it('refuses unknown products, unknown banks and unknown fields, each with its own type', async () => {
      const cases: [unknown, number, string][] = [
        [
          { order_token: token(), bank: 'northwind', items: [{ product: 'unicorn', quantity: 1 }] },
          422,
          'unknown-product',
        ],
        [
          { order_token: token(), bank: 'moonbank', items: [{ product: 'atlas', quantity: 1 }] },
          422,
          'bank-not-accepted',
        ],
        [
          {
            order_token: token(),
            bank: 'northwind',
            items: [{ product: 'atlas', quantity: 1, price: '0.01' }],
          },
          400,
          '',
        ],
        [{ order_token: token(), bank: 'northwind', items: [{ product: 'atlas', quantity: 0 }] }, 400, ''],
      ];
      for (const [body, status, slug] of cases) {
        const res = await post('/merchants/corner-books/orders', body);
        assert.equal(res.status, status, JSON.stringify(body));
        const problem = (await res.json()) as { type: string };
        if (slug) assert.equal(problem.type, `urn:proviso:problem:${slug}`);
        assert.match(res.headers.get('content-type') ?? '', /problem\+json/);
      }
    });

    it("the bank's redirect pays the order once; the status says only pending/paid, amount and items", async () => {
      const created = (await (
        await post('/merchants/harbour-tea/orders', {
          order_token: token(),
          bank: 'fjord',
          items: [{ product: 'mug', quantity: 1 }],
        })
      ).json()) as { order_id: string; currency: string; amount: string };
      assert.equal(created.currency, 'EUR');
      assert.equal(created.amount, '13.50');
      const status = async () =>
        (await (
          await fetch(`${shop.url}/merchants/harbour-tea/orders/${created.order_id}`)
        ).json()) as Record<string, unknown>;
      assert.equal((await status())['status'], 'pending');
      const completes = rail.completes;
      const cb = `${shop.url}/merchants/harbour-tea/callback?code=c&state=state-${created.order_id}&iss=x`;
      const [first, second] = await Promise.all([fetch(cb), fetch(cb)]);
      assert.equal(first.status, 200);
      assert.equal(second.status, 200);
      assert.match(await first.text(), /Payment approved/);
      assert.equal(rail.completes - completes, 1);
      const paid = await status();
      assert.equal(paid['status'], 'paid');
      assert.deepEqual(Object.keys(paid).sort(), [
        'amount',
        'created_at',
        'currency',
        'items',
        'merchant',
        'order_id',
        'status',
      ]);
    });

    it('a declined approval rejects the order with its reason', async () => {
      const created = (await (
        await post('/merchants/corner-books/orders', {
          order_token: token(),
          bank: 'northwind',
          items: [{ product: 'novel', quantity: 1 }],
        })
      ).json()) as { order_id: string };
      rail.next = { status: 'rejected', reason: 'declined' };
      const page = await fetch(
        `${shop.url}/merchants/corner-books/callback?error=access_denied&state=state-${created.order_id}`,
      );
      rail.next = { status: 'paid', paymentId: 'dp_2', confirmationJws: 'a.b.c' };
      assert.match(await page.text(), /declined/);
      const order = (await (
        await fetch(`${shop.url}/merchants/corner-books/orders/${created.order_id}`)
      ).json()) as Record<string, unknown>;
      assert.equal(order['status'], 'rejected');
      assert.equal(order['reason'], 'declined');
    });

    it('an unknown state at the callback is a 400 problem, never a 5xx', async () => {
      const res = await fetch(`${shop.url}/merchants/corner-books/callback?code=c&state=nope`);
      assert.equal(res.status, 400);
      assert.equal(
        ((await res.json()) as { type: string }).type,
        'urn:proviso:problem:unknown-payment-state',
      );
    });

    it('refunds need the staff password of that merchant; a refund flips paid to refunded once', async () => {
      const created = (await (
        await post('/merchants/corner-books/orders', {
          order_token: token(),
          bank: 'northwind',
          items: [{ product: 'cookbook', quantity: 1 }],
        })
      ).json()) as { order_id: string };
      await fetch(`${shop.url}/merchants/corner-books/callback?code=c&state=state-${created.order_id}`);
      const path = `/merchants/corner-books/staff/orders/${created.order_id}/refund`;
      assert.equal((await fetch(`${shop.url}${path}`, { method: 'POST' })).status, 401);
      assert.equal(
        (await fetch(`${shop.url}${path}`, { method: 'POST', headers: staff('harbour-tea') })).status,
        401,
      );
      const ok = await fetch(`${shop.url}${path}`, { method: 'POST', headers: staff('corner-books') });
      assert.equal(ok.status, 200);
      assert.equal(((await ok.json()) as { status: string }).status, 'refunded');
      const twice = await fetch(`${shop.url}${path}`, { method: 'POST', headers: staff('corner-books') });
      assert.equal(twice.status, 409);
      const page = await fetch(`${shop.url}/merchants/corner-books/staff/orders`, {
        headers: staff('corner-books'),
      });
      assert.equal(page.status, 200);
      assert.match(await page.text(), new RegExp(created.order_id));
    });

    it('publishes each merchant its own public key (no private part)', async () => {
      const a = (await (await fetch(`${shop.url}/merchants/corner-books/jwks.json`)).json()) as {
        keys: Record<string, string>[];
      };
      const b = (await (await fetch(`${shop.url}/merchants/harbour-tea/jwks.json`)).json()) as {
        keys: Record<string, string>[];
      };
      assert.equal(a.keys.length, 1);
      assert.equal(a.keys[0]!['d'], undefined);
      assert.notEqual(a.keys[0]!['kid'], b.keys[0]!['kid']);
    });

    it('describes every route in a valid OpenAPI 3.1 document', async () => {
      const doc = (await (await fetch(`${shop.url}/openapi.json`)).json()) as {
        paths: Record<string, unknown>;
      };
      const result = await validate(structuredClone(doc) as never);
      assert.ok(result.valid, JSON.stringify(result).slice(0, 1000));
      for (const path of [
        '/merchants',
        '/merchants/{merchantId}/orders',
        '/merchants/{merchantId}/orders/{orderId}',
        '/merchants/{merchantId}/callback',
        '/merchants/{merchantId}/staff/orders/{orderId}/refund',
      ])
        assert.ok(doc.paths[path], `OpenAPI lacks ${path}`);
    });

    it('an approval not given in time: the order is given up (rejected, approval-timed-out), a late redirect pays nothing', async () => {
      let now = Date.now();
      const checkout = new Checkout({
        store: new MerchantStore(db.database),
        merchants: DEMO_MERCHANTS,
        rail: () => rail,
        currencyOf: () => 'GBP',
        publicUrl: () => shop.url,
        approvalWindowMs: 60_000,
        now: () => now,
      });
      const { order } = await checkout.createOrder('corner-books', {
        orderToken: token(),
        bank: 'northwind',
        items: [{ product: 'atlas', quantity: 1 }],
      });
      assert.equal((await checkout.order('corner-books', order.id)).status, 'pending');
      now += 61_000;
      const late = await checkout.order('corner-books', order.id);
      assert.equal(late.status, 'rejected');
      assert.equal(late.reason, 'approval-timed-out');
      const completes = rail.completes;
      const after = await checkout.complete(new URL(`http://x/cb?code=c&state=state-${order.id}`));
      assert.equal(after.status, 'rejected');
      assert.equal(rail.completes, completes, 'no payment after the window');
    });
  });
}
