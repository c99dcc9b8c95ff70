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
