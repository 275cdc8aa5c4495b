import http from "node:http";
import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseSetting } from "../src/common/settings.js";
import { connectClients } from "./helpers/clients.js";
import { collect } from "./helpers/collect.js";
import { startDashboardDaemon, type DashboardDaemon } from "./helpers/dashboard.js";
import { startDaemonProcess } from "./helpers/daemon-process.js";
import { makeTempHome } from "./helpers/temp-home.js";
import { parsePrometheusText } from "./helpers/prometheus.js";

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

// node:http, not fetch: a test must send the Host, Origin and Cookie headers a browser would not let a page choose.
function request(address: string, path: string, options: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Reply> {
  const [host, port] = [address.slice(0, address.lastIndexOf(":")), Number(address.slice(address.lastIndexOf(":") + 1))];
  return new Promise((resolve, reject) => {
    const req = http.request({ host, port, path, method: options.method ?? "GET", headers: { host: address, ...options.headers }, agent: false }, (res) => {
      let body = "";
      res.setEncoding("utf8").on("data", (chunk) => (body += chunk)).on("end", () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on("error", reject);
    req.end(options.body);
  });
}

const LIST = "/claude_comms.v1.PollingService/ListMessages";
const JSON_POST = { method: "POST", body: "{}" };

describe("dashboard access", () => {
  let d: DashboardDaemon;
  let cookie: string;
  beforeAll(async () => {
    d = await startDashboardDaemon();
    const link = new URL(await d.link());
    const login = await request(d.address, link.pathname + link.search);
    expect(login.status).toBe(303);
    expect(login.headers.location).toBe("/");
    cookie = login.headers["set-cookie"]![0]!.split(";")[0]!;
  });
  afterAll(() => d?.stop());

  it("trades a one-time link for an HttpOnly SameSite=Strict session cookie, once", async () => {
    const link = new URL(await d.link());
    const first = await request(d.address, link.pathname + link.search);
    expect(first.headers["set-cookie"]![0]).toMatch(/^claude_comms_session=[\w-]{43}; Path=\/; HttpOnly; SameSite=Strict$/);
    const again = await request(d.address, link.pathname + link.search);
    expect(again.status).toBe(401);
    expect(again.body).toContain("used already or has expired");
    // With a session already, a used link just leads to the bare page.
    const signedIn = await request(d.address, link.pathname + link.search, { headers: { cookie } });
    expect([signedIn.status, signedIn.headers.location, signedIn.headers["set-cookie"]]).toEqual([303, "/", undefined]);
  });

  it("answers 401 without a token, with a wrong token, a wrong link or an unknown session", async () => {
    const cases: Array<Record<string, string>> = [{}, { authorization: "Bearer wrong-token-0123456789" }, { cookie: "claude_comms_session=forged" }];
    for (const headers of cases) {
      expect((await request(d.address, "/", { headers })).status).toBe(401);
      expect((await request(d.address, "/metrics", { headers })).status).toBe(401);
      expect((await request(d.address, LIST, { ...JSON_POST, headers: { ...headers, "content-type": "application/json" } })).status).toBe(401);
    }
    const wrongLink = await request(d.address, "/?token=not-a-code");
    expect(wrongLink.status).toBe(401);
    expect(wrongLink.body).toContain("claude-comms dashboard");
  });

  it("serves the page and the API to the session, with a strict CSP", async () => {
    const page = await request(d.address, "/", { headers: { cookie } });
    expect(page.status).toBe(200);
    expect(page.body).toContain("<title>claude-comms</title>");
    expect(page.headers["content-security-policy"]).toContain("default-src 'self'");
    expect(page.headers["content-security-policy"]).toContain("frame-ancestors 'none'");
    const origin = `http://${d.address}`;
    const list = await request(d.address, LIST, { ...JSON_POST, headers: { cookie, origin, "content-type": "application/json" } });
    expect(list.status).toBe(200);
    expect(JSON.parse(list.body)).toEqual({});
  });

  it("refuses a cookie-carrying POST from another origin, or without an Origin", async () => {
    const headers = { cookie, "content-type": "application/json" };
    const foreign = await request(d.address, LIST, { ...JSON_POST, headers: { ...headers, origin: "http://127.0.0.1:9" } });
    expect(foreign.status).toBe(403);
    expect(foreign.body).toContain("origin http://127.0.0.1:9");
    const cancel = "/claude_comms.v1.PollingService/CancelMessage";
    expect((await request(d.address, cancel, { ...JSON_POST, headers: { ...headers, origin: "null" } })).status).toBe(403);
    expect((await request(d.address, cancel, { ...JSON_POST, headers })).status).toBe(403);
  });

  it("refuses a Host it does not serve (DNS rebinding) even with a valid session", async () => {
    const port = d.address.slice(d.address.lastIndexOf(":") + 1);
    for (const host of [`evil.example:${port}`, "127.0.0.1:1", `127.0.0.1.nip.io:${port}`]) {
      const reply = await request(d.address, "/", { headers: { cookie, host } });
      expect(reply.status).toBe(421);
    }
    expect((await request(d.address, "/", { headers: { cookie, host: `localhost:${port}` } })).status).toBe(200);
  });

  it("accepts the bearer token as on the API, from any origin's script-less client", async () => {
    const bearer = { authorization: `Bearer ${d.token}`, "content-type": "application/json" };
    expect((await request(d.address, LIST, { ...JSON_POST, headers: bearer })).status).toBe(200);
  });

  it("serves /metrics in the Prometheus text format with the daemon's families", async () => {
    await d.clients.messages.createMessage({ threadId: "t-metrics", messageId: "m-metrics", content: "x" });
    await d.clients.polling.showMessage({ messageId: "no-such-message" }).catch(() => undefined);
    // gRPC calls are served beneath the Connect router (the fast paths) and counted all the same:
    // the ShowMessage above (unary) and this watch.
    await collect(d.clients.polling.watchMessage({ messageId: "no-such-message" }));
    const reply = await request(d.address, "/metrics", { headers: { authorization: `Bearer ${d.token}` } });
    expect(reply.status).toBe(200);
    expect(reply.headers["content-type"]).toContain("text/plain; version=0.0.4");
    const families = parsePrometheusText(reply.body);
    for (const name of [
      "claude_comms_rpc_requests_total", "claude_comms_rpc_duration_seconds", "claude_comms_watchers", "claude_comms_events_total",
      "claude_comms_poller_tick_duration_seconds", "claude_comms_agents_running", "claude_comms_agents_queued", "claude_comms_asks_total",
      "claude_comms_store_bytes", "claude_comms_wal_bytes", "process_cpu_seconds_total", "nodejs_heap_size_used_bytes",
    ]) expect(families.has(name), name).toBe(true);
    const rpcs = families.get("claude_comms_rpc_requests_total")!;
    expect(rpcs.type).toBe("counter");
    expect(rpcs.samples).toContainEqual({ name: "claude_comms_rpc_requests_total", labels: { method: "claude_comms.v1.PollingService/ShowMessage", code: "not_found" }, value: 1 });
    expect(rpcs.samples).toContainEqual({ name: "claude_comms_rpc_requests_total", labels: { method: "claude_comms.v1.PollingService/WatchMessage", code: "not_found" }, value: 1 });
    expect(families.get("claude_comms_events_total")!.samples.find((s) => s.labels.kind === "created")?.value).toBeGreaterThanOrEqual(1);
    expect(families.get("claude_comms_store_bytes")!.samples[0]!.value).toBeGreaterThan(0);
  });
});

describe("dashboard setting", () => {
  it("takes PORT (on 127.0.0.1) or HOST:PORT, and says what it wants otherwise", () => {
    expect(parseSetting("dashboard", "8080")).toEqual({ host: "127.0.0.1", port: 8080, loopback: true });
    expect(parseSetting("dashboard", "[::1]:9000")).toEqual({ host: "::1", port: 9000, loopback: true });
    expect(() => parseSetting("dashboard", "nope")).toThrow(/--dashboard must be PORT or HOST:PORT/);
  });

  it("answers CreateDashboardLink FAILED_PRECONDITION when the daemon serves no dashboard", async () => {
    const { home, cleanup } = makeTempHome("ccnodash-");
    const daemon = await startDaemonProcess(home);
    try {
      const error = await connectClients(daemon.socket).polling.createDashboardLink({}).catch((e: unknown) => ConnectError.from(e));
      expect(error).toMatchObject({ code: Code.FailedPrecondition, rawMessage: expect.stringContaining("--dashboard PORT") });
    } finally {
      await daemon.stop();
      cleanup();
    }
  });
});
