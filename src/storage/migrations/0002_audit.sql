-- Bank-private side of the transparency log: per-customer commitment keys (sealed under
-- the KEK) and an index from a customer to their own log entries for the access-history
-- page. Neither table is published; the log itself holds only commitments.
create table audit_commitment_key (
  bank_id text not null references bank(id),
  customer_id text not null,
  key_sealed bytea not null,
  created_at timestamptz not null default now(),
  primary key (bank_id, customer_id)
);

create table audit_entry (
  bank_id text not null,
  log_index bigint not null,
  customer_id text not null,
  kind text not null,
  platform text not null,
  purpose text,
  clusters text[] not null,
  at timestamptz not null,
  primary key (bank_id, log_index)
);
create index audit_entry_by_customer on audit_entry (bank_id, customer_id, at desc);
