-- Integration secrets, encrypted at rest (docs/credentials.md). Each row holds a secret sealed
-- with AES-256-GCM under its own data key; `wrapped_key` is that data key wrapped by the
-- key-encryption key `key_id` (an entry of BATON_CREDENTIAL_KEYS). The plaintext is never stored.
-- The id is chosen before sealing: it is part of the secret's AAD, so a sealed value copied onto
-- another row does not open.

CREATE TABLE credentials (
  id uuid PRIMARY KEY,
  -- The workspace it belongs to; null for installation-wide secrets.
  workspace_id uuid REFERENCES workspaces (id) ON DELETE CASCADE,
  -- What the secret is, e.g. `github.webhook-secret`.
  purpose text NOT NULL,
  key_id text NOT NULL,
  -- base64url: the IV and the wrapped data key; the secret's IV; its ciphertext with the GCM tag.
  wrapped_key text NOT NULL,
  iv text NOT NULL,
  ciphertext text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
-- Start-up asks which key ids are in use; rotation finds the rows under older keys.
CREATE INDEX credentials_by_key ON credentials (key_id);
CREATE INDEX credentials_by_workspace ON credentials (workspace_id) WHERE workspace_id IS NOT NULL;

-- One small sealed known text per key id, written the first time a key is configured: start-up
-- opens it to tell a key whose id is known but whose bytes are wrong, before any secret is read.
CREATE TABLE credential_keys (
  key_id text PRIMARY KEY,
  -- A sealed value as JSON ({keyId, wrappedKey, iv, ciphertext}).
  check_value text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
