/*
 * Regenerates the README's dashboard screenshots (src/dashboard/web/screenshots/*.png): starts a daemon
 * with a dashboard in a temporary home, seeds it with modules, threads and messages in
 * every status through the generated clients, and photographs the overview and a thread
 * in headless chromium. Run after `npm run build`: `node src/dashboard/web/screenshots.mjs`.
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { chromium } from "playwright-core";
import { MessageStatus } from "../../../dist/gen/claude_comms/v1/message_pb.js";
import { MessageService } from "../../../dist/gen/claude_comms/v1/message_service_pb.js";
import { ModuleService } from "../../../dist/gen/claude_comms/v1/module_service_pb.js";
import { PollingService } from "../../../dist/gen/claude_comms/v1/polling_service_pb.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "../../..");
const out = path.join(here, "screenshots");
const home = fs.mkdtempSync(path.join(os.tmpdir(), "ccshot-"));
const S = MessageStatus;

const daemon = spawn(process.execPath, [path.join(root, "dist/src/daemon/main.js"), "--home", home, "--dashboard", "127.0.0.1:0", "--interval", "0.1"], { stdio: ["ignore", "pipe", "inherit"] });
const ready = await new Promise((resolve, reject) => {
  daemon.stdout.once("data", (chunk) => resolve(JSON.parse(String(chunk).split("\n")[0])));
  daemon.once("exit", (code) => reject(new Error(`the daemon exited (${code}) before it was ready`)));
});
const transport = createGrpcTransport({ baseUrl: "http://localhost", idleConnectionTimeoutMs: 100, nodeOptions: { createConnection: () => net.connect(path.join(home, "daemon.sock")) } });
const polling = createClient(PollingService, transport);
const messages = createClient(MessageService, transport);
const modules = createClient(ModuleService, transport);
let browser;
try {
  await seed();
  browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox", "--headless=new", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"] });
  const page = await browser.newPage({ viewport: { width: 1280, height: 760 } });
  await page.goto((await polling.createDashboardLink({})).url);
  await page.locator("#conn.live").waitFor();
  await page.locator("#daemon dl").waitFor();
  await page.waitForTimeout(700);
  await page.screenshot({ path: path.join(out, "dashboard-overview.png") });
  await page.goto(`http://${ready.dashboard}/#/thread/t-layout`);
  await page.locator('li[data-id="r-layout"] pre').filter({ hasText: "two columns" }).waitFor();
  await messages.appendContent({ messageId: "r-layout", content: "Page 3 mixes both: the first half is one column, then a two-column table" });
  await page.waitForTimeout(1500); // the changed card's highlight fades
  await page.screenshot({ path: path.join(out, "dashboard-thread.png") });
  console.log(`wrote ${out}/dashboard-overview.png and dashboard-thread.png`);
} finally {
  await browser?.close();
  daemon.kill("SIGTERM");
  await new Promise((resolve) => daemon.once("exit", resolve));
  fs.rmSync(home, { recursive: true, force: true });
}

async function seed() {
  for (const name of ["marker", "arangodb", "extractor"]) {
    await modules.registerModule({ module: { name, directory: home, systemPrompt: `You are the ${name} module.` } });
  }
  const ask = async (thread, title, from, to, question, answer, status, error = "") => {
    await messages.createThread({ threadId: thread, title, modules: [from, to] });
    await messages.createMessage({ threadId: thread, messageId: `q-${thread.slice(2)}`, module: from, type: "question", content: question, status: S.COMPLETE });
    const id = `r-${thread.slice(2)}`;
    await messages.createMessage({ threadId: thread, messageId: id, module: to, type: "response", status: S.PENDING });
    await polling.addMessage({ messageId: id, timeout: { seconds: 900n, nanos: 0 }, labels: { from, to } });
    if (status === S.PENDING) return;
    await messages.setStatus({ messageId: id, status: S.PROCESSING });
    if (answer) await messages.appendContent({ messageId: id, content: answer });
    if (status !== S.PROCESSING) await messages.setStatus({ messageId: id, status, error });
  };
  await ask("t-layout", "Column layout of the scanned report", "arangodb", "marker", "Which pages of report.pdf have two columns of text?", "Pages 4 to 9 are set in two columns; pages 1 and 2 are one column with a title block.\n\n", S.PROCESSING);
  await ask("t-schema", "Graph schema for citations", "extractor", "arangodb", "What edge collection should hold citations between papers?", "Use an edge collection `cites` from papers/ to papers/, with the page and the quote as attributes.", S.COMPLETE);
  await ask("t-tables", "Tables on page 12", "arangodb", "marker", "Extract the tables on page 12 as Markdown.", "| year | runs |\n|---|---|\n| 2024 | 1,204 |", S.COMPLETE);
  await ask("t-ocr", "OCR quality", "extractor", "marker", "Is the OCR of the appendix reliable?", "", S.FAILED, "the agent exited with code 1: rate limited (429) after 10 retries");
  await ask("t-slow", "Full-text index", "marker", "arangodb", "Build an ArangoSearch view over every chunk and report its size.", "Building the view over 48,113 chunks…", S.TIMED_OUT, "deadline passed");
  await ask("t-dup", "Duplicate check", "extractor", "arangodb", "Are papers 118 and 204 the same work?", "", S.CANCELLED, "cancelled from the dashboard");
  await ask("t-queue", "Figures", "arangodb", "extractor", "List the figures of chapter 3 with their captions.", "", S.PENDING);
  await ask("t-refs", "References", "marker", "extractor", "Which references on page 30 lack a DOI?", "Checking 41 references: ", S.PROCESSING);
}
