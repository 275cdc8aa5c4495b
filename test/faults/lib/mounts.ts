import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

/*
 * Small file systems for the disk tests (root only): a tmpfs of a chosen size, and an ext4
 * image on a loop device mounted errors=remount-ro, which the kernel turns read-only under
 * open files when told of an error (as it does for a failing disk).
 */

const run = (cmd: string, args: string[]) => execFileSync(cmd, args, { stdio: "pipe" }).toString();

/** Why these tests cannot run here, or undefined when they can (root, mount allowed). */
export function mountUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return "not root";
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ccf-mnt-"));
  try {
    run("mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", dir]);
    run("umount", [dir]);
    return undefined;
  } catch (err) {
    return `mount not permitted: ${(err as Error).message.split("\n")[0]}`;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Why an ext4 image cannot be loop-mounted and failed here, or undefined when it can. */
export function ext4Unavailable(): string | undefined {
  const tmpfs = mountUnavailable();
  if (tmpfs) return tmpfs;
  if (!fs.existsSync("/dev/loop-control")) return "no loop devices";
  if (!fs.existsSync("/sys/fs/ext4")) return "no ext4 in this kernel";
  try {
    run("mkfs.ext4", ["-V"]);
  } catch {
    return "mkfs.ext4 missing (Debian package e2fsprogs)";
  }
  return undefined;
}

/** Mounts a tmpfs of `sizeMb` MiB on `dir`. */
export function mountTmpfs(dir: string, sizeMb: number): void {
  fs.mkdirSync(dir, { recursive: true });
  run("mount", ["-t", "tmpfs", "-o", `size=${sizeMb}m,mode=0700`, "tmpfs", dir]);
}

/** Creates an ext4 image of `sizeMb` MiB and mounts it on `dir` (errors=remount-ro); returns the device name. */
export function mountExt4(image: string, dir: string, sizeMb: number): string {
  fs.mkdirSync(dir, { recursive: true });
  if (!fs.existsSync(image)) {
    fs.writeFileSync(image, "");
    fs.truncateSync(image, sizeMb * 1048576);
    run("mkfs.ext4", ["-q", "-F", image]);
  }
  run("mount", ["-o", "loop,errors=remount-ro", image, dir]);
  return path.basename(run("findmnt", ["-n", "-o", "SOURCE", dir]).trim());
}

/** Makes the kernel see an ext4 error on `device`: the file system turns read-only at once. */
export function triggerFsError(device: string): void {
  fs.writeFileSync(`/sys/fs/ext4/${device}/trigger_fs_error`, "1");
}

/** Checks and repairs an unmounted ext4 image (e2fsck exit 0 or 1 is fine); returns its exit code. */
export function fsck(image: string): number {
  try {
    run("e2fsck", ["-f", "-y", image]);
    return 0;
  } catch (err) {
    const status = (err as { status?: number }).status ?? -1;
    if (status > 1) throw err;
    return status;
  }
}

/** Unmounts `dir` (lazily when still busy). */
export function unmount(dir: string): void {
  try {
    run("umount", [dir]);
  } catch {
    try {
      run("umount", ["-l", dir]);
    } catch {
      // not mounted
    }
  }
}

/** Writes a file on `dir` until the file system is full; returns the bytes written. */
export function fillUp(dir: string): number {
  const fd = fs.openSync(path.join(dir, "filler"), "w");
  let total = 0;
  try {
    for (const size of [1 << 20, 1 << 16, 4096, 512, 1]) {
      const chunk = Buffer.alloc(size, 1);
      for (;;) {
        try {
          total += fs.writeSync(fd, chunk);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code === "ENOSPC") break;
          throw err;
        }
      }
    }
  } finally {
    fs.closeSync(fd);
  }
  return total;
}

/** Free bytes on the file system of `dir`. */
export function freeBytes(dir: string): number {
  const s = fs.statfsSync(dir);
  return s.bavail * s.bsize;
}
