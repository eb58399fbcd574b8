import { z } from 'zod';

/** A template's id: a shipped template's slug (e.g. `github-issue-triage`) or a workspace template's UUID. */
export const templateId = z
  .string()
  .regex(
    /^[a-z0-9][a-z0-9-]{0,99}$/,
    "expected a template id: a shipped template's such as github-issue-triage, or a UUID",
  )
  .describe("A shipped template's id (e.g. github-issue-triage) or a workspace template's UUID");
