-- Device sign-in (OAuth 2.0 device authorization grant, RFC 8628; docs/device-sign-in.md): a
-- terminal asks for a code, a signed-in person approves it in the console, and the terminal's
-- poll receives an API token once. Both codes are stored only as SHA-256 hashes.
create table device_authorizations (
  id uuid primary key default gen_random_uuid(),
  device_code_hash bytea not null unique,
  -- The user code, normalised (upper case, no dash), hashed: what the approver types.
  user_code_hash bytea not null unique,
  client_id text not null,
  -- What the device calls itself (a hostname), shown to the approver; never trusted for anything.
  client_name text,
  scopes text[] not null,
  status text not null default 'pending' check (status in ('pending', 'approved', 'denied', 'issued')),
  -- Seconds the device must wait between polls; grows by 5 each time it polls too fast (slow_down).
  interval_seconds integer not null,
  last_polled_at timestamptz,
  created_at timestamptz not null,
  expires_at timestamptz not null,
  decided_by uuid references users (id) on delete cascade,
  decided_at timestamptz,
  -- What the approver granted: the requested scopes or a subset of them.
  approved_scopes text[],
  token_id uuid references api_tokens (id) on delete set null
);
-- Retention deletes them by expiry.
create index device_authorizations_expires_idx on device_authorizations (expires_at);
create index device_authorizations_decided_by_idx on device_authorizations (decided_by);
create index device_authorizations_token_idx on device_authorizations (token_id);
