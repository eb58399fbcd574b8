import type { ShippedTemplate } from './shipped-template.ts';

/** Update a repository's dependencies every night; a person approves before a pull request is opened. */
export const nightlyDependencyUpdate: ShippedTemplate = {
  id: 'nightly-dependency-update',
  name: 'Nightly dependency update',
  description:
    'An agent updates the dependencies on a branch and runs the tests; ' +
    'when something changed, people approve before it opens a pull request.',
  setup: 'Create a schedule for the recipe, e.g. cron `0 3 * * *` in your time zone.',
  parameters: [
    { name: 'repository', description: 'The repository to update, owner/name', type: 'string', required: true },
    {
      name: 'baseBranch',
      description: 'The branch to update and open the pull request against',
      type: 'string',
      required: false,
      default: 'main',
    },
    {
      name: 'profile',
      description: 'The agent profile that does the update',
      type: 'string',
      required: false,
      default: 'coder',
    },
    {
      name: 'approvals',
      description: 'How many people must approve before the pull request is opened',
      type: 'integer',
      required: false,
      default: 1,
    },
    {
      name: 'integration',
      description: 'The GitHub connection to use when the workspace has several (its id)',
      type: 'string',
      required: false,
    },
  ],
  yaml: `name: "Nightly dependency update of {{repository}}"
deadline: 2d
steps:
  - id: update
    kind: agent
    profile: "{{profile}}"
    timeout: 1h
    retry: { maxAttempts: 2, backoff: { initial: 5m, factor: 2, max: 30m } }
    prompt: |
      In {{repository}}, branch from {{baseBranch}} and update the dependencies to their latest
      compatible versions; run the tests and fix what the update broke. Push the branch but open no
      pull request. Answer with output { changed: <bool>, branch: <name>, summary: <Markdown list
      of what changed and the test results> }.
    github:
      integration: "{{integration}}"
      repositories: ["{{repository}}"]
      permissions: { contents: write }
  - id: changed
    kind: branch
    cases: [ { if: "steps.update.output.changed == true", goto: gate } ]
    else: end
  - id: gate
    kind: approval
    prompt: "Open a pull request for these updates of {{repository}}? \${steps.update.output.summary}"
    quorum: "{{approvals}}"
    timeout: 24h
    onReject: rejected
  - id: open
    kind: agent
    profile: "{{profile}}"
    timeout: 15m
    prompt: "Open a pull request in {{repository}} from \${steps.update.output.branch} into {{baseBranch}}, described \
by: \${steps.update.output.summary}. Answer with output { url }."
    github:
      integration: "{{integration}}"
      repositories: ["{{repository}}"]
      permissions: { contents: read, pull_requests: write }
  - id: opened
    kind: notify
    channel: dashboard
    message: "Dependency update ready for review: \${steps.open.output.url}"
    next: end
  - id: rejected
    kind: notify
    channel: dashboard
    message: "Dependency update of {{repository}} not proposed; its branch \${steps.update.output.branch} is left as \
it is."
`,
};
