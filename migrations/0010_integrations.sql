-- A workspace's connections to outside services (issue 8): GitHub App installations and Google Drive
-- grants. What is secret (the App's private key and webhook secret, Drive refresh and access tokens,
-- a pending connection's PKCE verifier) lives sealed in `credentials`; the row holds only what may be
-- shown (the account's name, the installation id, scopes).

CREATE TABLE integrations (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  provider text NOT NULL CHECK (provider IN ('github', 'google-drive')),
  -- pending: a Drive connection waiting for the admin's consent; revoked: the service refused the
  -- grant (kept so the list shows why steps fail until an admin connects again).
  status text NOT NULL CHECK (status IN ('pending', 'connected', 'revoked')),
  -- Who or what is connected, for people: the GitHub account's login, the Google account's e-mail.
  name text NOT NULL,
  -- The GitHub installation id; null for Drive.
  external_id text,
  -- Facts that may be shown: the App id, the installation's repository selection, granted scopes.
  details jsonb NOT NULL DEFAULT '{}',
  secret_id uuid REFERENCES credentials (id) ON DELETE SET NULL,
  -- A pending Drive connection: the OAuth `state` that its callback must bring back, until when.
  oauth_state text UNIQUE,
  oauth_expires_at timestamptz,
  created_by uuid REFERENCES users (id) ON DELETE SET NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX integrations_by_workspace ON integrations (workspace_id, created_at);
-- One workspace per installation: its webhook deliveries must reach exactly one workspace.
CREATE UNIQUE INDEX integrations_github_installation ON integrations (external_id) WHERE provider = 'github';

-- GitHub deliveries belong to the workspace whose installation sent them (null for generic hooks,
-- which belong to their trigger).
ALTER TABLE inbound_events ADD COLUMN workspace_id uuid REFERENCES workspaces (id) ON DELETE CASCADE;

-- The installation tokens handed to runs: revoked when the run reports its end (by any instance).
CREATE TABLE run_credentials (
  run_key text PRIMARY KEY,
  integration_id uuid REFERENCES integrations (id) ON DELETE CASCADE,
  credential_id uuid NOT NULL REFERENCES credentials (id) ON DELETE CASCADE,
  expires_at timestamptz NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
