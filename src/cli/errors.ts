import { ExitCode, exitCodeName } from "./exit-codes.js";

/**
 * An error the CLI reports as it is: one line on stderr (`claude-comms: <message>`) and the
 * given exit code. Commands throw it; only handle-error.ts prints it.
 */
export class CliError extends Error {
  override readonly name = "CliError";

  constructor(
    message: string,
    readonly exitCode: number = ExitCode.ERROR,
  ) {
    super(message);
  }
}

/** A usage error (exit code 2): a bad option value or argument. */
export function usageError(message: string): CliError {
  return new CliError(message, ExitCode.USAGE);
}

/**
 * An error as scripts read it with --json: `{"code":"not_found","exit":4,"message":"…"}`,
 * `code` naming the row of the exit-code table.
 */
export function errorJson(exit: number, message: string): string {
  return JSON.stringify({ code: exitCodeName(exit), exit, message });
}
