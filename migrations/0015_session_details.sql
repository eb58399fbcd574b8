-- A person lists their own browser sessions (GET /v1/me/sessions) and tells them apart by the
-- browser that signed in: its User-Agent at sign-in, shortened. Sessions from before have none.
ALTER TABLE auth_sessions ADD COLUMN user_agent text;
