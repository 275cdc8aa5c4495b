import { execFile } from "node:child_process";
import fs from "node:fs";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { createClient } from "@connectrpc/connect";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { MessageStatus } from "../gen/claude_comms/v1/message_pb.js";
import { ModuleService } from "../gen/claude_comms/v1/module_service_pb.js";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { CLI_MAIN } from "./helpers/daemon-process.js";
import { CHROMIUM, launchChromium, startDashboardDaemon, type DashboardDaemon } from "./helpers/dashboard.js";

const run = promisify(execFile);
const ECHO_AGENT = fileURLToPath(new URL("../examples/echo-agent.mjs", import.meta.url));
const WAIT = { timeout: 10_000 };

// Waits until the element's text is exactly `text` (the page changes it as events arrive).
// (The page's CSP forbids eval, so Playwright's waitForFunction with a string cannot run there.)
async function waitText(page: Page, selector: string, text: string): Promise<void> {
  await expect.poll(() => page.locator(selector).first().textContent({ timeout: 1000 }).catch(() => null), { timeout: WAIT.timeout, interval: 50 }).toBe(text);
}

describe("the browser the dashboard tests drive", () => {
  it("is Debian's chromium at /usr/bin/chromium (missing, every browser test fails: never skipped)", () => {
    expect(fs.existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install chromium`).toBe(true);
  });
});

describe("dashboard in a real browser", { timeout: 60_000 }, () => {
  let browser: Browser;
  let d: DashboardDaemon;
  let context: BrowserContext;
  beforeAll(async () => void (browser = await launchChromium()));
  afterAll(() => browser?.close());
  beforeEach(async () => {
    d = await startDashboardDaemon();
    context = await browser.newContext();
  });
  afterEach(async () => {
    await context?.close();
    await d?.stop();
  });

  // Opens a fresh one-time link in a new tab and waits for the shared stream to be live.
  async function open(hash = ""): Promise<Page> {
    const page = await context.newPage();
    await page.goto((await d.link()) + hash);
    await page.locator("#conn.live").waitFor(WAIT);
    return page;
  }

  async function pendingMessage(id: string, thread = "t1"): Promise<void> {
    await d.clients.messages.createMessage({ threadId: thread, messageId: id, module: "marker", type: "response", status: MessageStatus.PENDING });
    await d.clients.polling.addMessage({ messageId: id, timeout: { seconds: 600n, nanos: 0 }, labels: { to: "marker" } });
  }

  it("opens from the link `claude-comms dashboard` prints and leaves a clean URL", async () => {
    const { stdout } = await run(process.execPath, [CLI_MAIN, "--home", d.home, "dashboard"]);
    const link = stdout.split("\n")[0]!;
    expect(link).toMatch(new RegExp(`^http://${d.address.replace(/\./g, "\\.")}/\\?token=[\\w-]{43}$`));
    const page = await context.newPage();
    await page.goto(link);
    expect(page.url()).toBe(`http://${d.address}/`);
    await page.locator("#conn.live").waitFor(WAIT);
    await expect(page.locator("#daemon").textContent(WAIT)).resolves.toContain("head seq");
    // The cookie is HttpOnly: the page's script cannot read it.
    expect(await page.evaluate("document.cookie")).toBe("");
  });

  it("changes a message's row in place when its status changes, without a reload", async () => {
    await pendingMessage("m-row");
    const page = await open("#/messages");
    const status = page.locator('tr[data-id="m-row"] td.status');
    await expect(status.textContent(WAIT)).resolves.toBe("pending");
    await page.evaluate("window.marker = 42");
    await d.clients.messages.setStatus({ messageId: "m-row", status: MessageStatus.PROCESSING });
    await waitText(page, 'tr[data-id="m-row"] td.status', "processing");
    await d.clients.messages.createMessage({ threadId: "t1", messageId: "m-new", module: "marker" });
    await page.locator('tr[data-id="m-new"]').waitFor(WAIT);
    expect(await page.evaluate("window.marker")).toBe(42);
  });

  it("streams an answer into the message detail, with its events in the timeline", async () => {
    await pendingMessage("m-stream");
    await d.clients.messages.setStatus({ messageId: "m-stream", status: MessageStatus.PROCESSING });
    const page = await open("#/message/m-stream");
    await expect(page.locator("#status").textContent(WAIT)).resolves.toBe("processing");
    await d.clients.messages.appendContent({ messageId: "m-stream", content: "The answer " });
    await waitText(page, "#content", "The answer ");
    await d.clients.messages.appendContent({ messageId: "m-stream", content: "grows." });
    await waitText(page, "#content", "The answer grows.");
    await d.clients.messages.setStatus({ messageId: "m-stream", status: MessageStatus.COMPLETE });
    await waitText(page, "#status", "complete");
    const kinds = await page.locator(".timeline li strong").allTextContents();
    expect(kinds).toEqual(expect.arrayContaining(["created", "registered", "status_changed", "progress"]));
    expect(kinds.filter((k) => k === "status_changed")).toHaveLength(2);
  });

  it("cancels a message after a confirmation", async () => {
    await pendingMessage("m-cancel");
    const page = await open("#/message/m-cancel");
    await page.locator("#cancel").click(WAIT);
    await expect(page.locator("#confirm-cancel").isVisible()).resolves.toBe(true);
    await page.locator("#confirm-cancel").click(WAIT);
    await waitText(page, "#status", "cancelled");
    const { message } = await d.clients.polling.showMessage({ messageId: "m-cancel" });
    expect(message?.status).toBe(MessageStatus.CANCELLED);
    expect(message?.error).toBe("cancelled from the dashboard");
  });

  it("keeps eight tabs live on one watch stream (a SharedWorker)", async () => {
    const pages = await Promise.all(Array.from({ length: 8 }, () => open("#/messages")));
    await d.clients.messages.createMessage({ threadId: "t8", messageId: "m-eight", module: "marker" });
    await Promise.all(pages.map((page) => page.locator('tr[data-id="m-eight"]').waitFor(WAIT)));
    await d.clients.messages.setStatus({ messageId: "m-eight", status: MessageStatus.FAILED, error: "boom" });
    await Promise.all(pages.map((page) => waitText(page, 'tr[data-id="m-eight"] td.status', "failed")));
    expect((await d.clients.polling.getDaemonStatus({})).watchers).toBe(1);
  }, 90_000);

  it("shows a thread's conversation with the answer growing live", async () => {
    await d.clients.messages.createMessage({ threadId: "t-conv", messageId: "q1", module: "arangodb", type: "question", content: "What is 6 × 7?", status: MessageStatus.COMPLETE });
    await pendingMessage("a1", "t-conv");
    const page = await open("#/thread/t-conv");
    await expect(page.locator('li[data-id="q1"] pre').textContent(WAIT)).resolves.toBe("What is 6 × 7?");
    await d.clients.messages.setStatus({ messageId: "a1", status: MessageStatus.PROCESSING });
    await d.clients.messages.appendContent({ messageId: "a1", content: "Forty" });
    await waitText(page, 'li[data-id="a1"] pre', "Forty");
    await d.clients.messages.appendContent({ messageId: "a1", content: "-two." });
    await waitText(page, 'li[data-id="a1"] pre', "Forty-two.");
    const order = await page.locator("ol.conversation > li").evaluateAll((items) => items.map((li) => li.getAttribute("data-id")));
    expect(order).toEqual(["q1", "a1"]);
  });

  it("shows the stream reconnecting while the daemon stops, and the daemon stops promptly with exit 0", async () => {
    const page = await open("#/messages");
    const started = Date.now();
    await expect(d.daemon.stop()).resolves.toBe(0);
    expect(Date.now() - started).toBeLessThan(10_000);
    await page.locator("#conn.reconnecting").waitFor(WAIT);
  });

  it("asks a module from the form, streams the answer into the thread, and counts the ask in /metrics", async () => {
    const modules = createClient(ModuleService, d.clients.transport);
    await modules.registerModule({ module: { name: "echo", directory: d.home, agentCommand: [process.execPath, ECHO_AGENT] } });
    const page = await open("#/ask");
    await page.locator('select[name="to"] option[value="echo"]').waitFor({ state: "attached", ...WAIT });
    await page.locator('textarea[name="question"]').fill("[echo] hello from the dashboard");
    await page.locator('#ask-form button[type="submit"]').click(WAIT);
    await page.waitForURL(/#\/thread\//, WAIT);
    await waitText(page, "li.turn.response pre", "[echo] hello from the dashboard");
    await waitText(page, "li.turn.response .chip", "complete");
    const metrics = await fetch(`http://${d.address}/metrics`, { headers: { authorization: `Bearer ${d.token}` } }).then((r) => r.text());
    expect(metrics).toContain('claude_comms_asks_total{outcome="started"} 1');
    expect(metrics).toContain('claude_comms_asks_total{outcome="complete"} 1');
  });

  it("stops monitoring a message from its page", async () => {
    await pendingMessage("m-unmonitor");
    const page = await open("#/message/m-unmonitor");
    await page.locator("#unmonitor").click(WAIT);
    await page.locator("#unmonitor").waitFor({ state: "detached", ...WAIT });
    const { message } = await d.clients.polling.showMessage({ messageId: "m-unmonitor" });
    expect([message?.monitor, message?.status]).toEqual([undefined, MessageStatus.PENDING]);
  });
});
