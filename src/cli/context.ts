import type { DescMessage, MessageShape } from "@bufbuild/protobuf";
import { toJson } from "@bufbuild/protobuf";
import type { Transport } from "@connectrpc/connect";
import { checkAddress, createTransport, describeTarget, type TransportOptions } from "../client/transport.js";
import { usageError } from "./errors.js";
import type { GlobalOptions } from "./global-options.js";

// The CLI runs one command and exits: let idle HTTP/2 sessions close at once.
const IDLE_CONNECTION_TIMEOUT_MS = 100;

/** How long a unary call may take before the CLI gives up on the daemon. */
export const UNARY_TIMEOUT_MS = 30_000;

/**
 * What a command needs: the global options, the transport to the daemon (pass the context to
 * `createPollingClient` and friends) and output helpers.
 */
export interface CommandContext {
  readonly globals: GlobalOptions;
  /** Where the daemon is expected: `unix:/…/daemon.sock` or `HOST:PORT`. */
  readonly target: string;
  /** The transport to the daemon, created on first use; it connects on the first call. */
  readonly transport: Transport;
  /** Writes a line to stdout. */
  out(line: string): void;
  /** Writes a response as one line of protobuf canonical JSON on stdout. */
  json<Desc extends DescMessage>(schema: Desc, message: MessageShape<Desc>): void;
}

/** The transport options the CLI derives from its global options. */
export function transportOptionsOf(globals: GlobalOptions): TransportOptions {
  return {
    home: globals.home,
    address: globals.address,
    token: globals.token,
    idleConnectionTimeoutMs: IDLE_CONNECTION_TIMEOUT_MS,
  };
}

/** Creates the context of one command run. */
export function createCommandContext(globals: GlobalOptions): CommandContext {
  if (globals.address) {
    try {
      checkAddress(globals.address);
    } catch (error) {
      throw usageError((error as Error).message.replace("invalid address", "invalid --address"));
    }
  }
  const options = transportOptionsOf(globals);
  let transport: Transport | undefined;
  return {
    globals,
    target: describeTarget(options),
    get transport() {
      return (transport ??= createTransport(options));
    },
    out: (line) => void process.stdout.write(line + "\n"),
    json: (schema, message) =>
      void process.stdout.write(JSON.stringify(toJson(schema, message, { alwaysEmitImplicit: true })) + "\n"),
  };
}
