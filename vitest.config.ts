import { defineConfig } from "vitest/config";

// Two passes (`npm test` runs both): SQLite by default; with CLAUDE_COMMS_TEST_PG (the admin URL
// of a throwaway PostgreSQL cluster that `npm test` starts) the store, watch and replica suites
// against PostgreSQL. Each pass leaves out the other's dialect-only directory: not collected,
// so never counted as skipped.
const postgres = Boolean(process.env.CLAUDE_COMMS_TEST_PG);

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Builds dist/ first when a source is newer than it: the daemon and CLI run from dist/.
    globalSetup: ["test/setup/fresh-dist.mjs"],
    setupFiles: ["test/helpers/setup.ts"],
    exclude: ["**/node_modules/**", postgres ? "test/sqlite/**" : "test/postgres/**"],
    testTimeout: 30_000,
    // One retry: a test that fails and then passes counts as passed, and `npm test` lists it
    // as "flaky: FILE > TEST: first error" above its counts, so a flake is seen, not hidden.
    retry: 1,
    hookTimeout: 30_000,
    pool: "forks",
    fileParallelism: true,
    maxWorkers: 2,
  },
});
