import { describe, expect, it } from 'vitest';
import { ApiError, issuesByPath, issuesElsewhere } from '../../../web/src/api-errors.ts';

// What a settings form (a token, a GitHub connection) shows on top after a refused write.

const refused = (issues: Array<{ path: string; message: string }>) =>
  new ApiError(400, 'invalid_request', 'The request is not valid', { issues });
const placed = (path: string) => path === 'name' || path.split('.')[0] === 'scopes';

describe('issuesElsewhere', () => {
  it("is the error's own words when there are no issues", () => {
    const error = new ApiError(409, 'conflict', 'A token with this name exists');
    expect(issuesElsewhere(error, issuesByPath(error), placed)).toBe('A token with this name exists');
    expect(issuesElsewhere(new Error('The server could not be reached'), new Map(), placed)).toBe(
      'The server could not be reached',
    );
  });

  it('lists only the issues at no field of the form, and is null when every one has its field', () => {
    const some = refused([
      { path: 'name', message: 'is required' },
      { path: 'scopes.0', message: 'is not a scope' },
      { path: 'expiresAt', message: 'is in the past' },
      { path: 'owner', message: 'is unknown' },
    ]);
    expect(issuesElsewhere(some, issuesByPath(some), placed)).toBe('expiresAt: is in the past; owner: is unknown');
    const placedOnly = refused([{ path: 'scopes.1', message: 'is not a scope' }]);
    expect(issuesElsewhere(placedOnly, issuesByPath(placedOnly), placed)).toBeNull();
  });
});
