-- Transparency log (src/translog). One log per bank; log_id is the bank id by convention
-- (no foreign key, so a log can also be hosted for tests or other tenants).

-- The integrated tree state. Appenders lock this row (select ... for update) so that
-- sequencing is serial across every gateway instance sharing the database.
create table translog_state (
  log_id text primary key,
  origin text not null unique,
  size bigint not null check (size >= 0),
  root bytea not null check (length(root) = 32),
  updated_at timestamptz not null default now()
);

-- Entries, one row each; entry bundles (tile/entries/N) are assembled from 256 rows.
create table translog_entry (
  log_id text not null references translog_state(log_id),
  idx bigint not null check (idx >= 0),
  data bytea not null check (length(data) <= 65535),
  primary key (log_id, idx)
);

-- Hash tiles (c2sp.org/tlog-tiles), latest version only: a tile only ever grows, so every
-- partial tile `N.p/W` that was ever published is the first W hashes of this row.
create table translog_tile (
  log_id text not null references translog_state(log_id),
  level smallint not null check (level between 0 and 63),
  idx bigint not null check (idx >= 0),
  hashes bytea not null check (length(hashes) between 32 and 8192 and length(hashes) % 32 = 0),
  primary key (log_id, level, idx)
);

-- Every checkpoint the log signed, kept so that consistency with any earlier one can be shown.
create table translog_checkpoint (
  log_id text not null references translog_state(log_id),
  size bigint not null,
  root bytea not null check (length(root) = 32),
  note text not null,
  cosignatures integer not null default 0,
  created_at timestamptz not null default now(),
  cosigned_at timestamptz,
  primary key (log_id, size)
);
