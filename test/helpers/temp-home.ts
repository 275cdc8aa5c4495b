import fs from "node:fs";
import os from "node:os";
import path from "node:path";

/** A fresh temporary directory (short path: Unix socket paths are limited to ~100 bytes). */
export function makeTempHome(prefix = "cc-"): { home: string; cleanup(): void } {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  return { home, cleanup: () => fs.rmSync(home, { recursive: true, force: true }) };
}
