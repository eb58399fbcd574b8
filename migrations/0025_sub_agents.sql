-- Agent profiles become versioned (docs/sub-agents.md): every change of a profile's spec (its
-- sub-agents included) is a new immutable version, and an execution's agent steps use the version
-- that was current when the execution started (or, for a profile made later, its first version).
ALTER TABLE agent_profiles ADD COLUMN version integer NOT NULL DEFAULT 1;

CREATE TABLE agent_profile_versions (
  profile_id uuid NOT NULL REFERENCES agent_profiles (id) ON DELETE CASCADE,
  version integer NOT NULL,
  profile jsonb NOT NULL,
  created_by uuid REFERENCES users (id) ON DELETE SET NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (profile_id, version)
);

-- Profiles made before versions existed: their spec as it is now is version 1, dated when they
-- were last changed, so executions that started after that keep using it.
INSERT INTO agent_profile_versions (profile_id, version, profile, created_at)
SELECT id, 1, profile, updated_at FROM agent_profiles;
