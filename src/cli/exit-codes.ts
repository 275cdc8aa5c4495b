/**
 * Exit codes of the `claude-comms` CLI, stable so that scripts can branch on them. The
 * commands that follow a message to its end (`poll watch`, `poll wait`, `ask --wait`) exit
 * with the code of the message's final status.
 */
export const ExitCode = {
  /** Success; for `poll watch`, `poll wait` and `ask --wait`: the message is COMPLETE. */
  OK: 0,
  /** Any error without a more specific code. */
  ERROR: 1,
  /** Usage error: unknown command or option, bad option value, or INVALID_ARGUMENT. */
  USAGE: 2,
  /** The message, thread or module does not exist (NOT_FOUND). */
  NOT_FOUND: 4,
  /** The message finished FAILED. */
  FAILED: 10,
  /** The message finished TIMED_OUT (its monitor's deadline passed). */
  TIMED_OUT: 11,
  /** The message finished CANCELLED. */
  CANCELLED: 12,
  /** The daemon is not reachable: not running, socket missing, connection refused. */
  UNAVAILABLE: 69,
  /** `poll wait` gave up (its --timeout) before the message finished. */
  WAIT_TIMEOUT: 75,
} as const;

/** One of the values of {@link ExitCode}. */
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/** The exit codes as shown at the end of `claude-comms --help`. */
export const EXIT_CODES_HELP = `
Exit codes:
  0   success (watch, wait, ask --wait: the message is complete)
  1   other error
  2   usage error (unknown option, bad value, invalid argument)
  4   not found
  10  the message failed
  11  the message timed out
  12  the message was cancelled
  69  daemon not reachable (start it with: claude-comms poll start)
  75  poll wait: still not finished at --timeout`;

/** The lowercase name of an exit code ("not_found", "usage"), as --json errors carry it; "error" for others. */
export function exitCodeName(code: number): string {
  const entry = Object.entries(ExitCode).find(([, value]) => value === code);
  return entry ? entry[0].toLowerCase() : "error";
}
