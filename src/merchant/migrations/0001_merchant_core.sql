-- The demo merchants' own database (a separate party from the bank and the platform). It
-- holds what a merchant needs to run its orders and nothing about the customer's account:
-- the order (items, amount, currency, status), the bank it was paid through, the bank's
-- payment identifiers and the bank's signed payment confirmation (JWS). No name, account
-- number, balance or transaction of the customer ever reaches this database.

create table merchant_order (
  id                 text primary key,
  merchant_id        text not null,
  -- The client's token for this cart (idempotency: a double-click on Pay makes one order).
  order_token        text not null,
  -- SHA-256 of the canonical request (bank, currency, items): the same token with another cart is refused.
  request_digest     text not null,
  bank_id            text not null,
  currency           text not null check (currency ~ '^[A-Z]{3}$'),
  amount             text not null check (amount ~ '^[0-9]{1,13}\.[0-9]{2}$'),
  items              jsonb not null,
  status             text not null check (status in ('pending', 'paid', 'rejected', 'refunded')),
  -- Why an order was rejected, in the merchant's own words for the shopper (a problem slug).
  reason             text,
  -- OAuth state digest (finds the order at the bank's redirect) and the merchant's pending
  -- authorisation (PKCE verifier, DPoP key): the merchant's own secrets, never the customer's.
  state_digest       text unique,
  pending_auth       jsonb,
  -- Where the shopper approves at the bank (a repeated Pay with the same token reopens it).
  approval_url       text,
  consent_id         text,
  payment_id         text,
  -- The bank's signed payment confirmation (compact JWS), verified before status 'paid'.
  confirmation_jws   text,
  refund_id          text,
  created_at         timestamptz not null default now(),
  updated_at         timestamptz not null default now(),
  unique (merchant_id, order_token)
);

create index merchant_order_by_merchant on merchant_order (merchant_id, created_at desc);
