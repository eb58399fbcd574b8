-- Outbound webhooks are signed (docs/webhooks.md) with a secret per workspace. The secret itself
-- lives sealed in `credentials` (purpose `webhook.signing-secret`, like every other stored secret:
-- rotation and the start-up key checks cover it); this row says which credential is the current one.
-- Deleting the workspace, or the credential, removes the row; the next webhook makes a new secret.

CREATE TABLE webhook_signing_secrets (
  workspace_id uuid PRIMARY KEY REFERENCES workspaces (id) ON DELETE CASCADE,
  credential_id uuid NOT NULL REFERENCES credentials (id) ON DELETE CASCADE,
  created_at timestamptz NOT NULL DEFAULT now()
);
