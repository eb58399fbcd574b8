-- Identity and access: users, browser sessions, started logins, API tokens, workspaces,
-- dashboards and their members, and the audit log.

create table users (
  id uuid primary key default gen_random_uuid(),
  issuer text not null,
  subject text not null,
  email text,
  name text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (issuer, subject)
);
create index users_email_idx on users (lower(email));

create table auth_sessions (
  id uuid primary key default gen_random_uuid(),
  secret_hash bytea not null unique,
  user_id uuid not null references users (id) on delete cascade,
  created_at timestamptz not null default now(),
  last_seen_at timestamptz not null default now(),
  idle_expires_at timestamptz not null,
  absolute_expires_at timestamptz not null,
  revoked_at timestamptz
);
create index auth_sessions_user_idx on auth_sessions (user_id);

create table login_attempts (
  state_hash bytea primary key,
  code_verifier text not null,
  nonce text not null,
  return_to text not null,
  created_at timestamptz not null default now(),
  expires_at timestamptz not null,
  consumed_at timestamptz
);

create table workspaces (
  id uuid primary key default gen_random_uuid(),
  name text not null,
  created_by uuid references users (id) on delete set null,
  created_at timestamptz not null default now()
);

create table workspace_members (
  workspace_id uuid not null references workspaces (id) on delete cascade,
  user_id uuid not null references users (id) on delete cascade,
  role text not null check (role in ('admin', 'member')),
  created_at timestamptz not null default now(),
  primary key (workspace_id, user_id)
);
create index workspace_members_user_idx on workspace_members (user_id);

create table dashboards (
  id uuid primary key default gen_random_uuid(),
  workspace_id uuid not null references workspaces (id) on delete cascade,
  name text not null,
  created_by uuid references users (id) on delete set null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  archived_at timestamptz
);
create index dashboards_workspace_idx on dashboards (workspace_id, created_at desc);

create table dashboard_members (
  dashboard_id uuid not null references dashboards (id) on delete cascade,
  user_id uuid not null references users (id) on delete cascade,
  role text not null check (role in ('owner', 'editor', 'viewer')),
  created_at timestamptz not null default now(),
  primary key (dashboard_id, user_id)
);
create index dashboard_members_user_idx on dashboard_members (user_id);

create table api_tokens (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references users (id) on delete cascade,
  name text not null,
  prefix text not null,
  secret_hash bytea not null unique,
  scopes text[] not null,
  dashboard_id uuid references dashboards (id) on delete cascade,
  expires_at timestamptz,
  last_used_at timestamptz,
  created_at timestamptz not null default now(),
  revoked_at timestamptz
);
create index api_tokens_user_idx on api_tokens (user_id, created_at desc);

create table audit_log (
  id bigint generated always as identity primary key,
  workspace_id uuid references workspaces (id) on delete cascade,
  actor_user_id uuid references users (id) on delete set null,
  actor_token_id uuid references api_tokens (id) on delete set null,
  action text not null,
  target_type text,
  target_id text,
  details jsonb not null default '{}',
  request_id text,
  created_at timestamptz not null default now()
);
create index audit_log_workspace_idx on audit_log (workspace_id, id desc);
create index audit_log_actor_idx on audit_log (actor_user_id, id desc);
