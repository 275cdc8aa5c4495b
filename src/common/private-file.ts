import fs from "node:fs";

/**
 * Makes `file` private to this process's user: created empty with mode 0600 when missing (the
 * mode is set at creation, never briefly wider), and narrowed to 0600 when it exists, is ours
 * and grants any group or other bit (a store or log made by an older version, or under a loose
 * umask). Only regular files are touched: a log on /dev/null or a FIFO, or a file owned by
 * another user, is left alone. `optional` files are never created.
 */
export function makePrivate(file: string, options: { optional?: boolean } = {}): void {
  if (!options.optional) fs.closeSync(fs.openSync(file, fs.constants.O_CREAT | fs.constants.O_WRONLY, 0o600));
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT" && options.optional) return;
    throw err;
  }
  if (stat.isFile() && (stat.mode & 0o077) !== 0 && stat.uid === process.getuid?.()) fs.chmodSync(file, 0o600);
}
