import type { ShippedTemplate } from './shipped-template.ts';

/** Review each new or updated pull request and comment on it. */
export const pullRequestReview: ShippedTemplate = {
  id: 'pull-request-review',
  name: 'Review a pull request and comment',
  description:
    'An agent reviews a pull request (read-only access to the ' +
    'code) and posts its review as a comment on the pull request.',
  setup:
    'Create a github trigger on the `pull_request` event with filter `event.payload.action ' +
    '== "opened" || event.payload.action == "synchronize"` and inputs ' +
    '`{ "pull": "event.payload.pull_request.number", "title": ' +
    '"event.payload.pull_request.title" }`; or start it by hand with those inputs.',
  parameters: [
    {
      name: 'repository',
      description: 'The repository whose pull requests are reviewed, owner/name',
      type: 'string',
      required: true,
    },
    {
      name: 'profile',
      description: 'The agent profile that reviews',
      type: 'string',
      required: false,
      default: 'reviewer',
    },
    {
      name: 'focus',
      description: 'What the review looks at first',
      type: 'string',
      required: false,
      default: 'correctness, security, tests and readability',
    },
    {
      name: 'integration',
      description: 'The GitHub connection to use when the workspace has several (its id)',
      type: 'string',
      required: false,
    },
  ],
  yaml: `name: "Review pull requests of {{repository}}"
inputs:
  pull: { type: number }
  title: { type: string, default: "" }
deadline: 2h
steps:
  - id: review
    kind: agent
    profile: "{{profile}}"
    timeout: 30m
    retry: { maxAttempts: 2 }
    prompt: |
      Review pull request #\${inputs.pull} of {{repository}} ("\${inputs.title}"). Look first at:
      {{focus}}. Read the diff and the code around it; change nothing. Answer with output
      { verdict: "approve" | "comment" | "request-changes", comment: <the review, in Markdown> }.
    github:
      integration: "{{integration}}"
      repositories: ["{{repository}}"]
      permissions: { contents: read, pull_requests: read }
  - id: comment
    kind: notify
    channel: github
    integration: "{{integration}}"
    github: { repository: "{{repository}}", issue: "\${inputs.pull}" }
    message: "**Review (\${steps.review.output.verdict})**\\n\\n\${steps.review.output.comment}"
`,
};
