// How a client tells "nothing answers where the daemon should be" from an error the daemon
// itself sent. Connect reports a failed dial as `[internal] connect ENOENT …` or
// `[unavailable] …`: the Node error code along the cause chain is what says which.

/** Node error codes that mean nothing is listening where the daemon should be. */
export const NOT_LISTENING: ReadonlySet<string> = new Set([
  "ENOENT",
  "ECONNREFUSED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ETIMEDOUT",
]);

// A connection that was there and broke: the daemon stopped or restarted under a call.
const BROKEN = new Set(["ECONNRESET", "EPIPE", "ERR_HTTP2_GOAWAY_SESSION", "ERR_HTTP2_STREAM_CANCEL", "ERR_HTTP2_SESSION_ERROR", "ERR_HTTP2_INVALID_SESSION"]);

/** The errors along an error's cause chain, outermost first. */
export function causesOf(error: unknown): Error[] {
  const seen: Error[] = [];
  for (let e = error; e instanceof Error && !seen.includes(e); e = e.cause) seen.push(e);
  return seen;
}

/** The first Node error code (ECONNREFUSED, ENOENT, …) along the error's cause chain. */
export function nodeErrorCode(error: unknown): string | undefined {
  for (const e of causesOf(error)) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && /^E[A-Z0-9_]+$/.test(code)) return code;
  }
  return undefined;
}

/**
 * True when the error says nothing answers where the daemon should be (socket missing,
 * connection refused) or that the connection to it broke (reset, HTTP/2 session gone), as
 * opposed to an error the daemon itself sent.
 */
export function isConnectionFailure(error: unknown): boolean {
  const code = nodeErrorCode(error);
  return code !== undefined && (NOT_LISTENING.has(code) || BROKEN.has(code));
}
