import { createApi } from "./api.js";
import type { App, View } from "./app.js";
import { fill, h } from "./dom.js";
import { Live } from "./live.js";
import { MessageIndex } from "./model.js";
import { ask } from "./views/ask.js";
import { detail } from "./views/detail.js";
import { messages } from "./views/messages.js";
import { modules } from "./views/modules.js";
import { overview } from "./views/overview.js";
import { thread } from "./views/thread.js";

/*
 * The dashboard page: hash routes (#/, #/messages, #/thread/ID, #/message/ID, #/modules,
 * #/ask), each a view drawn from the tab's message index and the shared live stream.
 * Everything changes when an event arrives; nothing is fetched on a timer.
 */

const ROUTES: Record<string, View> = { "": overview, messages, thread, message: detail, modules, ask };

function start(): void {
  const api = createApi();
  const live = new Live();
  const app: App = { api, live, index: new MessageIndex(api, live), go: (hash) => void (location.hash = hash) };
  const root = document.getElementById("view")!;
  const conn = document.getElementById("conn")!;
  let unmount = () => {};
  const route = () => {
    unmount();
    const [path = "", query = ""] = location.hash.replace(/^#\/?/, "").split("?");
    const [name = "", ...rest] = path.split("/");
    const view = ROUTES[name];
    for (const a of document.querySelectorAll("nav a")) a.classList.toggle("active", a.getAttribute("data-view") === (name || "overview"));
    if (!view) return void ((unmount = () => {}), fill(root, h("p", { class: "error" }, `no page ${location.hash}`)));
    unmount = view(root, app, name === "messages" || name === "ask" ? query : decodeURIComponent(rest.join("/")));
  };
  live.listen({
    state: (state, detail) => {
      conn.className = `conn ${state}`;
      conn.textContent = { connecting: "connecting…", live: "live", reconnecting: "reconnecting…", "signed-out": "signed out" }[state];
      conn.title = detail;
      if (state === "signed-out") fill(root, h("section", { class: "card wide" }, h("h2", {}, "Signed out"),
        h("p", {}, "The session has ended (the daemon restarted, or the session expired). Open a new link: ", h("code", {}, "claude-comms dashboard --open"))));
    },
  });
  addEventListener("hashchange", route);
  route();
}

start();
