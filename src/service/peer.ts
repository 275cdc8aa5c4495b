import { createContextKey, type HandlerContext } from "@connectrpc/connect";
import { isLoopback } from "../shared/loopback.js";

/** Who is calling: through which listener, and from which address. */
export interface Peer {
  /**
   * The Unix socket (trusted by its file permissions), the TCP listener, or the dashboard's
   * HTTP/1.1 listener (which authenticates every request itself: bearer or session cookie).
   */
  listener: "unix" | "tcp" | "dashboard";
  /** The remote IP address on TCP and the dashboard; undefined on the Unix socket. */
  address?: string;
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
