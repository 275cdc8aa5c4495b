// Vitest global setup (and `node test/setup/fresh-dist.mjs`): builds dist/ first when any
// compiled source is newer than the last complete build, so a test never runs against a stale
// dist/ (the daemon, the CLI and the examples run from there). An up-to-date dist/ costs a
// file-tree walk of a few milliseconds; the build itself takes ~15 s on the project's machine,
// too much to pay on every run.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
/** What tsconfig.json compiles, plus the files that change how it is compiled or bundled. */
const SOURCE_DIRS = ["src", "gen", "bench", "test", "examples"];
const SOURCE_FILES = ["tsconfig.json", "package.json"];
/** Written last by `npm run build` (the dashboard page, after tsc and the CLI bundle): its time is the build's. */
const LAST_OUTPUT = "dist/src/dashboard/assets/index.html";

/** The newest modification time (ms) of the TypeScript files under `dir`. */
function newestTs(dir) {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestTs(file));
    else if (entry.name.endsWith(".ts")) newest = Math.max(newest, fs.statSync(file).mtimeMs);
  }
  return newest;
}

/** Why dist/ must be rebuilt, or undefined when it is up to date. */
export function staleReason() {
  const built = fs.statSync(path.join(ROOT, LAST_OUTPUT), { throwIfNoEntry: false })?.mtimeMs;
  if (built === undefined) return `${LAST_OUTPUT} is missing`;
  const newer = [
    ...SOURCE_DIRS.filter((d) => newestTs(path.join(ROOT, d)) > built),
    ...SOURCE_FILES.filter((f) => fs.statSync(path.join(ROOT, f)).mtimeMs > built),
  ];
  return newer.length ? `${newer.join(", ")} changed since the last build` : undefined;
}

/** Runs `npm run build` when dist/ is stale; throws when the build fails. */
export function ensureFreshDist() {
  const reason = staleReason();
  if (!reason) return;
  console.log(`building dist/ (${reason})`);
  const build = spawnSync("npm", ["run", "--silent", "build"], { cwd: ROOT, stdio: "inherit" });
  if (build.status !== 0) {
    throw new Error("npm run build failed (see above): fix it first, the tests run against the compiled dist/");
  }
}

export default ensureFreshDist;

if (process.argv[1] === fileURLToPath(import.meta.url)) ensureFreshDist();
