import os from "node:os";
import path from "node:path";

/** Files in a claude-comms home directory. */
export interface HomePaths {
  home: string;
  socket: string;
  database: string;
  log: string;
  lock: string;
  /** The running daemon's pid (informational: the lock is `lock`). */
  pid: string;
  /** The bearer token generated for TCP listeners when none is configured (0600). */
  token: string;
}

/** The home directory: `--home`, else `$CLAUDE_COMMS_HOME`, else `~/.claude-comms`. */
export function resolveHome(explicit?: string): string {
  const home = explicit || process.env.CLAUDE_COMMS_HOME || path.join(os.homedir(), ".claude-comms");
  return path.resolve(home);
}

/** The files of a home directory. */
export function homePaths(home: string): HomePaths {
  return {
    home,
    socket: path.join(home, "daemon.sock"),
    database: path.join(home, "comms.db"),
    log: path.join(home, "daemon.log"),
    lock: path.join(home, "daemon.lock"),
    pid: path.join(home, "daemon.pid"),
    token: path.join(home, "token"),
  };
}
