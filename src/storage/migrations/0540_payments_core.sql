-- Checkout (issue #12), bank core side: an account can be blocked (payments refused), and
-- merchants are business customers of the bank holding creditor accounts.
alter table core_account add column blocked boolean not null default false;

-- Payment initiation (UK OB PIS shapes): consents, payments, refunds, idempotency, funds probes.
create table payment_consent (
  bank_id text not null,
  id text not null,
  merchant_id text not null,
  status text not null,
  initiation jsonb not null,
  risk jsonb not null,
  amount numeric(18,2) not null,
  currency text not null,
  order_reference text not null,
  creditor_account_id text not null,
  customer_id text,
  debtor_account_id text,
  link_consent_id text,
  created_at timestamptz not null default now(),
  status_updated_at timestamptz not null default now(),
  expires_at timestamptz not null,
  primary key (bank_id, id)
);
create index payment_consent_customer on payment_consent (bank_id, customer_id);

create table payment (
  bank_id text not null,
  id text not null,
  consent_id text not null,
  merchant_id text not null,
  status text not null,
  debit_transaction_id text,
  credit_transaction_id text,
  confirmation text,
  log_index bigint,
  created_at timestamptz not null default now(),
  status_updated_at timestamptz not null default now(),
  primary key (bank_id, id),
  unique (bank_id, consent_id)
);

create table payment_refund (
  bank_id text not null,
  id text not null,
  payment_id text not null,
  amount numeric(18,2) not null,
  currency text not null,
  reference text not null,
  confirmation text not null,
  created_at timestamptz not null default now(),
  primary key (bank_id, id)
);
create index payment_refund_payment on payment_refund (bank_id, payment_id);

-- x-idempotency-key: the first answer per merchant and key, replayed for the same body.
create table payment_idempotency (
  bank_id text not null,
  merchant_id text not null,
  key text not null,
  route text not null,
  body_sha256 bytea not null,
  status_code integer,
  response jsonb,
  headers jsonb,
  created_at timestamptz not null default now(),
  primary key (bank_id, merchant_id, route, key)
);

-- Funds attestations per link consent per UTC day (the probe budget).
create table payment_funds_probe (
  bank_id text not null,
  link_consent_id text not null,
  day date not null,
  used integer not null,
  primary key (bank_id, link_consent_id, day)
);

-- "Stop payments through this link" on the connected-apps page.
create table payment_link_stop (
  bank_id text not null,
  link_consent_id text not null,
  stopped_at timestamptz not null default now(),
  primary key (bank_id, link_consent_id)
);
