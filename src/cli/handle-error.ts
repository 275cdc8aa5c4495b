import { Code, ConnectError } from "@connectrpc/connect";
import { CommanderError } from "commander";
import { NOT_LISTENING, causesOf as causes, nodeErrorCode } from "../client/connection-errors.js";
import { describeTarget } from "../client/transport.js";
import { CliError, errorJson } from "./errors.js";
import { ExitCode } from "./exit-codes.js";
import type { GlobalOptions } from "./global-options.js";

/**
 * The CLI's one error exit path: maps any error to an exit code and writes one actionable
 * line on stderr (`claude-comms: …`; with --json one object, see {@link errorJson}).
 * Commander's own errors were printed already. Returns the exit code.
 */
export function handleError(error: unknown, globals: Partial<GlobalOptions> = {}): number {
  const { code, message } = describeError(error, globals);
  if (message) process.stderr.write(globals.json ? `${errorJson(code, message)}\n` : `claude-comms: ${message}\n`);
  return code;
}


/** The exit code and the stderr line (undefined when already printed) for an error. */
export function describeError(error: unknown, globals: Partial<GlobalOptions>): { code: number; message?: string } {
  if (error instanceof CommanderError) return { code: commanderExitCode(error) };
  if (error instanceof CliError) return { code: error.exitCode, message: error.message };
  if (error instanceof ConnectError) return describeConnectError(error, globals);
  const message = error instanceof Error ? error.message : String(error);
  return { code: ExitCode.ERROR, message };
}

function commanderExitCode(error: CommanderError): number {
  switch (error.code) {
    case "commander.helpDisplayed":
    case "commander.version":
      return ExitCode.OK;
    default:
      return error.exitCode === 0 ? ExitCode.OK : ExitCode.USAGE;
  }
}

function describeConnectError(error: ConnectError, globals: Partial<GlobalOptions>): { code: number; message: string } {
  const target = describeTarget(globals);
  const tls = describeTlsFailure(error, target);
  if (tls) return { code: ExitCode.ERROR, message: tls };
  const cause = nodeErrorCode(error);
  if (cause && NOT_LISTENING.has(cause)) {
    return { code: ExitCode.UNAVAILABLE, message: `daemon not running at ${target} (start it with: claude-comms poll start)` };
  }
  if (cause === "EACCES" || cause === "EPERM") {
    return { code: ExitCode.UNAVAILABLE, message: `permission denied connecting to the daemon at ${target}` };
  }
  const raw = error.rawMessage || Code[error.code].toLowerCase();
  const tooLarge = /message size (\d+) is larger than configured readMaxBytes (\d+)/.exec(raw);
  if (tooLarge) {
    const message = `the request is ${tooLarge[1]} bytes, more than the daemon at ${target} accepts (its --max-request-bytes is ${tooLarge[2]}); send less, or start the daemon with a larger --max-request-bytes`;
    return { code: ExitCode.USAGE, message };
  }
  switch (error.code) {
    case Code.NotFound:
      return { code: ExitCode.NOT_FOUND, message: raw };
    case Code.InvalidArgument:
      return { code: ExitCode.USAGE, message: raw };
    case Code.Unavailable:
      return { code: ExitCode.UNAVAILABLE, message: `daemon at ${target} unavailable: ${raw}` };
    case Code.DeadlineExceeded:
      return { code: ExitCode.ERROR, message: `daemon at ${target} did not answer in time (${raw})` };
    case Code.Unimplemented:
      return { code: ExitCode.ERROR, message: `the daemon at ${target} does not serve this call (${raw}); is it older than this CLI?` };
    case Code.Unauthenticated:
      return { code: ExitCode.ERROR, message: `daemon at ${target} refused the call: ${raw} (pass --token-file FILE or --token TOKEN, or set CLAUDE_COMMS_TOKEN)` };
    default:
      return { code: ExitCode.ERROR, message: raw };
  }
}

// A TLS handshake that failed on our side: the daemon speaks no TLS, or its certificate is not
// one --tls-ca vouches for. (A plaintext call to a TLS daemon gets the daemon's own message.)
function describeTlsFailure(error: ConnectError, target: string): string | undefined {
  for (const e of causes(error)) {
    const code = (e as { code?: unknown }).code;
    if (typeof code !== "string") continue;
    if (code === "ERR_SSL_WRONG_VERSION_NUMBER" || code === "ERR_SSL_PACKET_LENGTH_TOO_LONG") {
      return `the daemon at ${target} does not speak TLS on that port: drop --tls-ca (and CLAUDE_COMMS_TLS_CA), or start the daemon with --tls-cert and --tls-key`;
    }
    if (/CERT|SELF_SIGNED|ISSUER|ALTNAME|VERIFY/.test(code)) {
      return `cannot trust the TLS certificate of the daemon at ${target}: ${e.message} (pass --tls-ca with the CA that signed the daemon's --tls-cert, or that certificate itself if self-signed)`;
    }
  }
  return undefined;
}
