// The composer's pickers: composer tools (pinned toggles, a menu of the others, a chip for the
// chosen one) and the model <select>.
import type { ModelOption, ToolOption } from "@openai/chatkit";
import { activeElement, h } from "../../../render/dom";
import { iconButton } from "../buttons";
import { icon } from "../icons";
import type { ComposerHost } from "./host";

export interface ToolPickerHost extends Pick<ComposerHost, "t" | "options"> {
  /** Prefix of the ids the picker gives its elements. */
  uid: string;
  /** The chosen tool changed (by the user or by setComposerValue). */
  changed(toolId: string | null): void;
  focus(): void;
}

export class ToolPicker {
  readonly el: HTMLElement;
  private id: string | null = null;

  constructor(private readonly host: ToolPickerHost) {
    this.el = h("div", { class: "ckl-tools" });
  }

  get selectedId(): string | null {
    return this.id;
  }

  selected(): ToolOption | undefined {
    return (this.host.options().composer?.tools ?? []).find((tool) => tool.id === this.id);
  }

  set(id: string | null): void {
    if (id === this.id) return;
    this.id = id;
    this.sync();
    this.host.changed(id);
  }

  /** Updates pressed / checked states and the chip in place, so focus stays where it is. */
  private sync(): void {
    for (const el of Array.from(this.el.querySelectorAll<HTMLElement>("[data-tool-id]"))) {
      const on = String(el.dataset.toolId === this.id);
      el.setAttribute(el.getAttribute("role") === "menuitemradio" ? "aria-checked" : "aria-pressed", on);
    }
    this.el.querySelector(".ckl-tool-chip")?.remove();
    const selected = this.selected();
    if (selected && !selected.pinned) {
      const t = this.host.t();
      const chip = h(
        "span",
        { class: "ckl-chip ckl-tool-chip" },
        icon(selected.icon, 14),
        h("span", { text: selected.shortLabel ?? selected.label }),
      );
      chip.append(
        iconButton(
          "close",
          t("clearTool", { tool: selected.label }),
          () => {
            this.set(null);
            this.host.focus();
          },
          { size: 12 },
        ),
      );
      this.el.append(chip);
    }
  }

  /** Rebuilds the picker from `composer.tools`; a chosen tool that is gone is forgotten. */
  render(): void {
    const tools = this.host.options().composer?.tools ?? [];
    if (this.id && !tools.some((tool) => tool.id === this.id)) this.id = null;
    const t = this.host.t();
    this.el.replaceChildren();
    if (!tools.length) return;
    for (const tool of tools.filter((tl) => tl.pinned)) {
      const btn = iconButton(tool.icon, tool.label, () => this.set(this.id === tool.id ? null : tool.id), {
        className: "ckl-tool-toggle",
        label: tool.shortLabel ?? tool.label,
      });
      btn.dataset.toolId = tool.id;
      this.el.append(btn);
    }
    const unpinned = tools.filter((tl) => !tl.pinned);
    if (unpinned.length) this.el.append(this.menu(unpinned, t("tools")));
    this.sync();
  }

  private menu(tools: ToolOption[], label: string): HTMLElement {
    const menuId = `${this.host.uid}-tools`;
    const menu = h("div", { class: "ckl-menu", role: "menu", id: menuId, hidden: true, "aria-label": label });
    const toggle = iconButton(
      "settings-slider",
      label,
      () => {
        const open = menu.hidden;
        menu.hidden = !open;
        toggle.setAttribute("aria-expanded", String(open));
        if (open) (menu.querySelector("button") as HTMLButtonElement | null)?.focus();
      },
      { className: "ckl-tools-btn" },
    );
    toggle.setAttribute("aria-haspopup", "menu");
    toggle.setAttribute("aria-expanded", "false");
    toggle.setAttribute("aria-controls", menuId);
    for (const tool of tools) {
      const item = h("button", {
        type: "button",
        class: "ckl-menu-item",
        role: "menuitemradio",
      });
      item.dataset.toolId = tool.id;
      item.append(icon(tool.icon, 16), h("span", { text: tool.label }));
      item.addEventListener("click", () => {
        menu.hidden = true;
        toggle.setAttribute("aria-expanded", "false");
        this.set(this.id === tool.id ? null : tool.id);
        this.host.focus();
      });
      menu.append(item);
    }
    menu.addEventListener("keydown", (ev) => {
      const items = Array.from(menu.querySelectorAll<HTMLButtonElement>("button"));
      const index = items.indexOf(activeElement() as HTMLButtonElement);
      if (ev.key === "Escape") {
        menu.hidden = true;
        toggle.setAttribute("aria-expanded", "false");
        toggle.focus();
      } else if (ev.key === "ArrowDown" || ev.key === "ArrowUp") {
        ev.preventDefault();
        const next = (index + (ev.key === "ArrowDown" ? 1 : -1) + items.length) % items.length;
        items[next]?.focus();
      }
    });
    const wrap = h("div", { class: "ckl-menu-wrap" }, toggle, menu);
    // Close when focus (or a click) goes anywhere else.
    wrap.addEventListener("focusout", (ev) => {
      if (!wrap.contains(ev.relatedTarget as Node | null)) {
        menu.hidden = true;
        toggle.setAttribute("aria-expanded", "false");
      }
    });
    return wrap;
  }
}

export class ModelPicker {
  readonly el: HTMLElement;
  private id: string | null = null;
  private select: HTMLSelectElement | null = null;

  constructor(private readonly host: Pick<ComposerHost, "t">) {
    this.el = h("div", { class: "ckl-model" });
  }

  get selectedId(): string | null {
    return this.id;
  }

  /** Chooses a model, if there is a picker to show it in. */
  set(id: string): void {
    if (!this.select) return;
    this.id = id;
    this.select.value = id;
  }

  /** Rebuilds the <select>; keeps the chosen model if it is still offered, else the default. */
  render(models: ModelOption[]): void {
    this.el.replaceChildren();
    this.select = null;
    if (!models.length) {
      this.id = null;
      return;
    }
    const select = h("select", { class: "ckl-select", "aria-label": this.host.t()("model") });
    for (const model of models) {
      const opt = h("option", { value: model.id, text: model.label });
      if (model.disabled) opt.disabled = true;
      if (model.description) opt.title = model.description;
      select.append(opt);
    }
    const valid = (id: string | null) => models.some((m) => m.id === id && !m.disabled);
    if (!valid(this.id)) {
      this.id = (models.find((m) => m.default && !m.disabled) ?? models.find((m) => !m.disabled))?.id ?? null;
    }
    if (this.id) select.value = this.id;
    select.addEventListener("change", () => {
      this.id = select.value;
    });
    this.select = select;
    this.el.append(select);
  }
}
