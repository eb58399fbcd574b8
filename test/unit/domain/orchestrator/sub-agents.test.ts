import { describe, expect, it } from 'vitest';
import { enabledSubAgents, subAgentIssues } from '../../../../src/domain/orchestrator/sub-agents.ts';

const profile = {
  tools: ['git', 'shell'],
  model: 'big',
  subAgents: [
    { name: 'reviewer', description: 'Reviews', prompt: 'Review.', tools: ['git'], model: 'small' },
    { name: 'tester', description: 'Tests', prompt: 'Test.' },
  ],
};

describe('sub-agent rules', () => {
  it('names a second sub-agent with a taken name and each tool the profile lacks', () => {
    const issues = subAgentIssues({
      tools: ['git'],
      subAgents: [
        profile.subAgents[0]!,
        { ...profile.subAgents[1]!, name: 'reviewer', tools: ['git', 'browser', 'shell'] },
      ],
    });
    expect(issues.map((i) => i.path)).toEqual(['subAgents.1.name', 'subAgents.1.tools.1', 'subAgents.1.tools.2']);
    expect(subAgentIssues(profile)).toEqual([]);
    expect(subAgentIssues({ tools: [] })).toEqual([]);
  });

  it(
    'enables all when the step chose none, exactly the chosen ' +
      'ones otherwise, filling tools and model from the profile',
    () => {
      const tester = { name: 'tester', description: 'Tests', prompt: 'Test.', tools: ['git', 'shell'], model: 'big' };
      expect(enabledSubAgents(profile, undefined)).toEqual({
        subAgents: [{ ...profile.subAgents[0] }, tester],
        unknown: [],
      });
      expect(enabledSubAgents(profile, ['tester'])).toEqual({ subAgents: [tester], unknown: [] });
      expect(enabledSubAgents(profile, [])).toEqual({ subAgents: [], unknown: [] });
      expect(enabledSubAgents(profile, ['tester', 'deployer']).unknown).toEqual(['deployer']);
      expect(enabledSubAgents({ tools: [], model: 'm' }, undefined)).toEqual({ subAgents: [], unknown: [] });
    },
  );
});
