import { durationMs } from "@bufbuild/protobuf/wkt";
import type { GetDaemonStatusResponse } from "../../../../../gen/claude_comms/v1/polling_service_pb.js";
import { MessageStatus } from "../../../../../gen/claude_comms/v1/message_pb.js";
import { errorText, throttle, type View } from "../app.js";
import { barChart } from "../chart.js";
import { fill, h } from "../dom.js";
import { bytes, ms, span, statusName, STATUSES } from "../format.js";
import { countInRate, emptyRate, type Rate } from "../protocol.js";

/** Overview: counts by status and module, events per minute, asks in flight, the daemon's state. */
export const overview: View = (root, app) => {
  const counts = h("section", { class: "card", id: "counts" });
  const modules = h("section", { class: "card", id: "by-module" });
  const charts = h("section", { class: "card", id: "charts" });
  const daemon = h("section", { class: "card", id: "daemon" });
  fill(root, h("div", { class: "grid" }, counts, charts, modules, daemon));
  const inFlight: Rate = emptyRate();
  let status: GetDaemonStatusResponse | undefined;

  const drawCounts = () => {
    const byStatus = new Map<MessageStatus, number>();
    const byModule = new Map<string, { total: number; active: number }>();
    let asks = 0;
    for (const m of app.index.messages.values()) {
      byStatus.set(m.status, (byStatus.get(m.status) ?? 0) + 1);
      const row = byModule.get(m.module || "-") ?? { total: 0, active: 0 };
      row.total++;
      if (m.status === MessageStatus.PENDING || m.status === MessageStatus.PROCESSING) {
        row.active++;
        if (m.type === "response") asks++;
      }
      byModule.set(m.module || "-", row);
    }
    countInRate(inFlight, 0); // moves the window to this minute
    const now = inFlight.perMinute.length - 1;
    inFlight.perMinute[now] = Math.max(inFlight.perMinute[now]!, asks);
    fill(counts, h("h2", {}, "Messages by status"), h("div", { class: "counts" },
      ...STATUSES.map((s) => h("a", { class: `count ${statusName(s)}`, href: `#/messages?status=${statusName(s)}`, "data-status": statusName(s) },
        h("span", { class: "n" }, byStatus.get(s) ?? 0), h("span", { class: "label" }, statusName(s))))));
    const rows = [...byModule].sort((a, b) => b[1].total - a[1].total);
    fill(modules, h("h2", {}, "By module"), h("table", {},
      h("thead", {}, h("tr", {}, h("th", {}, "module"), h("th", { class: "num" }, "messages"), h("th", { class: "num" }, "active"))),
      h("tbody", {}, ...rows.map(([name, r]) => h("tr", {},
        h("td", {}, name === "-" ? "-" : h("a", { href: `#/messages?module=${encodeURIComponent(name)}` }, name)),
        h("td", { class: "num" }, r.total), h("td", { class: "num" }, r.active))))),
      rows.length ? null : h("p", { class: "muted" }, "no messages yet"));
  };
  const drawCharts = () => {
    countInRate(app.live.rate, 0);
    fill(charts,
      h("h2", {}, "Events per minute ", h("span", { class: "muted" }, "(last 30 min)")), barChart(app.live.rate.perMinute, "events per minute"),
      h("h2", {}, "Asks in flight ", h("span", { class: "muted" }, "(most per minute, since this page opened)")), barChart(inFlight.perMinute, "asks in flight"));
  };
  const drawDaemon = () => {
    if (!status) return;
    const s = status;
    const started = ms(s.startTime) ?? Date.now();
    const t = s.ticks;
    fill(daemon, h("h2", {}, "Daemon"), h("dl", { class: "facts" },
      ...fact("version", `${s.version} (pid ${s.pid})`),
      ...fact("uptime", span(Date.now() - started)),
      ...fact("interval", s.interval ? span(durationMs(s.interval)) : "-"),
      ...fact("store", s.store),
      ...fact("store size", s.storeBytes > 0n ? bytes(s.storeBytes) : "unknown"),
      ...fact("head seq", String(s.headSeq)),
      ...fact("monitored", String(s.monitored)),
      ...fact("watchers", String(s.watchers)),
      ...fact("agents", `${s.agentsRunning} running, ${s.agentsQueued} queued`),
      ...fact("ticks", t ? `${t.ticks} (${t.skippedTicks} skipped), last ${t.lastTickDuration ? durationMs(t.lastTickDuration).toFixed(1) : "-"} ms` : "-"),
      ...fact("events", t ? `${t.events} (${t.eventsPerSecond.toFixed(2)}/s over the last minute)` : "-")));
  };
  const readStatus = throttle(() => {
    app.api.polling.getDaemonStatus({}).then((s) => ((status = s), drawDaemon()), (err) => fill(daemon, h("h2", {}, "Daemon"), h("p", { class: "error" }, errorText(err))));
  }, 2000);
  const redraw = throttle(() => (drawCounts(), drawCharts()), 500);
  const stops = [app.index.onChange(redraw), app.live.listen({ event: readStatus, idle: readStatus, state: readStatus, rate: redraw })];
  const uptime = setInterval(drawDaemon, 1000); // the clock moves, not the data: nothing is fetched
  void app.index.loaded.then(redraw);
  drawCounts();
  drawCharts();
  readStatus();
  return () => (stops.forEach((stop) => stop()), clearInterval(uptime));
};

function fact(name: string, value: string): HTMLElement[] {
  return [h("dt", {}, name), h("dd", {}, value)];
}
