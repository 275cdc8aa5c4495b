import type { Message } from "../../../../../gen/claude_comms/v1/message_pb.js";
import { errorText, type View } from "../app.js";
import { ContentFollower } from "../content.js";
import { fill, flash, h } from "../dom.js";
import { clock, shortId, statusName } from "../format.js";

/** Thread: the conversation in order, questions and answers, an answer growing as its agent writes it. */
export const thread: View = (root, app, threadId) => {
  const list = h("ol", { class: "conversation" });
  const title = h("h2", {}, "Thread ", h("code", {}, threadId));
  fill(root, h("section", { class: "card wide" }, title, list));
  const cards = new Map<string, { card: HTMLElement; follower: ContentFollower }>();

  const add = (m: Message) => {
    const head = h("div", { class: "head" });
    const body = h("pre", { class: "content" });
    const card = h("li", { class: `turn ${m.type || "message"}`, "data-id": m.messageId }, head, body);
    const draw = (text: string, msg: Message) => {
      fill(head,
        h("strong", {}, msg.module || "?"), " ", h("span", { class: "muted" }, msg.type || "message"), " ",
        h("span", { class: `chip ${statusName(msg.status)}` }, statusName(msg.status)), " ",
        h("span", { class: "muted" }, clock(msg.createTime)), " ",
        h("a", { href: `#/message/${encodeURIComponent(msg.messageId)}` }, shortId(msg.messageId)),
        msg.error ? h("div", { class: "error" }, msg.error) : null);
      body.textContent = text || (statusName(msg.status) === "pending" ? "(waiting for the agent)" : "");
    };
    const follower = new ContentFollower(app.api, m.messageId, (text, msg) => (draw(text, msg), flash(card)));
    draw("", m);
    cards.set(m.messageId, { card, follower });
    list.append(card);
    void follower.refresh();
  };

  app.api.messages.getThread({ threadId, includeContent: false }).then(
    ({ thread: t, messages }) => {
      if (t?.title) title.append(" ", h("span", { class: "muted" }, t.title));
      messages.forEach(add);
    },
    (err) => list.replaceWith(h("p", { class: "error" }, errorText(err))),
  );
  const stop = app.live.listen({
    event: (e) => {
      if (e.threadId !== threadId) return;
      const known = cards.get(e.messageId);
      if (known) return void known.follower.refresh();
      app.api.polling.showMessage({ messageId: e.messageId }).then(({ message }) => message && !cards.has(message.messageId) && add(message), () => undefined);
    },
  });
  return () => (stop(), cards.forEach(({ follower }) => follower.close()));
};
