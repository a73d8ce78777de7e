// Shopping in a bank's conversation: the merchants' product cards (fetched by the device from
// the merchants themselves, not through the relay), a cart per merchant, "Pay with <bank>"
// (the approval opens at the bank in a new tab, as linking does), then the order's outcome
// in plain words. The receipt itself arrives sealed from the bank (envelopes.ts, receipt-card.ts).
import { formatMoney, h } from './cards.ts';
import { bubble, say } from './conversation.ts';
import { bankName, state } from './state.ts';
import './shop.css';

interface Product {
  id: string;
  name: string;
  description: string;
  /** data:image/svg+xml picture (anything else is not shown). */
  image: string;
  prices: Record<string, string>;
}

interface Merchant {
  id: string;
  name: string;
  tagline: string;
  logo: string;
  colour: string;
  banks: { id: string; currency: string }[];
  products: Product[];
  /** The shop it is served by. */
  base: string;
}

interface OrderView {
  order_id: string;
  status: 'pending' | 'paid' | 'rejected' | 'refunded';
  reason?: string;
  amount: string;
  currency: string;
  authorization_url?: string;
}

let merchants: Promise<Merchant[]> | undefined;

/** The shops the relay names, each asked for its catalogue directly (CORS for this origin). */
function loadMerchants(): Promise<Merchant[]> {
  merchants ??= (async () => {
    const { shops } = (await (await fetch('/shops.json')).json()) as { shops: string[] };
    const lists = await Promise.all(
      shops.map(async (base) => {
        const res = await fetch(`${base}/merchants`, { headers: { accept: 'application/json' } });
        if (!res.ok) throw new Error(`the shop answered ${res.status}`);
        const body = (await res.json()) as { merchants: Omit<Merchant, 'base'>[] };
        return body.merchants.map((m) => ({ ...m, base }));
      }),
    );
    return lists.flat();
  })();
  merchants.catch(() => {
    merchants = undefined;
  });
  return merchants;
}

/** Polite words for each way an order can end unpaid; never a balance or a shortfall. */
export const REJECTION_TEXT: Record<string, string> = {
  'insufficient-funds':
    'Your bank could not make this payment from the account you chose, so nothing was charged. You could pick another account or a smaller basket.',
  declined: 'You declined the payment at your bank, so nothing was charged.',
  'approval-timed-out':
    'The approval at your bank was not finished in time, so the order was cancelled and nothing was charged. You can try again.',
  'account-frozen':
    'Your bank could not use that account or card right now (it may be frozen or blocked), so nothing was charged. If you froze a card, you can unfreeze it here; otherwise please ask your bank.',
  'payment-failed': 'The payment did not go through and nothing was charged. Please try again in a moment.',
};

/** A shop's picture, only ever an inline SVG image (no script runs in an <img>). */
function picture(uri: string, size: number): HTMLElement | null {
  if (!uri.startsWith('data:image/svg+xml;base64,')) return null;
  return h('img', { src: uri, alt: '', width: String(size), height: String(size) });
}

const newToken = () => `cart_${crypto.randomUUID().replaceAll('-', '')}`;

/** One shop window in a bank's conversation: merchant tabs, products, cart, Pay. */
export async function openShop(bank: string): Promise<void> {
  let list: Merchant[];
  try {
    list = (await loadMerchants()).filter((m) => m.banks.some((b) => b.id === bank));
  } catch {
    say('The shops could not be reached just now. Please try again in a moment.', 'notice', false, bank);
    return;
  }
  if (list.length === 0) {
    say(`No shop here takes payments from ${bankName(bank)} yet.`, 'system', false, bank);
    return;
  }
  const card = h('article', { class: 'card shop', 'data-shop': 'true' });
  bubble(bank, 'bot local shop-msg', card);
  const carts = new Map<string, Map<string, number>>();
  const tokens = new Map<string, { key: string; token: string }>();
  let current = list[0]!;
  const render = () => {
    const merchant = current;
    const currency = merchant.banks.find((b) => b.id === bank)!.currency;
    const cart = carts.get(merchant.id) ?? new Map<string, number>();
    carts.set(merchant.id, cart);
    const tabs = h(
      'div',
      { class: 'shop-tabs', role: 'tablist', 'aria-label': 'Shops' },
      ...list.map((m) => {
        const tab = h(
          'button',
          {
            type: 'button',
            role: 'tab',
            class: 'secondary shop-tab',
            'aria-selected': String(m.id === merchant.id),
            'data-merchant': m.id,
          },
          picture(m.logo, 22),
          h('span', {}, m.name),
        );
        tab.addEventListener('click', () => {
          current = m;
          render();
        });
        return tab;
      }),
    );
    const products = h(
      'ul',
      { class: 'products' },
      ...merchant.products.map((p) => {
        const qty = cart.get(p.id) ?? 0;
        const price = formatMoney(Number(p.prices[currency]), currency);
        const controls = h('div', { class: 'qty' });
        if (qty === 0) {
          const add = h('button', { type: 'button', class: 'add', 'aria-label': `Add ${p.name}` }, 'Add');
          add.addEventListener('click', () => {
            cart.set(p.id, 1);
            render();
          });
          controls.append(add);
        } else {
          const less = h(
            'button',
            { type: 'button', class: 'secondary step', 'aria-label': `One less ${p.name}` },
            '−',
          );
          const more = h(
            'button',
            { type: 'button', class: 'secondary step', 'aria-label': `One more ${p.name}` },
            '+',
          );
          less.addEventListener('click', () => {
            if (qty <= 1) cart.delete(p.id);
            else cart.set(p.id, qty - 1);
            render();
          });
          more.addEventListener('click', () => {
            cart.set(p.id, Math.min(qty + 1, 20));
            render();
          });
          controls.append(less, h('span', { class: 'count', 'aria-live': 'polite' }, String(qty)), more);
        }
        return h(
          'li',
          { class: 'product', 'data-product': p.id },
          h('span', { class: 'product-pic', 'aria-hidden': 'true' }, picture(p.image, 40)),
          h(
            'div',
            { class: 'product-text' },
            h('strong', {}, p.name),
            h('small', {}, p.description),
            h('span', { class: 'price' }, price),
          ),
          controls,
        );
      }),
    );
    const lines = merchant.products.filter((p) => cart.has(p.id));
    const totalMinor = lines.reduce(
      (t, p) => t + Math.round(Number(p.prices[currency]) * 100) * cart.get(p.id)!,
      0,
    );
    const count = lines.reduce((n, p) => n + cart.get(p.id)!, 0);
    const pay = h(
      'button',
      { type: 'button', class: 'pay', 'data-pay': 'true' },
      `Pay with ${bankName(bank)}`,
    );
    pay.disabled = count === 0;
    pay.addEventListener('click', () => {
      const items = lines.map((p) => ({ product: p.id, quantity: cart.get(p.id)! }));
      const key = JSON.stringify(items);
      const known = tokens.get(merchant.id);
      const entry = known?.key === key ? known : { key, token: newToken() };
      tokens.set(merchant.id, entry);
      pay.disabled = true;
      void checkout(bank, merchant, entry.token, items, formatMoney(totalMinor / 100, currency)).then(
        (ended) => {
          pay.disabled = false;
          // An order that ended (paid, or not) is done: Pay again is a new order. One that
          // never got an answer keeps its token, so a retry finds the same order, not a second.
          if (ended && tokens.get(merchant.id) === entry) tokens.delete(merchant.id);
        },
      );
    });
    const summary = h(
      'footer',
      { class: 'cart', 'aria-label': 'Basket' },
      h(
        'p',
        { class: 'cart-total', 'data-total': (totalMinor / 100).toFixed(2) },
        count === 0
          ? 'Your basket is empty'
          : `${count} item${count === 1 ? '' : 's'} · ${formatMoney(totalMinor / 100, currency)}`,
      ),
      pay,
    );
    card.replaceChildren(
      h('h2', { class: 'card-title' }, 'Shop'),
      tabs,
      h('p', { class: 'shop-tagline' }, merchant.tagline),
      products,
      summary,
    );
  };
  render();
}

/** Shops already paying through: the same token again finds the same order (one payment). */
const inFlight = new Set<string>();

async function checkout(
  bank: string,
  merchant: Merchant,
  token: string,
  items: { product: string; quantity: number }[],
  total: string,
): Promise<boolean> {
  if (inFlight.has(token)) return false;
  inFlight.add(token);
  // The tab opens now, inside the click (a later window.open would be blocked as a popup).
  const tab = window.open('about:blank', '_blank');
  const status = h(
    'p',
    { class: 'order-status', 'data-order': 'pending' },
    `Placing your order with ${merchant.name}…`,
  );
  const li = bubble(
    bank,
    'bot local order-msg',
    h(
      'article',
      { class: 'card order' },
      h('h2', { class: 'card-title' }, `${merchant.name} · ${total}`),
      status,
    ),
  );
  try {
    const res = await fetch(`${merchant.base}/merchants/${merchant.id}/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ order_token: token, bank, items }),
    });
    const order = (await res.json()) as OrderView & { detail?: string };
    if (!res.ok) throw new Error(order.detail ?? `the shop answered ${res.status}`);
    li.dataset['orderId'] = order.order_id;
    const approve = order.authorization_url ?? (await waitForApprovalUrl(merchant, order.order_id));
    if (approve) {
      status.textContent = `Approve the payment at ${bankName(bank)} in the new tab. I'll let you know here when ${merchant.name} has been paid.`;
      if (tab) tab.location.href = approve;
      else location.assign(approve);
    } else tab?.close();
    const done = await waitForOutcome(merchant, order.order_id);
    showOutcome(li, status, done, merchant, bank);
    return true;
  } catch (e) {
    tab?.close();
    status.dataset['order'] = 'error';
    status.textContent = `${merchant.name} could not take the order: ${e instanceof Error ? e.message : String(e)}`;
    return false;
  } finally {
    inFlight.delete(token);
  }
}

async function getOrder(merchant: Merchant, orderId: string): Promise<OrderView> {
  const res = await fetch(`${merchant.base}/merchants/${merchant.id}/orders/${orderId}`, {
    headers: { accept: 'application/json' },
  });
  if (!res.ok) throw new Error(`the shop answered ${res.status}`);
  return (await res.json()) as OrderView;
}

/** A second Pay with the same cart may answer before the first stored its approval link. */
async function waitForApprovalUrl(merchant: Merchant, orderId: string): Promise<string | undefined> {
  for (let i = 0; i < 20; i++) {
    const order = await getOrder(merchant, orderId);
    if (order.status !== 'pending' || order.authorization_url) return order.authorization_url;
    await new Promise((r) => setTimeout(r, 500));
  }
  return undefined;
}

async function waitForOutcome(merchant: Merchant, orderId: string): Promise<OrderView> {
  for (;;) {
    await new Promise((r) => setTimeout(r, 1500));
    try {
      const order = await getOrder(merchant, orderId);
      if (order.status !== 'pending') return order;
    } catch {
      // the shop is briefly unreachable: keep waiting
    }
  }
}

function showOutcome(
  li: HTMLElement,
  status: HTMLElement,
  order: OrderView,
  merchant: Merchant,
  bank: string,
): void {
  status.dataset['order'] = order.status === 'rejected' ? (order.reason ?? 'rejected') : order.status;
  li.dataset['orderStatus'] = order.status;
  const amount = formatMoney(Number(order.amount), order.currency);
  if (order.status === 'paid')
    status.textContent = `✓ ${merchant.name} has been paid ${amount}. Your receipt from ${bankName(bank)} follows, sealed to this device.`;
  else if (order.status === 'refunded')
    status.textContent = `${merchant.name} refunded this order (${amount}).`;
  else
    status.textContent =
      REJECTION_TEXT[order.reason ?? 'payment-failed'] ?? REJECTION_TEXT['payment-failed']!;
}

/** "shop", "open the shop", "buy something": the chat's own command, answered on the device. */
export const isShopCommand = (text: string) =>
  /^(shop|open (the )?shop|buy something|shopping)\b/i.test(text.trim());

export const currentBank = () => state.bank;
