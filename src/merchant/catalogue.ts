import type { PictureKind } from './pictures.ts';

// The demo merchants and their catalogues. A merchant is a separate party from the bank and
// from the platform: it holds an account at each demo bank (the creditor of its payments)
// and prices every product in each bank's currency, so a customer of either bank can buy.

export interface Product {
  id: string;
  name: string;
  description: string;
  /** What the picture shows, and in which colours (pictures.ts draws it as inline SVG). */
  picture: { kind: PictureKind; colour: string; accent?: string };
  /** Minor units per currency (pence, cents). */
  prices: Record<string, number>;
}

export interface CreditorAccount {
  /** UK OB scheme name, e.g. UK.OBIE.SortCodeAccountNumber or UK.OBIE.IBAN. */
  schemeName: string;
  identification: string;
  name: string;
}

export interface Merchant {
  id: string;
  name: string;
  tagline: string;
  /** The shop's sign: a picture like its products'. */
  logo: { kind: PictureKind; colour: string; accent?: string };
  colour: string;
  products: Product[];
  /** The merchant's own account at each bank it takes payments through. */
  accounts: Record<string, CreditorAccount>;
}

export const DEMO_MERCHANTS: readonly Merchant[] = [
  {
    id: 'corner-books',
    name: 'Corner Books',
    tagline: 'An independent bookshop',
    logo: { kind: 'book', colour: '#7a3e9d' },
    colour: '#7a3e9d',
    accounts: {
      northwind: {
        schemeName: 'UK.OBIE.SortCodeAccountNumber',
        identification: '40400412345678',
        name: 'Corner Books',
      },
      fjord: { schemeName: 'UK.OBIE.IBAN', identification: 'DE89370400440532013000', name: 'Corner Books' },
    },
    products: [
      {
        id: 'atlas',
        name: 'The Pocket Atlas',
        description: 'Every country on one page each; hardback, 240 pages.',
        picture: { kind: 'book', colour: '#2e6f9e' },
        prices: { GBP: 1499, EUR: 1699 },
      },
      {
        id: 'novel',
        name: 'Night Train North',
        description: 'A thriller set on the last sleeper to the Arctic.',
        picture: { kind: 'book', colour: '#9e2a2b' },
        prices: { GBP: 899, EUR: 999 },
      },
      {
        id: 'cookbook',
        name: 'One Pan Suppers',
        description: '80 weeknight recipes, one pan each.',
        picture: { kind: 'book', colour: '#d08c1f', accent: '#fff3d6' },
        prices: { GBP: 2200, EUR: 2500 },
      },
    ],
  },
  {
    id: 'harbour-tea',
    name: 'Harbour Tea Co.',
    tagline: 'Tea and coffee, roasted and blended weekly',
    logo: { kind: 'tin', colour: '#1f6f78' },
    colour: '#1f6f78',
    accounts: {
      northwind: {
        schemeName: 'UK.OBIE.SortCodeAccountNumber',
        identification: '40400487654321',
        name: 'Harbour Tea Co.',
      },
      fjord: {
        schemeName: 'UK.OBIE.IBAN',
        identification: 'DE12500105170648489890',
        name: 'Harbour Tea Co.',
      },
    },
    products: [
      {
        id: 'breakfast-tea',
        name: 'Harbour Breakfast, 100 g',
        description: 'Strong Assam and Ceylon loose leaf; takes milk well.',
        picture: { kind: 'tin', colour: '#1f6f78' },
        prices: { GBP: 750, EUR: 850 },
      },
      {
        id: 'house-coffee',
        name: 'House Coffee, 250 g',
        description: 'Chocolate and hazelnut; whole beans, roasted weekly.',
        picture: { kind: 'bag', colour: '#6b4226' },
        prices: { GBP: 1100, EUR: 1250 },
      },
      {
        id: 'mug',
        name: 'Enamel Mug',
        description: 'The harbour mug, 350 ml.',
        picture: { kind: 'mug', colour: '#3d5a80' },
        prices: { GBP: 1200, EUR: 1350 },
      },
    ],
  },
];

export function merchantById(
  id: string,
  merchants: readonly Merchant[] = DEMO_MERCHANTS,
): Merchant | undefined {
  return merchants.find((m) => m.id === id);
}

/** "12.50" from 1250: the decimal string UK OB amounts use (never a float). */
export function formatMinor(minor: number): string {
  const whole = Math.floor(minor / 100);
  return `${whole}.${String(minor % 100).padStart(2, '0')}`;
}

export function parseAmount(amount: string): number {
  const m = /^(\d{1,13})\.(\d{2})$/.exec(amount);
  if (!m) throw new Error('not a two-decimal amount');
  return Number(m[1]) * 100 + Number(m[2]);
}

export interface CartLine {
  product: string;
  quantity: number;
}

export interface PricedLine {
  product: string;
  name: string;
  quantity: number;
  unit_price: string;
  line_total: string;
}

export interface PricedCart {
  currency: string;
  lines: PricedLine[];
  total: string;
  totalMinor: number;
}

export class CartError extends Error {
  override name = 'CartError';
  readonly slug: string;
  constructor(slug: string, message: string) {
    super(message);
    this.slug = slug;
  }
}

/** Prices a cart in a currency; unknown products, duplicates and unpriced currencies are refused. */
export function priceCart(merchant: Merchant, lines: CartLine[], currency: string): PricedCart {
  const seen = new Set<string>();
  let totalMinor = 0;
  const priced = lines.map((line) => {
    const product = merchant.products.find((p) => p.id === line.product);
    if (!product) throw new CartError('unknown-product', `${merchant.name} does not sell '${line.product}'`);
    if (seen.has(product.id))
      throw new CartError('duplicate-product', `'${product.id}' is listed twice; give one line a quantity`);
    seen.add(product.id);
    const unit = product.prices[currency];
    if (unit === undefined)
      throw new CartError(
        'currency-not-accepted',
        `${merchant.name} has no ${currency} price for '${product.id}'`,
      );
    totalMinor += unit * line.quantity;
    return {
      product: product.id,
      name: product.name,
      quantity: line.quantity,
      unit_price: formatMinor(unit),
      line_total: formatMinor(unit * line.quantity),
    };
  });
  return { currency, lines: priced, total: formatMinor(totalMinor), totalMinor };
}
