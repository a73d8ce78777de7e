-- What the bank's fraud team did about an alert (investigator view): confirmed fraud,
-- cleared it as genuine, unfroze the card, or tried to contact the customer. Each action
-- is also an entry of the bank's transparency log (log_index); this table is the bank's
-- private record of who-did-what, shown beside the alert.
create table screening_alert_action (
  id text primary key,
  bank_id text not null,
  alert_id text not null references screening_alert(id),
  action text not null check (action in ('confirm_fraud', 'clear', 'unfreeze_card', 'contact')),
  staff text not null,
  channel text check (channel in ('phone', 'sms', 'email', 'letter')),
  outcome text check (outcome in ('reached', 'no_answer', 'left_message')),
  note text,
  log_index bigint not null,
  at timestamptz not null default now()
);
create index screening_alert_action_by_alert on screening_alert_action (alert_id, at);
