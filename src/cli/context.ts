import fs from "node:fs";
import type { DescMessage, MessageShape } from "@bufbuild/protobuf";
import { toJson } from "@bufbuild/protobuf";
import type { Transport } from "@connectrpc/connect";
import { checkAddress, createTransport, describeTarget, type TransportOptions } from "../client/transport.js";
import { resolveToken } from "../common/token.js";
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

/**
 * The transport options the CLI derives from its global options: the token (from --token,
 * --token-file or their variables) and the TLS CA file are read here. A usage error says
 * which option or file is wrong.
 */
export function transportOptionsOf(globals: GlobalOptions): TransportOptions {
  return {
    home: globals.home,
    address: globals.address,
    token: tokenOf(globals),
    // The Unix socket never speaks TLS: a CA (say from the environment) matters only with --address.
    tlsCa: globals.address && globals.tlsCa ? readCa(globals.tlsCa) : undefined,
    idleConnectionTimeoutMs: IDLE_CONNECTION_TIMEOUT_MS,
  };
}

/** The bearer token of the global options and the environment; undefined when none is set. */
export function tokenOf(globals: GlobalOptions): string | undefined {
  try {
    const env = process.env;
    return resolveToken({
      flagToken: globals.token,
      flagFile: globals.tokenFile,
      envToken: env.CLAUDE_COMMS_TOKEN || undefined,
      envFile: env.CLAUDE_COMMS_TOKEN_FILE || undefined,
    });
  } catch (error) {
    throw usageError((error as Error).message);
  }
}

function readCa(file: string): Buffer {
  let pem: Buffer;
  try {
    pem = fs.readFileSync(file);
  } catch (error) {
    throw usageError(`cannot read --tls-ca ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  if (!pem.includes("-----BEGIN CERTIFICATE-----")) throw usageError(`--tls-ca ${file} is not a PEM certificate`);
  return pem;
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
