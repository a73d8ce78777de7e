-- Messages of the NATS authorisation ingest that could not be screened (not JSON, failed
-- validation, or failed processing on every delivery allowed): recorded once per stream
-- message and then acknowledged, so a bad message never blocks the consumer (the Debian
-- nats-server 2.9 ignores a terminate with a reason and would redeliver it for ever).
-- The bank reads them at GET /banks/{bank}/screening/dead-letters. The raw message is kept
-- (up to 64 KiB) in this, the bank's own database, for a replay once fixed; it is never
-- logged and the API shows only its SHA-256 and size.
create table screening_dead_letter (
  id bigint generated always as identity primary key,
  bank_id text not null,
  source text not null check (source in ('nats')),
  stream text not null,
  stream_sequence bigint not null,
  subject text not null,
  -- First error code (malformed_json, missing, invalid_text, processing_failed, ...).
  reason text not null,
  -- Every error: [{field, code, message}]; messages never quote the event's values.
  errors jsonb not null,
  delivery_count integer not null,
  payload_sha256 text not null check (payload_sha256 ~ '^[0-9a-f]{64}$'),
  payload_size integer not null,
  payload bytea check (length(payload) <= 65536),
  received_at timestamptz not null default now(),
  -- A redelivery of the same message is recorded once (the digest keeps a re-created
  -- stream, whose sequence starts again at 1, from matching an older letter).
  unique (stream, stream_sequence, payload_sha256)
);
create index screening_dead_letter_by_bank on screening_dead_letter (bank_id, id desc);
