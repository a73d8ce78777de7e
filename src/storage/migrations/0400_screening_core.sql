-- Fraud screening (src/screening): streaming feature state per entity, every screened
-- authorisation (idempotency by transaction id), the bank-side alert queue and per-bank
-- thresholds. Bank ids are not foreign keys: a bank may screen before it is onboarded for
-- data sharing, and replays of public data sets use their own bank id.

-- Feature state of one card, customer or terminal of a bank (JSON of CardState,
-- CustomerState or TerminalState). Row locks on these serialise events of one entity
-- across gateway instances.
create table screening_state (
  bank_id text not null,
  kind text not null check (kind in ('card', 'customer', 'terminal')),
  key text not null,
  state jsonb not null,
  updated_at timestamptz not null default now(),
  primary key (bank_id, kind, key)
);

-- One row per screened authorisation: the primary key is the idempotency key.
create table screening_event (
  bank_id text not null,
  transaction_id text not null,
  card_id text not null,
  customer_id text not null,
  terminal_id text not null,
  at timestamptz not null,
  event jsonb not null,
  score double precision not null,
  alert boolean not null,
  late boolean not null,
  rules text[] not null,
  reasons jsonb not null,
  -- Known outcome: null unknown, 0 genuine, 1 fraud; label_at is when the bank learnt it.
  label smallint check (label in (0, 1)),
  label_at timestamptz,
  received_at timestamptz not null default now(),
  primary key (bank_id, transaction_id)
);
create index screening_event_by_time on screening_event (bank_id, at);
create index screening_event_by_card on screening_event (bank_id, card_id, at);

-- The bank-side alert queue. status: open (waiting for the customer or staff), cleared
-- ("yes, it was me"), confirmed_fraud ("no" or staff), escalated (no reply in time).
create table screening_alert (
  id text primary key,
  bank_id text not null,
  transaction_id text not null,
  customer_id text not null,
  card_id text not null,
  terminal_id text not null,
  merchant_name text,
  mcc text,
  country text not null,
  channel text not null,
  amount numeric(20, 4) not null,
  currency char(3) not null,
  transaction_at timestamptz not null,
  score double precision not null,
  reasons jsonb not null,
  status text not null check (status in ('open', 'cleared', 'confirmed_fraud', 'escalated')),
  delivery text not null default 'bank-queue' check (delivery in ('device', 'bank-queue')),
  reply text check (reply in ('yes', 'no')),
  replied_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (bank_id, transaction_id)
);
create index screening_alert_by_bank on screening_alert (bank_id, created_at desc);
create index screening_alert_open on screening_alert (created_at) where status = 'open';

-- The score threshold of each bank, chosen for its daily alert budget.
create table screening_bank (
  bank_id text primary key,
  threshold double precision not null check (threshold >= 0 and threshold <= 1),
  alerts_per_day double precision,
  chosen_from timestamptz,
  chosen_to timestamptz,
  updated_at timestamptz not null default now()
);
