// The one DOM helper every renderer builds with. Text always goes in through textContent; HTML
// only ever comes from the sanitizing markdown renderer (render/markdown.ts).

export type Attrs = Record<string, string | number | boolean | null | undefined>;
export type Child = Node | string | null | undefined | false;

/**
 * Creates `<tag>`. `attrs` is either a class name or attributes, where `class`, `text` and
 * `hidden` set the property of that name and `null` / `undefined` / `false` leave an attribute
 * out (`true` sets it empty). Children that are not nodes are appended as text.
 */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs?: Attrs | string | null,
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (typeof attrs === "string") {
    if (attrs) el.className = attrs;
  } else if (attrs) {
    for (const [name, value] of Object.entries(attrs)) {
      if (value === null || value === undefined || value === false) continue;
      if (name === "class") el.className = String(value);
      else if (name === "text") el.textContent = String(value);
      else if (name === "hidden") el.hidden = Boolean(value);
      else el.setAttribute(name, value === true ? "" : String(value));
    }
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child);
  }
  return el;
}

/** Fires a bubbling, composed CustomEvent (ChatKit's `chatkit.*` events cross shadow roots). */
export function dispatch(target: EventTarget, name: string, detail?: unknown): void {
  target.dispatchEvent(new CustomEvent(name, { detail, bubbles: true, composed: true }));
}

/** Copies text with the async clipboard API, falling back to a hidden textarea. */
export async function copyText(text: string): Promise<boolean> {
  try {
    if (navigator.clipboard?.writeText) {
      await navigator.clipboard.writeText(text);
      return true;
    }
  } catch {
    // Permissions or an insecure context: try the legacy path.
  }
  try {
    const area = h("textarea", { "aria-hidden": "true", style: "position:fixed;opacity:0" });
    area.value = text;
    document.body.append(area);
    area.select();
    const ok = document.execCommand?.("copy") ?? false;
    area.remove();
    return ok;
  } catch {
    return false;
  }
}

/**
 * The focused element, looked for inside shadow roots: there `document.activeElement` is only
 * the shadow root's host (marimo draws each anywidget in a shadow root).
 */
export function activeElement(): Element | null {
  let active = document.activeElement;
  while (active?.shadowRoot?.activeElement) active = active.shadowRoot.activeElement;
  return active;
}
