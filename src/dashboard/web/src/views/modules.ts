import { MessageStatus } from "../../../../../gen/claude_comms/v1/message_pb.js";
import { errorText, throttle, type View } from "../app.js";
import { fill, h } from "../dom.js";
import { clock } from "../format.js";

/** Modules: the registered modules, their agents running and their asks queued. */
export const modules: View = (root, app) => {
  const table = h("tbody", {});
  const totals = h("p", { class: "muted" });
  fill(root, h("section", { class: "card wide" }, h("h2", {}, "Modules"), totals,
    h("table", {}, h("thead", {}, h("tr", {}, ...["module", "directory", "agent", "running", "queued", "updated", ""].map((c) => h("th", {}, c)))), table)));
  let list: Awaited<ReturnType<typeof app.api.modules.listModules>>["modules"] = [];

  // Running: responses of the module being written (PROCESSING); queued: not yet started (PENDING).
  const draw = () => {
    const busy = new Map<string, { running: number; queued: number }>();
    for (const m of app.index.messages.values()) {
      if (m.type !== "response") continue;
      const b = busy.get(m.module) ?? { running: 0, queued: 0 };
      if (m.status === MessageStatus.PROCESSING) b.running++;
      if (m.status === MessageStatus.PENDING) b.queued++;
      busy.set(m.module, b);
    }
    fill(table, ...list.map((mod) => h("tr", { "data-module": mod.name },
      h("td", {}, h("strong", {}, mod.name)), h("td", {}, h("code", {}, mod.directory)),
      h("td", {}, h("code", {}, mod.agentCommand.join(" ") || "(daemon's)")),
      h("td", { class: "num" }, busy.get(mod.name)?.running ?? 0), h("td", { class: "num" }, busy.get(mod.name)?.queued ?? 0),
      h("td", {}, clock(mod.updateTime)), h("td", {}, h("a", { href: `#/ask?to=${encodeURIComponent(mod.name)}` }, "ask…")))));
    if (!list.length) fill(table, h("tr", {}, h("td", { colspan: 7, class: "muted" }, "no module registered (claude-comms module add NAME --dir PATH)")));
  };
  const readTotals = throttle(() => {
    app.api.polling.getDaemonStatus({}).then((s) => fill(totals, `agents: ${s.agentsRunning} running, ${s.agentsQueued} queued (daemon-wide)`), () => undefined);
  }, 2000);
  app.api.modules.listModules({}).then((r) => ((list = r.modules), draw()), (err) => fill(totals, h("span", { class: "error" }, errorText(err))));
  readTotals();
  const stops = [app.index.onChange(throttle(draw, 500)), app.live.listen({ event: readTotals })];
  return () => stops.forEach((stop) => stop());
};
