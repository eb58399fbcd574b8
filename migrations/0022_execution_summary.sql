-- Artifacts, runs and summaries (GET /v1/executions/{id}/artifacts, /runs, GET /v1/artifacts/{id}).

-- An artifact is addressed on its own (GET /v1/artifacts/{id}): its key (run, the sandbox's artifact
-- id) is the sandbox's to choose and says nothing on its own, so each row gets an id of Baton's. A
-- repeated artifact id replaces the row's content and keeps its id.
ALTER TABLE artifacts ADD COLUMN id uuid NOT NULL DEFAULT gen_random_uuid();
CREATE UNIQUE INDEX artifacts_by_id ON artifacts (id);

-- What an execution came to, written with the state that finishes it (the recipe's `summary:`
-- template, else the last agent step's summary); null while it runs, when the template failed, or
-- when there was nothing to summarize.
ALTER TABLE executions ADD COLUMN summary text;
