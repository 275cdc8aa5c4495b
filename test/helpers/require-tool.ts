import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

/*
 * A test that cannot run for want of an outside program fails, naming what is missing and how
 * to install it; it never skips. `npm test` installs every one of them (the Debian packages in
 * test/setup/debian-packages.txt), so these failures only meet someone running vitest by hand.
 */

/** The message of a missing tool: what, from which Debian package, and the commands that install it. */
function missing(what: string, debianPackage: string): Error {
  return new Error(
    `${what} is missing: this test needs it. Install it with \`apt-get install ${debianPackage}\`, ` +
      "or run `npm test`, which installs every tool the tests use (test/setup/debian-packages.txt)",
  );
}

/**
 * The absolute path of `program`, looked up on PATH (or taken as is when it is a path); throws
 * naming the Debian package that provides it when it is not there.
 */
export function requireTool(program: string, debianPackage: string): string {
  const candidates = program.includes("/")
    ? [program]
    : (process.env.PATH ?? "").split(path.delimiter).filter(Boolean).map((dir) => path.join(dir, program));
  const found = candidates.find((file) => {
    try {
      fs.accessSync(file, fs.constants.X_OK);
      return fs.statSync(file).isFile();
    } catch {
      return false;
    }
  });
  if (!found) throw missing(`the program \`${program}\``, debianPackage);
  return found;
}

/** The first of `files` that exists (e.g. a library at its path on each architecture); throws when none does. */
export function requireFile(files: string[], debianPackage: string): string {
  const found = files.find((f) => fs.existsSync(f));
  if (!found) throw missing(files.join(" or "), debianPackage);
  return found;
}

/** Checks that `python` can import `modules`; throws naming the Debian package when it cannot. */
export function requirePythonModules(python: string, modules: string[], debianPackage: string): void {
  requireTool(python, "python3");
  try {
    execFileSync(python, ["-c", `import ${modules.join(", ")}`], { stdio: "pipe", timeout: 20_000 });
  } catch (err) {
    const why = String((err as { stderr?: Buffer }).stderr ?? err).trim().split("\n").at(-1);
    throw missing(`the Python module(s) ${modules.join(", ")} for ${python} (${why})`, debianPackage);
  }
}

/** Fails unless this process runs as root (mounting file systems, for instance, needs it). */
export function requireRoot(why: string): void {
  if (process.getuid?.() !== 0) throw new Error(`this test must run as root (${why}): run it as root, as \`npm test\` does on CI`);
}
