import type { Message } from "../../../../../gen/claude_comms/v1/message_pb.js";
import type { View } from "../app.js";
import { fill, flash, h } from "../dom.js";
import { bytes, clock, ms, shortId, statusName, STATUSES } from "../format.js";

const MAX_ROWS = 500;

interface Filters {
  status: string;
  thread: string;
  module: string;
  label: string;
  id: string;
}

/** Messages: a live table with filters (status, thread, module, label) and search by id; rows change in place. */
export const messages: View = (root, app, query) => {
  const params = new URLSearchParams(query);
  const filters: Filters = { status: "", thread: "", module: "", label: "", id: "", ...Object.fromEntries(params) };
  const tbody = h("tbody", {});
  const note = h("p", { class: "muted" });
  const rows = new Map<string, HTMLTableRowElement>();
  const modules = h("datalist", { id: "modules-list" });
  const input = (name: keyof Filters, placeholder: string, extra = {}) =>
    h("input", { name, placeholder, value: filters[name], oninput: (e: Event) => ((filters[name] = (e.target as HTMLInputElement).value), redraw()), ...extra });
  const status = h("select", { name: "status", onchange: (e: Event) => ((filters.status = (e.target as HTMLSelectElement).value), redraw()) },
    h("option", { value: "" }, "any status"), ...STATUSES.map((s) => h("option", { value: statusName(s), selected: filters.status === statusName(s) }, statusName(s))));
  fill(root, h("section", { class: "card wide" },
    h("h2", {}, "Messages"),
    h("form", { class: "filters", onsubmit: (e: Event) => e.preventDefault() },
      input("id", "search by id", { type: "search", id: "search" }), status, input("thread", "thread id"),
      input("module", "module", { list: "modules-list" }), input("label", "label key=value"), modules),
    h("table", { class: "messages" },
      h("thead", {}, h("tr", {}, ...["id", "status", "thread", "module", "type", "length", "updated", "deadline"].map((c) => h("th", {}, c)))), tbody),
    note));

  const matches = (m: Message) => {
    const [key, value] = filters.label.split("=");
    return (!filters.status || statusName(m.status) === filters.status) &&
      (!filters.thread || m.threadId.includes(filters.thread)) &&
      (!filters.module || m.module === filters.module) &&
      (!filters.id || m.messageId.includes(filters.id.trim())) &&
      (!filters.label || (key !== undefined && m.monitor?.labels[key.trim()] === (value ?? "").trim()));
  };
  const redraw = () => {
    const all = [...app.index.messages.values()].sort((a, b) => (ms(b.createTime) ?? 0) - (ms(a.createTime) ?? 0));
    const shown = all.filter(matches).slice(0, MAX_ROWS);
    rows.clear();
    fill(tbody, ...shown.map((m) => row(m, rows)));
    fill(modules, ...[...new Set(all.map((m) => m.module).filter(Boolean))].map((name) => h("option", { value: name })));
    fill(note, shown.length === MAX_ROWS ? `the newest ${MAX_ROWS} matching messages` : shown.length ? "" : "no message matches");
    history.replaceState(null, "", `#/messages${queryOf(filters)}`);
  };
  const stop = app.index.onChange((m) => {
    if (!m) return redraw();
    const existing = rows.get(m.messageId);
    if (existing && !matches(m)) return redraw();
    if (existing) return (existing.replaceWith(row(m, rows)), flash(rows.get(m.messageId)!));
    if (matches(m)) (tbody.prepend(row(m, rows)), flash(rows.get(m.messageId)!));
  });
  redraw();
  return stop;
};

function row(m: Message, rows: Map<string, HTMLTableRowElement>): HTMLTableRowElement {
  const tr = h("tr", { "data-id": m.messageId },
    h("td", { class: "id" }, h("a", { href: `#/message/${encodeURIComponent(m.messageId)}`, title: m.messageId }, shortId(m.messageId))),
    h("td", { class: "status" }, h("span", { class: `chip ${statusName(m.status)}` }, statusName(m.status))),
    h("td", {}, h("a", { href: `#/thread/${encodeURIComponent(m.threadId)}`, title: m.threadId }, shortId(m.threadId))),
    h("td", {}, m.module || "-"),
    h("td", {}, m.type || "-"),
    h("td", { class: "num length" }, bytes(m.contentLength)),
    h("td", { class: "updated" }, clock(m.updateTime)),
    h("td", {}, clock(m.monitor?.deadlineTime)));
  rows.set(m.messageId, tr);
  return tr;
}

function queryOf(filters: Filters): string {
  const set = Object.entries(filters).filter(([, v]) => v);
  return set.length ? `?${new URLSearchParams(set).toString()}` : "";
}
