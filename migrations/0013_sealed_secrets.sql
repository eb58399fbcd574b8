-- Every stored secret sealed with the credential keys (docs/credentials.md): the terminal-token
-- signing keys' private JWKs, generic webhook trigger secrets and session callback secrets. Each
-- gets a `<column>_sealed` jsonb holding a sealed value ({keyId, wrappedKey, iv, ciphertext}) whose
-- AAD is `<table>.<column>:<row id>`, so a value moved to another row does not open.
--
-- SQL cannot seal (the keys are not in the database), so the plain columns stay, nullable, for the
-- upgrade: the Node server seals the rows an older Baton wrote before it serves (and
-- `rotate-credentials` and the Worker's cron tick do too), clearing the plain value in the same
-- statement. New rows are written sealed only.

ALTER TABLE signing_keys
  ADD COLUMN private_jwk_sealed jsonb,
  ALTER COLUMN private_jwk DROP NOT NULL,
  ADD CONSTRAINT signing_keys_private_jwk_kept CHECK (private_jwk IS NOT NULL OR private_jwk_sealed IS NOT NULL);

ALTER TABLE sessions
  ADD COLUMN callback_secret_sealed jsonb,
  ALTER COLUMN callback_secret DROP NOT NULL,
  ADD CONSTRAINT sessions_callback_secret_kept CHECK (callback_secret IS NOT NULL OR callback_secret_sealed IS NOT NULL);

ALTER TABLE triggers ADD COLUMN secret_sealed jsonb;
-- 0008's unnamed check "a webhook trigger has a secret" now accepts either form.
DO $$
DECLARE
  name text;
BEGIN
  FOR name IN
    SELECT conname FROM pg_constraint
    WHERE conrelid = 'triggers'::regclass AND contype = 'c' AND pg_get_constraintdef(oid) LIKE '%secret IS NOT NULL%'
  LOOP
    EXECUTE format('ALTER TABLE triggers DROP CONSTRAINT %I', name);
  END LOOP;
END $$;
ALTER TABLE triggers ADD CONSTRAINT triggers_webhook_has_secret CHECK ((source = 'webhook') = (secret IS NOT NULL OR secret_sealed IS NOT NULL));

-- Start-up asks which key ids are in use; rotation finds the values under older keys.
CREATE INDEX signing_keys_by_key ON signing_keys ((private_jwk_sealed ->> 'keyId')) WHERE private_jwk_sealed IS NOT NULL;
CREATE INDEX sessions_by_key ON sessions ((callback_secret_sealed ->> 'keyId')) WHERE callback_secret_sealed IS NOT NULL;
CREATE INDEX triggers_by_key ON triggers ((secret_sealed ->> 'keyId')) WHERE secret_sealed IS NOT NULL;
-- The rows still in clear: empty once sealed, so looking for them costs nothing.
CREATE INDEX signing_keys_in_clear ON signing_keys (kid) WHERE private_jwk IS NOT NULL;
CREATE INDEX sessions_in_clear ON sessions (id) WHERE callback_secret IS NOT NULL;
CREATE INDEX triggers_in_clear ON triggers (id) WHERE secret IS NOT NULL;
