-- Consent: the FAPI 2.0 authorization server's state (oidc-provider models), consent records,
-- customer credentials for the demo authenticator, login throttling, customer sessions,
-- DPoP proof replay, expiry reminders and per-bank secrets.

-- oidc-provider artefacts (sessions, interactions, PAR objects, codes, tokens, grants, replay
-- detection), one row per model instance. Tokens are stored under their id, which is the
-- opaque token value; only this table and the provider ever see it.
create table consent_oidc (
  bank_id text not null references bank(id),
  model text not null,
  id text not null,
  payload jsonb not null,
  grant_id text,
  uid text,
  user_code text,
  expires_at timestamptz,
  consumed_at timestamptz,
  primary key (bank_id, model, id)
);
create index consent_oidc_by_grant on consent_oidc (bank_id, grant_id) where grant_id is not null;
create index consent_oidc_by_uid on consent_oidc (bank_id, model, uid) where uid is not null;
create index consent_oidc_by_expiry on consent_oidc (expires_at) where expires_at is not null;

-- The consent record: first-class, kept at least three years after it ends (never hard-deleted
-- by the application; a retention job may purge rows whose ended_at is older than that).
create table consent (
  id text primary key,
  bank_id text not null references bank(id),
  client_id text not null,
  customer_id text,
  grant_id text unique,
  interaction_uid text unique,
  purposes text[] not null,
  clusters text[] not null,
  account_ids text[] not null default '{}',
  duration_days integer not null check (duration_days between 1 and 365),
  device_key text not null,
  device_key_removed_at timestamptz,
  status text not null check (status in ('awaiting_authorisation', 'authorised', 'rejected', 'revoked', 'expired')),
  created_at timestamptz not null default now(),
  authorised_at timestamptz,
  rejected_at timestamptz,
  revoked_at timestamptz,
  revoked_by text check (revoked_by in ('customer', 'platform', 'bank')),
  expires_at timestamptz,
  ended_at timestamptz,
  last_access_at timestamptz,
  version integer not null default 1
);
create index consent_by_customer on consent (bank_id, customer_id, created_at desc);
create index consent_by_expiry on consent (expires_at) where status = 'authorised';

-- Reminders the bank's own channel sends (outbox); one per consent and expiry date.
create table consent_reminder (
  id bigserial primary key,
  consent_id text not null references consent(id),
  bank_id text not null,
  customer_id text not null,
  kind text not null check (kind in ('expiry_30_days')),
  consent_expires_at timestamptz not null,
  created_at timestamptz not null default now(),
  sent_at timestamptz,
  unique (consent_id, kind, consent_expires_at)
);

-- Demo authenticator: scrypt password hashes and TOTP secrets per customer.
create table consent_credential (
  bank_id text not null,
  customer_id text not null,
  password_hash text not null,
  totp_secret text not null,
  totp_last_step bigint not null default 0,
  primary key (bank_id, customer_id)
);

-- Failed login attempts, by username and by client address, for throttling across instances.
create table consent_login_failure (
  id bigserial primary key,
  bank_id text not null,
  subject text not null,
  at timestamptz not null default now()
);
create index consent_login_failure_by_subject on consent_login_failure (bank_id, subject, at);

-- Customer sessions for the connected-apps dashboard; the cookie carries a random id,
-- stored here only as its SHA-256 digest.
create table consent_customer_session (
  digest bytea primary key,
  bank_id text not null,
  customer_id text not null,
  csrf text not null,
  created_at timestamptz not null default now(),
  expires_at timestamptz not null
);

-- DPoP proofs seen at the data API: (key thumbprint, jti) is unique until the proof expires.
create table consent_dpop_jti (
  jkt text not null,
  jti text not null,
  expires_at timestamptz not null,
  primary key (jkt, jti)
);
create index consent_dpop_jti_by_expiry on consent_dpop_jti (expires_at);

-- Per-bank secrets (cookie keys, pairwise salt), sealed under the key-encryption key.
create table consent_secret (
  bank_id text not null,
  name text not null,
  sealed bytea not null,
  primary key (bank_id, name)
);
