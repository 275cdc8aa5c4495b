import crypto from "node:crypto";
import type http from "node:http";
import { checkAuthorization, tokenDigest } from "../daemon/auth.js";

/** The cookie holding a dashboard session id. */
export const SESSION_COOKIE = "claude_comms_session";

/** How long a one-time link works if unused. */
export const LINK_TTL_MS = 60_000;
/** A session unused this long is forgotten (the browser then needs a new link). */
const SESSION_IDLE_MS = 12 * 3_600_000;
// Bounds, so a flood of links or logins cannot grow memory without end.
const MAX_LINKS = 100;
const MAX_SESSIONS = 1000;

/** What to do with a request, decided before any handler runs. */
export type Verdict =
  | { kind: "allow"; by: "bearer" | "session" }
  /** Redirect to the bare page, setting the cookie of a new session when there is one. */
  | { kind: "login"; cookie: string | undefined }
  | { kind: "refuse"; status: 401 | 403 | 421; reason: string };

const HOW = "open the link printed by `claude-comms dashboard`, or send 'authorization: Bearer <token>'";

/**
 * Who may use the dashboard. Every request must name an allowed Host (a DNS-rebinding page
 * cannot) and carry either the daemon's bearer token or a session cookie; a session comes
 * from a one-time link. SameSite=Strict does not separate ports of one host, so a request
 * authenticated by its cookie that changes anything (any method but GET/HEAD) must also carry
 * an Origin equal to the dashboard's own.
 */
export class DashboardAccess {
  private readonly expected: Buffer;
  private readonly links = new Map<string, number>();
  private readonly sessions = new Map<string, number>();

  /** `hosts`: the Host header values allowed ("127.0.0.1:8080", …), lowercase. */
  constructor(token: string, private readonly hosts: ReadonlySet<string>) {
    this.expected = tokenDigest(token);
  }

  /** Open sessions (for the metrics). */
  get sessionCount(): number {
    return this.sessions.size;
  }

  /** A new one-time link code and when it expires (ms since epoch). */
  createLink(now = Date.now()): { code: string; expiresAt: number } {
    prune(this.links, now, MAX_LINKS);
    const code = randomId();
    const expiresAt = now + LINK_TTL_MS;
    this.links.set(code, expiresAt);
    return { code, expiresAt };
  }

  /** Decides a request: allow it, trade its link code for a session, or refuse it. */
  check(req: http.IncomingMessage, now = Date.now()): Verdict {
    const host = (req.headers.host ?? "").toLowerCase();
    if (!this.hosts.has(host)) return refuse(421, `this dashboard does not answer for host "${host}" (use the address of its link)`);
    const authorization = req.headers.authorization;
    if (authorization !== undefined) return this.checkBearer(authorization);
    const origin = req.headers.origin;
    if (origin !== undefined && origin !== `http://${host}`) return refuse(403, `requests from origin ${origin} are refused`);
    const session = cookieValue(req.headers.cookie, SESSION_COOKIE);
    const signedIn = session !== undefined && this.touch(session, now);
    // A link always ends in a redirect to the bare page, so no URL with a code stays open;
    // a used link is refused unless the browser holds a session already.
    const code = linkCode(req);
    if (code !== undefined) {
      const cookie = this.redeem(code, now);
      if (cookie || signedIn) return { kind: "login", cookie };
      return refuse(401, `this link was used already or has expired: ${HOW}`);
    }
    if (signedIn) {
      const safe = req.method === "GET" || req.method === "HEAD";
      return safe || origin !== undefined ? { kind: "allow", by: "session" } : refuse(403, "a request with a session cookie must carry an Origin header");
    }
    return refuse(401, session === undefined ? `not signed in: ${HOW}` : `the session has ended: ${HOW}`);
  }

  private checkBearer(header: string): Verdict {
    try {
      checkAuthorization(header, this.expected);
      return { kind: "allow", by: "bearer" };
    } catch (error) {
      return refuse(401, (error as Error).message);
    }
  }

  // The cookie of a new session, or undefined when the code is unknown, used or expired.
  private redeem(code: string, now: number): string | undefined {
    const expiresAt = this.links.get(code);
    this.links.delete(code);
    if (expiresAt === undefined || expiresAt < now) return undefined;
    prune(this.sessions, now - SESSION_IDLE_MS, MAX_SESSIONS);
    const session = randomId();
    this.sessions.set(session, now);
    return `${SESSION_COOKIE}=${session}; Path=/; HttpOnly; SameSite=Strict`;
  }

  // A session lives while it is used: each request renews it.
  private touch(session: string, now: number): boolean {
    const last = this.sessions.get(session);
    if (last === undefined || last < now - SESSION_IDLE_MS) return (this.sessions.delete(session), false);
    this.sessions.delete(session); // re-inserted last: the map stays in order of last use
    this.sessions.set(session, now);
    return true;
  }
}

function refuse(status: 401 | 403 | 421, reason: string): Verdict {
  return { kind: "refuse", status, reason };
}

// 256 random bits: unguessable, so a map lookup by id leaks nothing useful through timing.
function randomId(): string {
  return crypto.randomBytes(32).toString("base64url");
}

// Drops entries whose time is before `before`, then the oldest while over `max - 1`.
function prune(map: Map<string, number>, before: number, max: number): void {
  for (const [key, time] of map) if (time < before) map.delete(key);
  for (const key of map.keys()) {
    if (map.size < max) break;
    map.delete(key);
  }
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of header?.split(";") ?? []) {
    const [key, ...value] = part.trim().split("=");
    if (key === name) return value.join("=");
  }
  return undefined;
}

// Only the page itself trades a link: `GET /?token=CODE`.
function linkCode(req: http.IncomingMessage): string | undefined {
  if (req.method !== "GET") return undefined;
  const url = new URL(req.url ?? "/", "http://x");
  return url.pathname === "/" ? (url.searchParams.get("token") ?? undefined) : undefined;
}
