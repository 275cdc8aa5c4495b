import { defineConfig } from "vitest/config";

// test/postgres/ needs a PostgreSQL server: .ci/run starts a throwaway one and sets
// CLAUDE_COMMS_TEST_PG for the run against it.
const postgres = Boolean(process.env.CLAUDE_COMMS_TEST_PG);

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    setupFiles: ["test/helpers/setup.ts"],
    exclude: ["**/node_modules/**", ...(postgres ? [] : ["test/postgres/**"])],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: "forks",
    fileParallelism: true,
    maxWorkers: 2,
  },
});
