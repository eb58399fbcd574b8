/**
 * Baton's GitHub App, as the rest of Baton uses it: look up an installation a workspace is connected
 * to, mint installation tokens limited to what one step needs, revoke them when the run ends, and
 * comment on issues and pull requests. Every failure is an `IntegrationError` with provider `github`
 * (`src/domain/integrations/errors.ts`); no message ever contains a token.
 */

/**
 * Access levels by permission name as GitHub reports them (`{ metadata: 'read', issues: 'write' }`;
 * a few permissions, e.g. `administration`, can also be `admin`).
 */
export type GitHubPermissions = Readonly<Record<string, string>>;

/** A level a token may be asked for: Baton never asks GitHub for `admin`. */
export type GitHubAccessLevel = 'read' | 'write';

/** An installation of the App on a user or organization account. */
export interface GitHubInstallation {
  readonly id: number;
  /** The account it is installed on; `type` is `User`, `Organization` or `Enterprise`. */
  readonly account: { readonly login: string; readonly type: string };
  /** Whether the installation reaches every repository of the account or the ones an admin picked. */
  readonly repositorySelection: 'all' | 'selected';
  /** What the account granted the App. A token can be limited to less, never given more. */
  readonly permissions: GitHubPermissions;
  /** When an admin suspended it (tokens cannot be minted then); null while it is active. */
  readonly suspendedAt: Date | null;
}

/** What a minted token may reach; anything left out means "all the installation has". */
export interface GitHubTokenScope {
  /**
   * Repository names without the owner (`api`, not `acme/api`), all of the installation's account.
   * Omit for every repository the installation reaches; an empty list is refused as a mistake.
   */
  readonly repositories?: readonly string[];
  /** Permissions by name, e.g. `{ contents: 'read', issues: 'write' }`. */
  readonly permissions?: Readonly<Record<string, GitHubAccessLevel>>;
}

/** An installation access token, with the scope GitHub actually gave it. */
export interface InstallationToken {
  /** The secret (`ghs_…`): hand it only to the run it was minted for; never log it. */
  readonly token: string;
  /** GitHub lets it live one hour. */
  readonly expiresAt: Date;
  readonly permissions: GitHubPermissions;
  /** Names of the repositories it reaches; null when it reaches every repository of the installation. */
  readonly repositories: readonly string[] | null;
}

/** An issue or a pull request (they share numbers and the comments endpoint). */
export interface GitHubIssueTarget {
  readonly owner: string;
  readonly repo: string;
  readonly number: number;
}

/** A comment as GitHub created it. */
export interface GitHubComment {
  readonly id: number;
  /** Where a person sees it (`https://github.com/acme/api/issues/12#issuecomment-…`). */
  readonly url: string;
}

/** Baton's GitHub App (adapter: `createGitHubAppClient` in `src/adapters/github`). */
export interface GitHubApp {
  /**
   * An installation of the App (authenticated as the App). A removed installation fails with
   * `integration_revoked`; a suspended one is returned with `suspendedAt` set.
   */
  installation(installationId: number): Promise<GitHubInstallation>;
  /**
   * Mints a token of the installation limited to `scope`. Fails with `integration_revoked` when the
   * installation was removed or is suspended, and `integration_rejected` when the scope asks for a
   * repository or permission the installation does not have.
   */
  mintToken(installationId: number, scope: GitHubTokenScope): Promise<InstallationToken>;
  /** Revokes a token at once (at the end of a run). A token already revoked or expired counts as done. */
  revokeToken(token: string): Promise<void>;
  /**
   * Comments on an issue or pull request with an installation token. Fails with `integration_revoked`
   * when the token expired or was revoked, and `integration_denied` when it does not reach the
   * repository or lacks `issues: write` / `pull_requests: write`.
   */
  commentOnIssue(token: string, target: GitHubIssueTarget, body: string): Promise<GitHubComment>;
}
