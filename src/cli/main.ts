#!/usr/bin/env node
import { buildProgram, type RunResult } from "./program.js";

/** Runs the CLI on an argv (`process.argv` form) and returns the exit code; never throws. */
async function main(argv: string[]): Promise<number> {
  const result: RunResult = { exitCode: 0 };
  const program = buildProgram(result);
  try {
    await program.parseAsync(argv);
    return result.exitCode;
  } catch (error) {
    const { handleError } = await import("./handle-error.js");
    return handleError(error, program.opts());
  }
}

function flush(stream: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => {
    if (stream.destroyed || !stream.writable) return resolve();
    stream.write("", () => resolve());
  });
}

// A reader that went away (`claude-comms poll watch … | head -1`) ends the command quietly.
process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  if (error.code === "EPIPE") process.exit(0);
  throw error;
});

const exitCode = await main(process.argv);
await Promise.all([flush(process.stdout), flush(process.stderr)]);
// Exit now: a lingering HTTP/2 session or timer must not keep a finished command alive.
process.exit(exitCode);
