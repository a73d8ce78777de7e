-- A model per bank (src/screening/model-registry.ts): every trained version is kept, with
-- the window it was trained on, its validation figures and the threshold chosen with it.
-- Exactly one version per bank is active; installing a new one retires the old one in the
-- same transaction (the screening transactions read the active version and the threshold in
-- one statement, so each group of authorisations sees one model, never a mix), and a
-- rollback reactivates the newest retired version.
create table screening_model (
  bank_id text not null,
  version integer not null,
  status text not null check (status in ('active', 'retired', 'rolled_back')),
  model json not null,
  threshold double precision not null,
  trained_from timestamptz not null,
  trained_to timestamptz not null,
  validation jsonb not null,
  source text not null,
  training_seconds double precision not null,
  created_at timestamptz not null default now(),
  activated_at timestamptz,
  primary key (bank_id, version)
);
create unique index screening_model_one_active on screening_model (bank_id) where status = 'active';

-- Plain-words reasons shown to the customer with an alert (at most two; see
-- src/screening/customer-reasons.ts). The technical reasons stay in `reasons`.
alter table screening_alert add column customer_reasons jsonb not null default '[]';
