// The merchant's HTTP API: the public catalogue and the shopper's order routes (CORS for
// the chat's origin), the bank's redirect back, the merchant's keys, and the staff-only
// orders page and refund action (HTTP Basic, a per-merchant password compared in constant time).
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { JWK } from 'jose';
import { noQuery, problemResponses, unauthorized } from '../http/index.ts';
import { formatMinor, type Merchant } from './catalogue.ts';
import { type Checkout, redirectPath } from './checkout.ts';
import { callbackPage, ordersPage } from './pages.ts';
import { pictureUri } from './pictures.ts';
import {
  callbackQuerySchema,
  jwksSchema,
  merchantIdSchema,
  merchantSchema,
  orderIdSchema,
  orderRequestSchema,
  orderSchema,
} from './schemas.ts';
import type { Order } from './store.ts';

export interface MerchantRouteOptions {
  checkout: Checkout;
  merchants: readonly Merchant[];
  /** Public signing keys per merchant (its private_key_jwt key at the banks). */
  publicJwks(merchantId: string): JWK[];
  /** Staff password per merchant (orders page, refunds). */
  staffPassword(merchantId: string): string;
  /** Origins allowed to call the shopper routes from a browser (the chat). */
  allowedOrigins: string[];
  /** Where the chat is, for the "back to the chat" link after approval. */
  chatUrl: string;
  /** The banks the merchants take payments through, with each one's currency. */
  banks: { id: string; currency: string }[];
}

const merchantParams = {
  type: 'object',
  required: ['merchantId'],
  additionalProperties: false,
  properties: { merchantId: merchantIdSchema },
} as const;
const orderParams = {
  type: 'object',
  required: ['merchantId', 'orderId'],
  additionalProperties: false,
  properties: { merchantId: merchantIdSchema, orderId: orderIdSchema },
} as const;

export function orderView(order: Order, withApproval = false): Record<string, unknown> {
  return {
    order_id: order.id,
    merchant: order.merchant_id,
    status: order.status,
    ...(order.status === 'rejected' && order.reason ? { reason: order.reason } : {}),
    amount: order.amount,
    currency: order.currency,
    items: order.items,
    created_at: order.created_at.toISOString(),
    ...(withApproval && order.status === 'pending' && order.approval_url
      ? { authorization_url: order.approval_url }
      : {}),
  };
}

export function merchantView(
  merchant: Merchant,
  banks: { id: string; currency: string }[],
): Record<string, unknown> {
  return {
    id: merchant.id,
    name: merchant.name,
    tagline: merchant.tagline,
    logo: pictureUri(merchant.logo.kind, merchant.logo.colour, merchant.logo.accent),
    colour: merchant.colour,
    banks: banks.filter((b) => merchant.accounts[b.id]),
    products: merchant.products.map((p) => ({
      id: p.id,
      name: p.name,
      description: p.description,
      image: pictureUri(p.picture.kind, p.picture.colour, p.picture.accent),
      prices: Object.fromEntries(Object.entries(p.prices).map(([c, minor]) => [c, formatMinor(minor)])),
    })),
  };
}

const sha = (text: string) => createHash('sha256').update(text).digest();

/** HTTP Basic: user = the merchant id, password = its staff password; authenticated before parsing. */
function staffGuard(routeOptions: MerchantRouteOptions) {
  return async (request: FastifyRequest) => {
    const merchantId = String((request.params as { merchantId?: unknown }).merchantId ?? '');
    const header = request.headers.authorization ?? '';
    const m = /^Basic ([A-Za-z0-9+/=]{4,200})$/.exec(header);
    const [user, ...rest] = m ? Buffer.from(m[1]!, 'base64').toString('utf8').split(':') : [];
    const expected = routeOptions.merchants.some((x) => x.id === merchantId)
      ? routeOptions.staffPassword(merchantId)
      : '';
    const ok =
      !!m && expected !== '' && user === merchantId && timingSafeEqual(sha(rest.join(':')), sha(expected));
    if (!ok)
      throw unauthorized(
        'staff-credentials-invalid',
        "the merchant's staff name and password are needed",
        'Basic realm="merchant staff"',
      );
  };
}

function cors(routeOptions: MerchantRouteOptions) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const origin = request.headers.origin;
    if (typeof origin === 'string' && routeOptions.allowedOrigins.includes(origin)) {
      reply.header('access-control-allow-origin', origin);
      reply.header('vary', 'origin');
    }
  };
}

export async function merchantRoutes(
  app: FastifyInstance,
  routeOptions: MerchantRouteOptions,
): Promise<void> {
  const shopper = { onRequest: cors(routeOptions) };
  // Preflight for the chat's JSON POST (CORS plumbing, not an API operation).
  app.options('/merchants/*', { schema: { hide: true } }, async (request, reply) => {
    await cors(routeOptions)(request, reply);
    return reply
      .header('access-control-allow-methods', 'GET, POST')
      .header('access-control-allow-headers', 'content-type')
      .header('access-control-max-age', '600')
      .code(204)
      .send();
  });

  app.get(
    '/merchants',
    {
      ...shopper,
      schema: {
        tags: ['catalogue'],
        summary: 'The merchants here and their catalogues',
        querystring: noQuery,
        response: {
          200: {
            type: 'object',
            required: ['merchants'],
            additionalProperties: false,
            properties: { merchants: { type: 'array', items: merchantSchema } },
          },
        },
      },
    },
    async () => ({ merchants: routeOptions.merchants.map((m) => merchantView(m, routeOptions.banks)) }),
  );

  app.get(
    '/merchants/:merchantId',
    {
      ...shopper,
      schema: {
        tags: ['catalogue'],
        summary: "One merchant's catalogue",
        params: merchantParams,
        querystring: noQuery,
        response: { 200: merchantSchema, ...problemResponses(400, 404) },
      },
    },
    async (request) =>
      merchantView(
        routeOptions.checkout.merchant((request.params as { merchantId: string }).merchantId),
        routeOptions.banks,
      ),
  );

  app.post(
    '/merchants/:merchantId/orders',
    {
      ...shopper,
      schema: {
        tags: ['orders'],
        summary: "An order from a cart, and the payment consent at the shopper's bank",
        description:
          'Idempotent per order_token: the same token and cart answer the same order (200) and one payment; the same token with another cart is refused (409).',
        params: merchantParams,
        querystring: noQuery,
        body: orderRequestSchema,
        response: { 200: orderSchema, 201: orderSchema, ...problemResponses(400, 404, 409, 422, 502) },
      },
    },
    async (request, reply) => {
      const { merchantId } = request.params as { merchantId: string };
      const body = request.body as {
        order_token: string;
        bank: string;
        items: { product: string; quantity: number }[];
      };
      const result = await routeOptions.checkout.createOrder(merchantId, {
        orderToken: body.order_token,
        bank: body.bank,
        items: body.items,
      });
      return reply.code(result.created ? 201 : 200).send({
        ...orderView(result.order),
        ...(result.authorizationUrl && result.order.status === 'pending'
          ? { authorization_url: result.authorizationUrl }
          : {}),
      });
    },
  );

  app.get(
    '/merchants/:merchantId/orders/:orderId',
    {
      ...shopper,
      schema: {
        tags: ['orders'],
        summary: "An order's status: pending, paid, rejected or refunded",
        description:
          'The order id is the capability (128 random bits); the answer says nothing about the account.',
        params: orderParams,
        querystring: noQuery,
        response: { 200: orderSchema, ...problemResponses(400, 404) },
      },
    },
    async (request) => {
      const { merchantId, orderId } = request.params as { merchantId: string; orderId: string };
      return orderView(await routeOptions.checkout.order(merchantId, orderId), true);
    },
  );

  app.get(
    '/merchants/:merchantId/callback',
    {
      schema: {
        tags: ['payments'],
        summary: "The bank's redirect after the shopper approved (or declined) the payment",
        description:
          "code → DPoP-bound token → POST domestic-payments (x-idempotency-key, x-jws-signature) → the bank's signed confirmation verified offline → the order is paid.",
        params: merchantParams,
        querystring: callbackQuerySchema,
        produces: ['text/html'],
        response: { 200: { type: 'string' }, ...problemResponses(400, 404) },
      },
    },
    async (request, reply) => {
      const { merchantId } = request.params as { merchantId: string };
      const merchant = routeOptions.checkout.merchant(merchantId);
      const url = new URL(`http://merchant${redirectPath(merchantId)}`);
      for (const [k, v] of Object.entries(request.query as Record<string, string>))
        url.searchParams.set(k, v);
      const order = await routeOptions.checkout.complete(url);
      return reply.type('text/html; charset=utf-8').send(callbackPage(merchant, order, routeOptions.chatUrl));
    },
  );

  app.get(
    '/merchants/:merchantId/jwks.json',
    {
      schema: {
        tags: ['keys'],
        summary: "The merchant's public keys (its private_key_jwt client key at the banks)",
        params: merchantParams,
        querystring: noQuery,
        response: { 200: jwksSchema, ...problemResponses(400, 404) },
      },
    },
    async (request) => {
      const { merchantId } = request.params as { merchantId: string };
      routeOptions.checkout.merchant(merchantId);
      return { keys: routeOptions.publicJwks(merchantId) };
    },
  );

  await app.register(async (staff) => {
    staff.addHook('onRequest', staffGuard(routeOptions));
    staff.get(
      '/merchants/:merchantId/staff/orders',
      {
        schema: {
          tags: ['staff'],
          summary: "The merchant's recent orders (staff page)",
          security: [{ staff: [] }],
          params: merchantParams,
          querystring: noQuery,
          produces: ['text/html'],
          response: { 200: { type: 'string' }, ...problemResponses(400, 401, 404) },
        },
      },
      async (request, reply) => {
        const { merchantId } = request.params as { merchantId: string };
        const merchant = routeOptions.checkout.merchant(merchantId);
        const orders = await routeOptions.checkout.recentOrders(merchantId);
        return reply.type('text/html; charset=utf-8').send(ordersPage(merchant, orders));
      },
    );
    staff.post(
      '/merchants/:merchantId/staff/orders/:orderId/refund',
      {
        schema: {
          tags: ['staff'],
          summary: 'Refund a paid order (the bank returns the money to the payer)',
          security: [{ staff: [] }],
          params: orderParams,
          querystring: noQuery,
          response: { 200: orderSchema, ...problemResponses(400, 401, 404, 409, 502) },
        },
      },
      async (request) => {
        const { merchantId, orderId } = request.params as { merchantId: string; orderId: string };
        return orderView(await routeOptions.checkout.refund(merchantId, orderId));
      },
    );
  });
}
