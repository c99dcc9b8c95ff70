// The lite renderer's icon buttons.
import { h } from "../../render/dom";
import { icon } from "./icons";

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

const copiedTimers = new WeakMap<HTMLButtonElement, { svg: Element | null; timer: ReturnType<typeof setTimeout> }>();

/**
 * Shows that a copy worked, for a moment: a check mark for the eye, and `announce` for a screen
 * reader (a changed name on the focused button is not read out).
 */
export function showCopied(btn: HTMLButtonElement, copied: string, label: string, announce: (text: string) => void): void {
  const shown = copiedTimers.get(btn);
  if (shown) clearTimeout(shown.timer);
  const svg = shown?.svg ?? btn.querySelector("svg");
  const size = Number(svg?.getAttribute("width")) || 16;
  btn.querySelector("svg")?.replaceWith(icon("check", size));
  btn.setAttribute("aria-label", copied);
  btn.title = copied;
  announce(copied);
  const timer = setTimeout(() => {
    copiedTimers.delete(btn);
    if (svg) btn.querySelector("svg")?.replaceWith(svg);
    btn.setAttribute("aria-label", label);
    btn.title = label;
  }, 1500);
  copiedTimers.set(btn, { svg, timer });
}
