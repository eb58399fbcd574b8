/**
 * The exit codes of `baton` (docs/cli.md lists them): scripts and agents branch on these numbers,
 * so they never change meaning.
 */
export const exitCodes = {
  ok: 0,
  /** Anything else went wrong: the server refused the input (400), could not be reached, or failed. */
  error: 1,
  /** The command line is wrong: unknown command or option, missing argument. */
  usage: 2,
  /** Not signed in, the credential is invalid or expired (401), or it may not do this (403). */
  auth: 3,
  /** No such thing, or you may not see it (404). */
  notFound: 4,
  /** The request conflicts with the current state (409): e.g. approving a step that no longer waits. */
  conflict: 5,
  /** With `--exit-status`: the execution finished failed or cancelled. */
  executionFailed: 6,
  /** Interrupted (Ctrl-C, SIGINT). */
  interrupted: 130,
} as const;

/** An error the CLI reports as one line on stderr and ends with `exitCode`. */
export class CliError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode: number = exitCodes.error) {
    super(message);
    this.name = 'CliError';
    this.exitCode = exitCode;
  }
}

/** The exit code for an HTTP error status. */
export function exitCodeForStatus(status: number): number {
  if (status === 401 || status === 403) return exitCodes.auth;
  if (status === 404) return exitCodes.notFound;
  if (status === 409) return exitCodes.conflict;
  return exitCodes.error;
}
