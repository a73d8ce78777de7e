-- Witness state (c2sp.org/tlog-witness). Separate from the log tables: a bank's witness
-- may witness other banks' logs and could run against another database.
create table translog_witness_state (
  witness text not null,
  origin text not null,
  size bigint not null check (size >= 0),
  root bytea not null check (length(root) = 32),
  note text not null,
  updated_at timestamptz not null default now(),
  primary key (witness, origin)
);

-- Validly signed checkpoints the witness refused as inconsistent: evidence of a split view.
create table translog_witness_refusal (
  id bigserial primary key,
  witness text not null,
  origin text not null,
  stored_size bigint not null,
  stored_root bytea not null,
  note text not null,
  reason text not null,
  received_at timestamptz not null default now()
);
create index translog_witness_refusal_by_origin on translog_witness_refusal (witness, origin, received_at);
