// JSON schemas of the merchant API (route schemas → OpenAPI 3.1).

export const merchantIdSchema = {
  type: 'string',
  minLength: 1,
  maxLength: 64,
  pattern: '^[a-z0-9][a-z0-9-]*$',
} as const;
export const bankIdSchema = merchantIdSchema;
export const orderIdSchema = { type: 'string', pattern: '^ord_[A-Za-z0-9_-]{16}$' } as const;
const amountSchema = { type: 'string', pattern: '^[0-9]{1,13}\\.[0-9]{2}$' } as const;
const currencySchema = { type: 'string', pattern: '^[A-Z]{3}$' } as const;

export const productSchema = {
  type: 'object',
  required: ['id', 'name', 'description', 'image', 'prices'],
  additionalProperties: false,
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    description: { type: 'string' },
    image: { type: 'string', pattern: '^data:image/svg\\+xml;base64,', description: 'inline SVG picture' },
    prices: {
      type: 'object',
      description: 'price per currency, two decimals',
      additionalProperties: amountSchema,
    },
  },
} as const;

export const merchantSchema = {
  type: 'object',
  required: ['id', 'name', 'tagline', 'logo', 'colour', 'banks', 'products'],
  additionalProperties: false,
  properties: {
    id: merchantIdSchema,
    name: { type: 'string' },
    tagline: { type: 'string' },
    logo: { type: 'string', pattern: '^data:image/svg\\+xml;base64,', description: 'inline SVG picture' },
    colour: { type: 'string' },
    banks: {
      type: 'array',
      description: 'banks whose customers can pay here, and the currency they pay in',
      items: {
        type: 'object',
        required: ['id', 'currency'],
        additionalProperties: false,
        properties: { id: bankIdSchema, currency: currencySchema },
      },
    },
    products: { type: 'array', items: productSchema },
  },
} as const;

export const orderRequestSchema = {
  type: 'object',
  required: ['order_token', 'bank', 'items'],
  additionalProperties: false,
  properties: {
    order_token: {
      type: 'string',
      pattern: '^[A-Za-z0-9_-]{16,64}$',
      description: 'chosen by the client per cart: the same token again returns the same order (one payment)',
    },
    bank: bankIdSchema,
    items: {
      type: 'array',
      minItems: 1,
      maxItems: 20,
      items: {
        type: 'object',
        required: ['product', 'quantity'],
        additionalProperties: false,
        properties: {
          product: { type: 'string', minLength: 1, maxLength: 64, pattern: '^[a-z0-9][a-z0-9-]*$' },
          quantity: { type: 'integer', minimum: 1, maximum: 20 },
        },
      },
    },
  },
} as const;

export const orderSchema = {
  type: 'object',
  required: ['order_id', 'merchant', 'status', 'amount', 'currency', 'items', 'created_at'],
  additionalProperties: false,
  description: "An order as the merchant knows it: nothing about the customer's account",
  properties: {
    order_id: orderIdSchema,
    merchant: merchantIdSchema,
    status: { type: 'string', enum: ['pending', 'paid', 'rejected', 'refunded'] },
    reason: {
      type: 'string',
      enum: ['insufficient-funds', 'declined', 'approval-timed-out', 'account-frozen', 'payment-failed'],
      description: 'why a rejected order was not paid',
    },
    amount: amountSchema,
    currency: currencySchema,
    items: {
      type: 'array',
      items: {
        type: 'object',
        required: ['product', 'name', 'quantity', 'unit_price', 'line_total'],
        additionalProperties: false,
        properties: {
          product: { type: 'string' },
          name: { type: 'string' },
          quantity: { type: 'integer' },
          unit_price: amountSchema,
          line_total: amountSchema,
        },
      },
    },
    created_at: { type: 'string', format: 'date-time' },
    authorization_url: {
      type: 'string',
      format: 'uri',
      description: 'where the shopper approves the payment at their bank (pending orders)',
    },
  },
} as const;

export const callbackQuerySchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    code: { type: 'string', maxLength: 512 },
    state: { type: 'string', maxLength: 512 },
    iss: { type: 'string', maxLength: 512 },
    error: { type: 'string', maxLength: 128 },
    error_description: { type: 'string', maxLength: 512 },
  },
} as const;

export const jwksSchema = {
  type: 'object',
  required: ['keys'],
  additionalProperties: false,
  properties: { keys: { type: 'array', items: { type: 'object', additionalProperties: true } } },
} as const;
