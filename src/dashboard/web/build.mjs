/*
 * Builds the dashboard page into dist/src/dashboard/assets/ (the daemon serves it from
 * memory): type-checks the page (src/dashboard/web/) for the browser, bundles the page and its SharedWorker with
 * rolldown, and copies index.html and app.css. The page may import only gen/ and npm
 * packages: a server module (src/ outside this folder) in the bundle fails the build.
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "rolldown";

const web = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(web, "../../..");
const out = path.join(root, "dist/src/dashboard/assets");
const serverCode = path.join(root, "src") + path.sep;
const isServerCode = (id) => id.startsWith(serverCode) && !id.startsWith(web + path.sep);

try {
  execFileSync(process.execPath, [path.join(root, "node_modules/typescript/bin/tsc"), "-p", path.join(web, "tsconfig.json")], { stdio: "inherit" });
} catch {
  console.error("src/dashboard/web/: the dashboard page does not type-check (errors above)");
  process.exit(1);
}
fs.rmSync(out, { recursive: true, force: true });
await build({
  input: { app: path.join(web, "src/main.ts"), worker: path.join(web, "src/worker.ts") },
  platform: "browser",
  logLevel: "warn",
  plugins: [{
    name: "no-server-code",
    load(id) {
      if (isServerCode(id)) throw new Error(`the dashboard page imports server code ${path.relative(root, id)}: use gen/ and @connectrpc/connect-web only`);
      return null;
    },
  }],
  output: { dir: out, format: "esm", minify: true, entryFileNames: "[name].js", chunkFileNames: "shared.js" },
});
for (const file of ["index.html", "app.css"]) fs.copyFileSync(path.join(web, file), path.join(out, file));
