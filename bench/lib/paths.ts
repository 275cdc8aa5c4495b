import { fileURLToPath } from "node:url";

// This file compiles to dist/bench/lib/paths.js.
const here = (relative: string) => fileURLToPath(new URL(relative, import.meta.url));

/** The repository root. */
export const ROOT = here("../../../");
/** The compiled daemon entry point. */
export const DAEMON_MAIN = here("../../src/daemon/main.js");
/** The compiled CLI entry point. */
export const CLI_MAIN = here("../../src/cli/main.js");
/** The shipped `claude-comms` bin: the CLI bundled by the build (package.json "bin"). */
export const CLI_BIN = here("../../src/cli/bundle/main.js");
/** A compiled bench script (relative to dist/bench), e.g. "clients/fan-out-client.js". */
export const benchScript = (relative: string): string => here(`../${relative}`);
/** Where results are written. */
export const RESULTS_FILE = here("../../../bench/results.json");
