-- Foundation: banks (tenants), their keys, the simulated bank core, internal access tokens.

create table bank (
  id text primary key check (id ~ '^[a-z][a-z0-9-]{1,31}$'),
  name text not null,
  created_at timestamptz not null default now()
);

-- Private keys are stored sealed (AES-256-GCM under the key-encryption key), never in clear.
create table bank_key (
  kid text primary key,
  bank_id text not null references bank(id),
  purpose text not null check (purpose in ('sign', 'log', 'seal')),
  alg text not null check (alg in ('EdDSA', 'ES256', 'X25519')),
  public_jwk jsonb not null,
  private_sealed bytea not null,
  status text not null check (status in ('active', 'retired')),
  created_at timestamptz not null default now(),
  retired_at timestamptz
);
create index bank_key_by_bank on bank_key (bank_id, purpose, alg, status);
-- At most one active key per bank, purpose and algorithm: rotation retires the old one in the same transaction.
create unique index bank_key_one_active on bank_key (bank_id, purpose, alg) where status = 'active';

create table core_customer (
  bank_id text not null references bank(id),
  id text not null,
  display_name text not null,
  username text not null,
  created_at timestamptz not null,
  primary key (bank_id, id)
);
create unique index core_customer_username on core_customer (bank_id, username);

create table core_account (
  bank_id text not null,
  id text not null,
  customer_id text not null,
  kind text not null check (kind in ('current', 'savings', 'credit_card')),
  currency char(3) not null,
  nickname text not null,
  scheme_name text not null,
  identification text not null,
  opened_at timestamptz not null,
  ledger_balance numeric(18, 2) not null,
  credit_limit numeric(18, 2),
  primary key (bank_id, id),
  foreign key (bank_id, customer_id) references core_customer (bank_id, id)
);
create index core_account_by_customer on core_account (bank_id, customer_id);

create table core_card (
  bank_id text not null,
  id text not null,
  account_id text not null,
  customer_id text not null,
  pan_last4 char(4) not null,
  status text not null check (status in ('active', 'frozen')),
  updated_at timestamptz not null,
  primary key (bank_id, id),
  foreign key (bank_id, account_id) references core_account (bank_id, id)
);
create index core_card_by_customer on core_card (bank_id, customer_id);

create table core_transaction (
  bank_id text not null,
  id text not null,
  account_id text not null,
  booked_at timestamptz not null,
  status text not null check (status in ('booked', 'pending')),
  amount numeric(18, 2) not null check (amount >= 0),
  credit_debit text not null check (credit_debit in ('Credit', 'Debit')),
  currency char(3) not null,
  description text not null,
  merchant_name text,
  mcc char(4),
  country char(2),
  channel text not null check (channel in ('card_present', 'card_online', 'contactless', 'transfer', 'direct_debit', 'standing_order', 'atm', 'interest')),
  category text not null,
  card_id text,
  primary key (bank_id, id)
);
-- Serves "transactions of an account in a date range, newest first, keyset-paginated".
create index core_transaction_by_account on core_transaction (bank_id, account_id, booked_at desc, id desc);

-- Foundation-era access: an opaque bearer token for one customer, stored only as a SHA-256 digest.
-- The consent layer replaces it; AccessGrant is the seam both produce.
create table access_token (
  token_digest bytea primary key,
  bank_id text not null references bank(id),
  customer_id text not null,
  account_ids text[],
  purposes text[] not null,
  expires_at timestamptz not null,
  created_at timestamptz not null default now()
);
