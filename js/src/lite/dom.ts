// Small DOM helpers. Text always goes in through textContent; HTML only ever comes from the
// sanitizing markdown renderer.
import { icon } from "./icons";

type Attrs = Record<string, string | number | boolean | null | undefined>;
type Child = Node | string | null | undefined | false;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs?: Attrs | null,
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (attrs) {
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

/** A <button type="button"> with an icon and an accessible name; `label` shows text next to the icon. */
export function iconButton(
  iconName: string,
  ariaLabel: string,
  onClick: (ev: MouseEvent) => void,
  opts: { className?: string; label?: string; size?: number } = {},
): HTMLButtonElement {
  const btn = h("button", {
    type: "button",
    class: `ckl-btn ckl-icon-btn ${opts.className ?? ""}`.trim(),
    "aria-label": ariaLabel,
    title: ariaLabel,
  });
  btn.append(icon(iconName, opts.size ?? 16));
  if (opts.label) {
    btn.classList.remove("ckl-icon-btn");
    btn.append(h("span", { text: opts.label }));
  }
  btn.addEventListener("click", onClick);
  return btn;
}

export function clear(el: Element): void {
  el.replaceChildren();
}

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
