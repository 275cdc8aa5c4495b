import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

const SRC = path.join(import.meta.dirname, "..", "src");

/** Every .ts file under `dir`, relative to src/. */
function sources(dir = SRC): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sources(full);
    return entry.name.endsWith(".ts") ? [path.relative(SRC, full)] : [];
  });
}

// SQL text, or a raw query handle used directly: what only src/store/ may contain.
const RAW_SQL = /\b(SELECT\s+[\w*]|INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM)\b|\.raw\(|\breader\.(get|all)\b|\btrx\(|storeInternals\(/;

describe("layering", () => {
  it("keeps SQL in src/store/: other layers call the store's named functions", () => {
    const offenders = sources()
      .filter((file) => !file.startsWith(`store${path.sep}`))
      .flatMap((file) =>
        fs
          .readFileSync(path.join(SRC, file), "utf8")
          .split("\n")
          .map((line, i) => ({ where: `src/${file}:${i + 1}`, line: line.trim() }))
          .filter(({ line }) => RAW_SQL.test(line)),
      );
    expect(offenders, "move this SQL into a function in src/store/").toEqual([]);
  });
});
