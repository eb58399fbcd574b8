import type { ShippedTemplate } from './shipped-template.ts';

/** Triage each new GitHub issue: an agent labels it and comments with its findings. */
export const githubIssueTriage: ShippedTemplate = {
  id: 'github-issue-triage',
  name: 'Triage new GitHub issues',
  description:
    'An agent reads each new issue, labels it (from a list you give), ' +
    'looks for duplicates and comments on the issue with what it found.',
  setup:
    'Create a github trigger on the `issues` event with filter `event.payload.action == "opened"` and inputs ' +
    '`{ "issue": "event.payload.issue.number", "title": "event.payload.issue.title", ' +
    '"body": "event.payload.issue.body == null ? \\"\\" : event.payload.issue.body" }`.',
  parameters: [
    {
      name: 'repository',
      description: 'The repository whose issues are triaged, owner/name',
      type: 'string',
      required: true,
    },
    {
      name: 'profile',
      description: 'The agent profile that triages (its model and tools)',
      type: 'string',
      required: false,
      default: 'triager',
    },
    {
      name: 'labels',
      description: 'The labels the agent may choose from',
      type: 'array',
      required: false,
      default: ['bug', 'enhancement', 'question', 'documentation'],
    },
    {
      name: 'integration',
      description: 'The GitHub connection to use when the workspace has several (its id)',
      type: 'string',
      required: false,
    },
  ],
  yaml: `name: "Triage issues of {{repository}}"
inputs:
  issue: { type: number }
  title: { type: string }
  body: { type: string, default: "" }
deadline: 1h
steps:
  - id: triage
    kind: agent
    profile: "{{profile}}"
    timeout: 20m
    retry: { maxAttempts: 2 }
    prompt: |
      Triage issue #\${inputs.issue} of {{repository}}, titled "\${inputs.title}":

      \${inputs.body}

      Label it with those of these labels that fit: {{labels}}. Search the open issues for a
      duplicate. Answer with output { labels: [...], duplicateOf: <number or null>, summary: <a short
      comment for the reporter, in Markdown> }.
    github:
      integration: "{{integration}}"
      repositories: ["{{repository}}"]
      permissions: { issues: write, contents: read }
  - id: comment
    kind: notify
    channel: github
    integration: "{{integration}}"
    github: { repository: "{{repository}}", issue: "\${inputs.issue}" }
    message: "\${steps.triage.output.summary}"
`,
};
