import type { Api } from "./api.js";
import type { Live } from "./live.js";
import type { MessageIndex } from "./model.js";

/** What every view gets. */
export interface App {
  api: Api;
  live: Live;
  index: MessageIndex;
  /** Navigates to a hash route ("#/thread/ID"). */
  go(hash: string): void;
}

/** Draws a view into `root` (for route argument `arg`); returns what undoes its listeners and timers. */
export type View = (root: HTMLElement, app: App, arg: string) => () => void;

/** Runs `fn` at most once per `ms`, the last call winning (a burst of events → one refresh). */
export function throttle(fn: () => void, ms: number): () => void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let last = 0;
  return () => {
    if (timer) return;
    const wait = Math.max(0, last + ms - Date.now());
    timer = setTimeout(() => ((timer = undefined), (last = Date.now()), fn()), wait);
  };
}

/** The message of a failed call, for the page. */
export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
