import fs from "node:fs";
import path from "node:path";
import { createContextKey, type HandlerContext } from "@connectrpc/connect";
import { isLoopback } from "../common/loopback.js";

/** Who is calling: through which listener, and from which address. */
export interface Peer {
  /**
   * The Unix socket (trusted by its file permissions), the TCP listener, or the dashboard's
   * HTTP/1.1 listener (which authenticates every request itself: bearer or session cookie).
   */
  listener: "unix" | "tcp" | "dashboard";
  /** The remote IP address on TCP and the dashboard; undefined on the Unix socket. */
  address?: string;
  /** The Unix socket's path (on the Unix socket, once bound). */
  socketPath?: string;
}

/**
 * The peer of a request, set by the daemon per listener (connect-node `contextValues`).
 * The default, for handlers run without a daemon, is the Unix socket.
 */
export const kPeer = createContextKey<Peer>({ listener: "unix" }, { description: "claude-comms peer" });

/** True when the peer is on this machine: the Unix socket, or a loopback TCP address. */
export function isLocalPeer(peer: Peer): boolean {
  return peer.listener === "unix" || isLoopback(peer.address);
}

/** A request without a valid bearer token (UNAUTHENTICATED). */
export class UnauthenticatedError extends Error {
  override readonly name = "UnauthenticatedError";
}

/** A plaintext request to a listener that requires TLS (FAILED_PRECONDITION). */
export class TlsRequiredError extends Error {
  override readonly name = "TlsRequiredError";
}

/** A caller not allowed to make this call (PERMISSION_DENIED). */
export class PermissionDeniedError extends Error {
  override readonly name = "PermissionDeniedError";
}

/** Refuses a local-only call (PermissionDeniedError) from a peer on another machine. */
export function requireLocalPeer(context: HandlerContext, what: string): void {
  const peer = context.values.get(kPeer);
  if (isLocalPeer(peer)) return;
  throw new PermissionDeniedError(
    `${what} is allowed only from this machine (the Unix socket or a loopback address), not from ${peer.address ?? "a remote peer"}`,
  );
}

/**
 * Refuses (PermissionDeniedError) a call that changes what runs on this host, unless it came
 * over the daemon's Unix socket, never over TCP, whatever token it carries. Why that means
 * "the daemon's own user": connect(2) to a Unix socket needs write permission on the socket
 * file and search permission on its directory, and the daemon creates the socket 0600 in its
 * 0700 home, both owned by its user; the kernel then admits only that user and root (who can
 * act as any user anyway). Node has no SO_PEERCRED, so instead of asking the kernel who the
 * peer is, this re-checks at each call that those permissions still hold (nobody loosened
 * them, the home is not another user's), and refuses if not. Call it for `agent_command` and
 * every other per-module setting that changes what an agent runs.
 */
export function requireOwnerOverUnixSocket(context: HandlerContext, what: string): void {
  const peer = context.values.get(kPeer);
  if (peer.listener !== "unix") {
    throw new PermissionDeniedError(
      `${what} is accepted only over the daemon's Unix socket, by the user it runs as, never over TCP: run the command on the daemon's host as that user`,
    );
  }
  if (peer.socketPath === undefined) return; // handlers called in-process, with no listener
  const loose = looseSocket(peer.socketPath);
  if (loose) throw new PermissionDeniedError(`${what} is refused: ${loose}; restart the daemon to restore them`);
}

// Why other users might reach the socket, or undefined when only its owner (and root) can.
function looseSocket(socketPath: string): string | undefined {
  const uid = process.getuid?.();
  for (const [file, kind] of [[socketPath, "socket"], [path.dirname(socketPath), "home"]] as const) {
    let stat: fs.Stats;
    try {
      stat = fs.lstatSync(file);
    } catch {
      return `the ${kind} ${file} is gone`;
    }
    if (stat.uid !== uid) return `the ${kind} ${file} belongs to uid ${stat.uid}, not to the daemon's user (uid ${uid})`;
    if ((stat.mode & 0o077) !== 0) return `the ${kind} ${file} has mode ${(stat.mode & 0o777).toString(8)}, open to other users (want ${kind === "home" ? "700" : "600"})`;
  }
  return undefined;
}
