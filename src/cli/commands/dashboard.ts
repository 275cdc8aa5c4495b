import { spawn } from "node:child_process";
import { CreateDashboardLinkResponseSchema } from "../../../gen/claude_comms/v1/polling_service_pb.js";
import { createPollingClient } from "../../client/polling-client.js";
import { UNARY_TIMEOUT_MS, type CommandContext } from "../context.js";

interface DashboardOptions {
  open?: boolean;
}

/**
 * `dashboard [--open]`: asks the daemon (CreateDashboardLink) for a one-time link to its web
 * dashboard and prints it, or opens it in the browser. The link carries a fresh code, never
 * the bearer token: it works once, within a minute, and the page then drops it from the URL.
 */
export async function run(ctx: CommandContext, opts: DashboardOptions): Promise<number> {
  const polling = createPollingClient(ctx);
  const link = await polling.createDashboardLink({}, { timeoutMs: UNARY_TIMEOUT_MS });
  if (ctx.globals.json) ctx.json(CreateDashboardLinkResponseSchema, link);
  else if (!opts.open) ctx.out(`${link.url}\n(works once, within a minute: run this command again for another)`);
  if (opts.open && !(await openInBrowser(link.url))) {
    ctx.out(`no browser opener found ($BROWSER, xdg-open, open): open this link yourself\n${link.url}`);
  }
  return 0;
}

// $BROWSER when set, else the desktop's opener. Resolves false when none could run.
function openInBrowser(url: string): Promise<boolean> {
  const opener = process.env.BROWSER || (process.platform === "darwin" ? "open" : "xdg-open");
  return new Promise((resolve) => {
    const child = spawn(opener, [url], { detached: true, stdio: "ignore" });
    child.once("error", () => resolve(false));
    child.once("spawn", () => (child.unref(), resolve(true)));
  });
}
