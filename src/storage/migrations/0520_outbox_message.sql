-- The outbox: pushes the bank owes the platform's relay (sealed fraud alerts, purchase
-- notifications, receipts, "link ended" notices), written in the same transaction as the
-- state they announce where possible, and delivered by the outbox worker (src/outbox) with
-- retries. A row is pending until delivered (then deleted) or until it runs out of attempts
-- (then dead, kept for the bank to see: /metrics proviso_outbox_messages{status="dead"}).
-- next_attempt_at doubles as the lease of a claimed row: a worker that takes a row moves it
-- forward, so no other instance takes it until the attempt is over or the lease ran out.
create table outbox_message (
  id bigserial primary key,
  topic text not null,
  bank_id text not null,
  payload jsonb not null,
  status text not null default 'pending' check (status in ('pending', 'dead')),
  attempts integer not null default 0,
  next_attempt_at timestamptz not null default now(),
  last_error text,
  created_at timestamptz not null default now()
);
create index outbox_message_due on outbox_message (next_attempt_at, id) where status = 'pending';
create index outbox_message_dead on outbox_message (bank_id, created_at) where status = 'dead';
