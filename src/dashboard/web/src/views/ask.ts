import { errorText, type View } from "../app.js";
import { fill, h } from "../dom.js";

/** Ask: a small form for AskModule; on success, the thread where the answer will stream in. */
export const ask: View = (root, app, query) => {
  const to = new URLSearchParams(query).get("to") ?? "";
  const target = h("select", { name: "to", required: true });
  const status = h("p", { class: "notice", role: "status" });
  const form = h("form", { class: "ask", id: "ask-form" },
    h("label", {}, "From ", h("input", { name: "from", value: "dashboard", required: true })),
    h("label", {}, "To ", target),
    h("label", { class: "full" }, "Question ", h("textarea", { name: "question", rows: 5, required: true })),
    h("label", {}, "Timeout (seconds, optional) ", h("input", { name: "timeout", type: "number", min: 1 })),
    h("button", { type: "submit" }, "Ask"), status);
  fill(root, h("section", { class: "card wide" }, h("h2", {}, "Ask a module"), form));
  app.api.modules.listModules({}).then(
    ({ modules }) => fill(target, ...modules.map((m) => h("option", { value: m.name, selected: m.name === to }, m.name))),
    (err) => (status.textContent = errorText(err)),
  );
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const data = new FormData(form);
    const seconds = Number(data.get("timeout") || 0);
    status.textContent = "asking…";
    app.api.modules.askModule({
      fromModule: String(data.get("from")),
      toModule: String(data.get("to")),
      question: String(data.get("question")),
      timeout: seconds > 0 ? { seconds: BigInt(Math.round(seconds)), nanos: 0 } : undefined,
    }).then((r) => app.go(`#/thread/${encodeURIComponent(r.threadId)}`), (err) => (status.textContent = errorText(err)));
  });
  return () => undefined;
};
