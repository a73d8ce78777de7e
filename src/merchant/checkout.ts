// The merchant's checkout: a cart becomes one order per client token (a double-click on Pay
// makes one order and one payment), the bank is asked for a payment consent, the bank's
// redirect finishes the payment, and the order ends paid, rejected or refunded. What the
// merchant keeps is the order and the bank's signed confirmation: nothing about the account.
import { Problem } from '../http/index.ts';
import { CartError, type CartLine, type Merchant, merchantById, priceCart } from './catalogue.ts';
import type { PaymentRail, RejectionReason } from './rail.ts';
import { digest, type MerchantStore, type Order } from './store.ts';

/** A refusal the shopper's client can branch on: an RFC 9457 problem with a specific type. */
export class CheckoutError extends Problem {
  override name = 'CheckoutError';
  constructor(status: number, slug: string, message: string) {
    const title =
      status === 404
        ? 'Not found'
        : status === 409
          ? 'Conflict'
          : status >= 500
            ? 'Bank unavailable'
            : 'Order refused';
    super(status, slug, title, message);
  }
}

export interface CheckoutOptions {
  store: MerchantStore;
  merchants: readonly Merchant[];
  /** The bank's payment API, per bank id. */
  rail(bankId: string): PaymentRail | undefined;
  /** Currency of each bank's accounts (a customer pays in their account's currency). */
  currencyOf(bankId: string): string | undefined;
  /** The merchant app's public base URL (redirect URI). */
  publicUrl(): string;
  /** How long an approval may take before the order is given up (ms). */
  approvalWindowMs: number;
  now?: () => number;
  /** Why a payment step failed (error class and message, never a token or an amount). */
  onBankError?: (step: 'start' | 'complete' | 'refund', error: unknown) => void;
}

export interface OrderRequest {
  orderToken: string;
  bank: string;
  items: CartLine[];
}

export interface CreatedOrder {
  order: Order;
  created: boolean;
  authorizationUrl: string | undefined;
}

export const redirectPath = (merchantId: string) => `/merchants/${merchantId}/callback`;

export class Checkout {
  readonly #o: CheckoutOptions;

  constructor(options: CheckoutOptions) {
    this.#o = options;
  }

  merchant(id: string): Merchant {
    const merchant = merchantById(id, this.#o.merchants);
    if (!merchant) throw new CheckoutError(404, 'merchant-not-found', `no merchant '${id}' here`);
    return merchant;
  }

  async createOrder(merchantId: string, request: OrderRequest): Promise<CreatedOrder> {
    const merchant = this.merchant(merchantId);
    const currency = this.#o.currencyOf(request.bank);
    const rail = this.#o.rail(request.bank);
    const creditor = merchant.accounts[request.bank];
    if (!currency || !rail || !creditor)
      throw new CheckoutError(
        422,
        'bank-not-accepted',
        `${merchant.name} does not take payments from '${request.bank}'`,
      );
    let cart: ReturnType<typeof priceCart>;
    try {
      cart = priceCart(merchant, request.items, currency);
    } catch (error) {
      if (error instanceof CartError) throw new CheckoutError(422, error.slug, error.message);
      throw error;
    }
    const requestDigest = digest(
      JSON.stringify([request.bank, currency, cart.lines.map((l) => [l.product, l.quantity])]),
    );
    const { order, created } = await this.#o.store.createOrder({
      merchantId,
      orderToken: request.orderToken,
      requestDigest,
      bankId: request.bank,
      currency,
      amount: cart.total,
      items: cart.lines,
    });
    if (order.request_digest !== requestDigest)
      throw new CheckoutError(
        409,
        'order-token-reused',
        'this order token was already used for another cart; start a new cart',
      );
    if (!created) return { order, created, authorizationUrl: order.approval_url ?? undefined };
    try {
      const started = await rail.start({
        order,
        merchant,
        creditor,
        redirectUri: `${this.#o.publicUrl()}${redirectPath(merchantId)}`,
      });
      await this.#o.store.startAuthorisation(
        order.id,
        started.state,
        started.pending,
        started.consentId,
        started.authorizationUrl,
      );
      return { order, created, authorizationUrl: started.authorizationUrl };
    } catch (error) {
      this.#o.onBankError?.('start', error);
      await this.#o.store.finish(order.id, { status: 'rejected', reason: 'payment-failed' });
      throw new CheckoutError(502, 'bank-unavailable', 'the bank did not accept the payment request');
    }
  }

  /** The order as its status route shows it; a pending order past its approval window is given up. */
  async order(merchantId: string, orderId: string): Promise<Order> {
    this.merchant(merchantId);
    const order = await this.#o.store.order(merchantId, orderId);
    if (!order) throw new CheckoutError(404, 'order-not-found', 'no such order at this merchant');
    return this.#expireIfLate(order);
  }

  async #expireIfLate(order: Order): Promise<Order> {
    const now = this.#o.now?.() ?? Date.now();
    if (order.status !== 'pending' || now - order.created_at.getTime() < this.#o.approvalWindowMs)
      return order;
    return (
      (await this.#o.store.finish(order.id, { status: 'rejected', reason: 'approval-timed-out' })) ?? order
    );
  }

  /** The bank's redirect back: finishes the payment once, however often the redirect arrives. */
  async complete(callbackUrl: URL): Promise<Order> {
    const state = callbackUrl.searchParams.get('state') ?? '';
    const found = state ? await this.#o.store.orderByState(state) : undefined;
    if (!found)
      throw new CheckoutError(400, 'unknown-payment-state', 'this approval is not known to the merchant');
    const order = await this.#expireIfLate(found);
    if (order.status !== 'pending') return order;
    const pending = await this.#o.store.takePendingAuthorisation(order.id);
    if (!pending) return (await this.#o.store.order(order.merchant_id, order.id)) ?? order;
    const merchant = this.merchant(order.merchant_id);
    const rail = this.#o.rail(order.bank_id)!;
    let outcome: Awaited<ReturnType<PaymentRail['complete']>>;
    try {
      outcome = await rail.complete({ order, merchant, callbackUrl, pending });
    } catch (error) {
      this.#o.onBankError?.('complete', error);
      outcome = { status: 'rejected', reason: 'payment-failed' };
    }
    return (await this.#o.store.finish(order.id, outcome)) ?? order;
  }

  async refund(merchantId: string, orderId: string): Promise<Order> {
    const merchant = this.merchant(merchantId);
    const order = await this.#o.store.order(merchantId, orderId);
    if (!order) throw new CheckoutError(404, 'order-not-found', 'no such order at this merchant');
    if (order.status !== 'paid')
      throw new CheckoutError(
        409,
        'order-not-refundable',
        `only a paid order can be refunded; this one is ${order.status}`,
      );
    const { refundId } = await this.#o.rail(order.bank_id)!.refund({ order, merchant });
    return (await this.#o.store.markRefunded(order.id, refundId)) ?? order;
  }

  recentOrders(merchantId: string): Promise<Order[]> {
    this.merchant(merchantId);
    return this.#o.store.recentOrders(merchantId);
  }
}

export const REJECTION_REASONS: readonly RejectionReason[] = [
  'insufficient-funds',
  'declined',
  'approval-timed-out',
  'account-frozen',
  'payment-failed',
];
