/** A child of {@link h}: nodes and text; null, undefined and false are skipped. */
export type Child = Node | string | number | null | undefined | false;

type Props = Record<string, string | number | boolean | EventListener | undefined>;

/**
 * Creates an element: `h("a", { href: "#/", class: "x", onclick: f }, "text", child)`.
 * `on*` props become listeners; other props are attributes (true → present, false/undefined → absent).
 * Text is always set as text, never parsed as HTML.
 */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, props: Props = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (typeof value === "function") el.addEventListener(name.slice(2), value);
    else if (value === true) el.setAttribute(name, "");
    else if (value !== undefined && value !== false) el.setAttribute(name, String(value));
  }
  el.append(...children.filter((c): c is Node | string | number => c !== null && c !== undefined && c !== false).map((c) => (typeof c === "number" ? String(c) : c)));
  return el;
}

/** Replaces an element's children. */
export function fill(el: Element, ...children: Child[]): void {
  el.replaceChildren(...children.filter((c): c is Node | string | number => c !== null && c !== undefined && c !== false).map((c) => (typeof c === "number" ? String(c) : c)));
}

/** Re-runs a CSS animation on an element (the row or card that just changed). */
export function flash(el: Element): void {
  el.classList.remove("flash");
  void (el as HTMLElement).offsetWidth; // restart the animation
  el.classList.add("flash");
}
