import { describe, expect, it } from 'vitest';
import { parseRecipe } from '../../../src/app/orchestrator/recipe-parse.ts';
import { webhookUrlIssues } from '../../../src/app/webhooks/webhook-urls.ts';
import { emptyAllowList, parseEgressAllowList } from '../../../src/domain/network/address-policy.ts';

const yaml = `
name: nested
steps:
  - { id: both, kind: parallel, branches: [ { steps: [ { id: a, kind: notify, channel: webhook, url: \
"http://192.168.1.5/x", message: hi } ] }, { steps: [ { id: b, kind: notify, channel: webhook, url: \
"https://hooks.example.com/x", message: hi } ] } ] }
  - { id: c, kind: notify, channel: webhook, url: "http://[fe80::1]/x", message: hi }
  - { id: d, kind: notify, channel: dashboard, message: "http://127.0.0.1/ is only text here" }
`;

describe('webhook URLs at push time', () => {
  it('names every webhook step, nested ones too, whose URL is a literal non-public address', () => {
    const { authored } = parseRecipe(yaml, 'yaml');
    expect(webhookUrlIssues(authored, emptyAllowList)).toEqual([
      {
        location: 'body',
        path: 'steps.0.branches.0.steps.0.url',
        message: 'refused: 192.168.1.5 is a private address; allow it with BATON_EGRESS_ALLOW',
      },
      {
        location: 'body',
        path: 'steps.1.url',
        message: 'refused: fe80::1 is a link-local address; allow it with BATON_EGRESS_ALLOW',
      },
    ]);
  });

  it('lets through what BATON_EGRESS_ALLOW lists, and host names (judged when sent)', () => {
    const { authored } = parseRecipe(yaml, 'yaml');
    expect(webhookUrlIssues(authored, parseEgressAllowList('192.168.0.0/16,fe80::/10').list)).toEqual([]);
  });
});
