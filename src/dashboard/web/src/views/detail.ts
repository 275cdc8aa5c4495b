import type { Event, Message } from "../../../../../gen/claude_comms/v1/message_pb.js";
import { EventKind, MessageStatus } from "../../../../../gen/claude_comms/v1/message_pb.js";
import { errorText, type App, type View } from "../app.js";
import { ContentFollower } from "../content.js";
import { fill, flash, h } from "../dom.js";
import { bytes, clock, isTerminal, kindName, ms, span, statusName } from "../format.js";

/** Message detail: metadata, the event timeline, the content streaming in, a deadline countdown, and actions. */
export const detail: View = (root, app, messageId) => {
  const head = h("div", { class: "detail-head" });
  const facts = h("dl", { class: "facts" });
  const timeline = h("ol", { class: "timeline" });
  const content = h("pre", { class: "content", id: "content" });
  const notice = h("p", { class: "notice", role: "status" });
  fill(root, h("div", { class: "grid" },
    h("section", { class: "card wide" }, head, notice, facts),
    h("section", { class: "card" }, h("h2", {}, "Timeline"), timeline),
    h("section", { class: "card" }, h("h2", {}, "Content"), content)));
  let message: Message | undefined;
  let lastSeq = 0n;

  const addEvents = (events: Event[]) => {
    for (const e of events) {
      if (e.seq <= lastSeq || e.kind === EventKind.SNAPSHOT) continue;
      lastSeq = e.seq;
      const li = eventItem(e);
      timeline.append(li);
      flash(li);
    }
  };
  const draw = () => {
    if (!message) return;
    const m = message;
    fill(head, h("h2", {}, "Message ", h("code", {}, m.messageId), " ", h("span", { class: `chip ${statusName(m.status)}`, id: "status" }, statusName(m.status))),
      h("div", { class: "actions" }, ...actions(app, m, notice, () => void follower.refresh())));
    fill(facts,
      ...fact("thread", h("a", { href: `#/thread/${encodeURIComponent(m.threadId)}` }, m.threadId)),
      ...fact("module", m.module || "-"), ...fact("type", m.type || "-"),
      ...fact("length", bytes(m.contentLength)),
      ...fact("created", clock(m.createTime)), ...fact("updated", clock(m.updateTime)), ...fact("finished", clock(m.completeTime)),
      ...fact("deadline", h("span", { id: "deadline" }, countdown(m))),
      ...fact("monitored", m.monitor ? `since ${clock(m.monitor.registerTime)}` : "no"),
      ...fact("labels", Object.entries(m.monitor?.labels ?? {}).map(([k, v]) => `${k}=${v}`).join(", ") || "-"),
      ...fact("metadata", m.metadata ? h("code", {}, JSON.stringify(m.metadata)) : "-"),
      ...(m.error ? fact("error", h("span", { class: "error" }, m.error)) : []));
  };
  const follower = new ContentFollower(app.api, messageId, (text, m, response) => {
    message = m;
    content.textContent = text;
    addEvents(response.history);
    draw();
  });
  follower.refresh().catch((err) => fill(head, h("p", { class: "error" }, errorText(err))));
  const stop = app.live.listen({
    event: (e) => {
      if (e.messageId !== messageId) return;
      addEvents([e]);
      void follower.refresh();
    },
  });
  // The countdown moves with the clock; the data only with events.
  const timer = setInterval(() => message && (document.getElementById("deadline")!.textContent = countdown(message)), 1000);
  return () => (stop(), follower.close(), clearInterval(timer));
};

function actions(app: App, m: Message, notice: HTMLElement, refresh: () => void): HTMLElement[] {
  const run = (what: string, call: () => Promise<unknown>) =>
    call().then(() => ((notice.textContent = what), refresh()), (err) => (notice.textContent = errorText(err)));
  const buttons: HTMLElement[] = [];
  if (!isTerminal(m.status)) {
    const confirm = h("span", { class: "confirm", hidden: true },
      "Cancel this message and stop its agent? ",
      h("button", { class: "danger", id: "confirm-cancel", onclick: () => run("cancelled", () => app.api.polling.cancelMessage({ messageId: m.messageId, reason: "cancelled from the dashboard" })) }, "Yes, cancel it"),
      h("button", { onclick: () => (confirm.hidden = true) }, "No"));
    buttons.push(h("button", { id: "cancel", onclick: () => (confirm.hidden = false) }, "Cancel…"), confirm);
  }
  if (m.monitor) {
    buttons.push(h("button", { id: "unmonitor", onclick: () => run("no longer monitored", () => app.api.polling.removeMessage({ messageId: m.messageId })) }, "Stop monitoring"));
  }
  return buttons;
}

function eventItem(e: Event): HTMLLIElement {
  const change = e.kind === EventKind.STATUS_CHANGED ? `${statusName(e.fromStatus)} → ${statusName(e.toStatus)}` : e.toStatus !== MessageStatus.UNSPECIFIED ? statusName(e.toStatus) : "";
  return h("li", { class: `event ${kindName(e.kind)}`, "data-seq": String(e.seq) },
    h("span", { class: "time" }, clock(e.time)), " ", h("strong", {}, kindName(e.kind)), " ", change,
    h("span", { class: "muted" }, ` ${bytes(e.contentLength)} · seq ${e.seq}`),
    e.detail ? h("div", { class: e.kind === EventKind.STATUS_CHANGED ? "error" : "detail" }, e.detail) : null);
}

function countdown(m: Message): string {
  const deadline = ms(m.monitor?.deadlineTime);
  if (deadline === undefined) return "none";
  if (isTerminal(m.status)) return `${clock(m.monitor?.deadlineTime)} (finished)`;
  const left = deadline - Date.now();
  return left > 0 ? `in ${span(left)} (${clock(m.monitor?.deadlineTime)})` : "passed";
}

function fact(name: string, value: Node | string): HTMLElement[] {
  return [h("dt", {}, name), h("dd", {}, value)];
}
