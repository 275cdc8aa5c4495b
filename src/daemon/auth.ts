import crypto from "node:crypto";
import type { Interceptor } from "@connectrpc/connect";
import { kPeer, UnauthenticatedError, type Peer } from "../service/peer.js";

const HOW = "TCP requests to this daemon must carry the header 'authorization: Bearer <token>'";

/**
 * Requires `authorization: Bearer <token>` on every request that arrives over TCP; the Unix
 * socket is trusted by its file permissions. Tokens are compared as SHA-256 digests with
 * `crypto.timingSafeEqual` (equal lengths, constant time) and never logged or echoed.
 */
export function bearerAuthInterceptor(token: string): Interceptor {
  const check = tokenCheck(token);
  return (next) => async (req) => {
    check(req.contextValues.get(kPeer), req.header.get("authorization"));
    return next(req);
  };
}

/**
 * The check behind the interceptor, for paths beneath the Connect router (the gRPC watch
 * fast path): throws UnauthenticatedError for a TCP peer without the token.
 */
export function tokenCheck(token: string): (peer: Peer, authorization: string | null) => void {
  const expected = tokenDigest(token);
  return (peer, authorization) => {
    if (peer.listener === "tcp") checkAuthorization(authorization, expected);
  };
}

/**
 * Throws UnauthenticatedError, saying what is wrong, unless `header` is `Bearer <token>` for
 * the token whose {@link tokenDigest} is `expected` (the dashboard checks its requests so too).
 */
export function checkAuthorization(header: string | null, expected: Buffer): void {
  if (header === null) throw new UnauthenticatedError(`missing bearer token: ${HOW}`);
  const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
  if (!match) throw new UnauthenticatedError(`malformed authorization header: ${HOW}`);
  if (!crypto.timingSafeEqual(tokenDigest(match[1]!), expected)) {
    throw new UnauthenticatedError("invalid bearer token: it does not match the token the daemon was started with");
  }
}

/** SHA-256 of a token: equal lengths, so tokens compare in constant time. */
export function tokenDigest(text: string): Buffer {
  // The one-shot hash: no Hash object per request (it runs on every TCP call).
  return crypto.hash("sha256", text, "buffer");
}
