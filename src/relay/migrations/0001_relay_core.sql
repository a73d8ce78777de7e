-- The relay's own database (the messaging platform's): devices, links to banks, and the
-- message store. By design nothing here is financial data in the clear: envelopes are
-- sealed to device keys (opaque text), OAuth credentials are AES-256-GCM-sealed under the
-- relay key, and the rest is routing metadata (ids, pairwise pseudonyms, timestamps, state).

create table relay_device (
  id            text primary key,
  -- SHA-256 of the device's bearer token (base64url); the token itself is never stored.
  token_digest  text not null unique,
  -- X25519 public key, base64url of 32 bytes, and its RFC 7638 thumbprint (envelope `rcpt`).
  public_key    text not null,
  key_thumbprint text not null,
  created_at    timestamptz not null default now(),
  last_seen_at  timestamptz
);

create table relay_link (
  id             text primary key,
  device_id      text not null references relay_device (id) on delete cascade,
  bank_id        text not null,
  status         text not null check (status in ('pending', 'active', 'ended', 'failed')),
  -- SHA-256 of the OAuth `state` (base64url): finds the pending link at the callback.
  state_digest   text unique,
  -- Sealed (relay key) pending authorization: PKCE verifier, DPoP key, PAR details.
  pending_sealed text,
  -- Sealed (relay key) credentials: access/refresh tokens and the DPoP private key.
  credentials_sealed text,
  -- The pairwise subject the bank gave the platform for this customer.
  sub            text,
  -- Consent id / commitment from the token response (routing and envelope expectations).
  consent        text,
  created_at     timestamptz not null default now(),
  linked_at      timestamptz,
  ended_at       timestamptz,
  ended_reason   text
);

create unique index relay_link_one_active on relay_link (device_id, bank_id) where status = 'active';
create index relay_link_by_sub on relay_link (bank_id, sub) where status = 'active';

create table relay_message (
  seq         bigint generated always as identity primary key,
  id          text not null unique,
  device_id   text not null references relay_device (id) on delete cascade,
  bank_id     text not null,
  kind        text not null check (kind in ('envelope', 'text', 'notice')),
  -- The bank's message id (webhook `message.mid`), for idempotent retries.
  mid         text,
  -- Sealed envelope (opaque compact JWS); cleared once the device acknowledges it.
  envelope    text,
  -- Only for kind text/notice: non-sensitive text ("This link to … has ended").
  text        text,
  created_at  timestamptz not null default now(),
  acked_at    timestamptz,
  unique (device_id, bank_id, mid)
);

create index relay_message_unacked on relay_message (device_id, seq) where acked_at is null;
