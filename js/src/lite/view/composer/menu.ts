// The composer's popup menu: "@name" entity tags (entities.onTagSearch) and the "/" command menu
// (commands.onSearch / onSelect), driven from the text before the caret.
import type { Command, CommandSelection, Entity } from "@openai/chatkit";
import { h } from "../../../render/dom";
import { errorMessage } from "../../client/client";
import { icon } from "../icons";
import type { TagRef } from "./content";
import type { ComposerHost } from "./host";

export interface MenuHost extends Pick<ComposerHost, "t" | "options"> {
  textarea: HTMLTextAreaElement;
  /** Prefix of the ids the menu gives its elements. */
  uid: string;
  /** A tag went into the text. */
  addTag(tag: TagRef): void;
  /** The menu changed the text: refocus, resize, update Send. */
  edited(): void;
}

/** One row of the menu (an entity to tag or a command to run). */
interface MenuOption {
  label: string;
  icon: string | null;
  group?: string;
  description?: string;
  pick(): void;
}

type MenuState =
  | { kind: "tag"; start: number; query: string }
  // `level`: the commands of a menu returned by onSelect, shown instead of searching.
  | { kind: "command"; start: number; query: string; level: Command[] | null };

export class ComposerMenu {
  readonly el: HTMLElement;
  private readonly textarea: HTMLTextAreaElement;
  private state: MenuState | null = null;
  private options: MenuOption[] = [];
  private active = 0;
  private searchId = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private pending = false; // a command's onSelect is running

  constructor(private readonly host: MenuHost) {
    this.textarea = host.textarea;
    this.el = h("div", { class: "ckl-tag-menu", role: "listbox", id: `${host.uid}-menu`, hidden: true });
  }

  /** Types "@" at the caret (the mention button) and opens the entity menu. */
  insertAt(): void {
    const ta = this.textarea;
    const pos = ta.selectionStart ?? ta.value.length;
    const before = ta.value.slice(0, pos);
    const needsSpace = before !== "" && !/\s$/.test(before);
    const insert = `${needsSpace ? " " : ""}@`;
    ta.value = before + insert + ta.value.slice(ta.selectionEnd ?? pos);
    const caret = pos + insert.length;
    ta.setSelectionRange(caret, caret);
    ta.focus();
    this.update();
  }

  /** Opens, updates or closes the menu for the text before the caret: "/cmd" at the very start
   * of the composer (commands.enabled), or "@name" after a space (entities.onTagSearch). */
  update(): void {
    if (this.pending) return;
    const options = this.host.options();
    const ta = this.textarea;
    const caret = ta.selectionStart ?? ta.value.length;
    const before = ta.value.slice(0, caret);
    const slash = options.commands?.enabled ? /^\/(\S*)$/.exec(before) : null;
    if (slash) {
      this.searchCommands(slash[1]);
      return;
    }
    const search = options.entities?.onTagSearch;
    const at = search ? /(^|\s)@([^\s@]*)$/.exec(before) : null;
    if (search && at) {
      const query = at[2];
      if (this.state?.kind !== "tag") this.options = [];
      this.state = { kind: "tag", start: caret - query.length - 1, query };
      this.runSearch("onTagSearch", 120, async () => {
        const found = await search(query);
        return (Array.isArray(found) ? found : []).map((entity) => this.tagOption(entity));
      });
      return;
    }
    this.close();
  }

  /** Handles the menu's keys (arrows, Enter / Tab to pick, Escape); false if the key is not the menu's. */
  onKeyDown(ev: KeyboardEvent): boolean {
    if (!this.el.hidden && this.pending && (ev.key === "Enter" || ev.key === "Tab")) {
      ev.preventDefault(); // a command is still choosing what comes next
      return true;
    }
    if (!this.el.hidden && this.options.length) {
      if (ev.key === "ArrowDown" || ev.key === "ArrowUp") {
        ev.preventDefault();
        const n = this.options.length;
        this.active = (this.active + (ev.key === "ArrowDown" ? 1 : -1) + n) % n;
        this.render();
        return true;
      }
      if ((ev.key === "Enter" && !ev.isComposing) || ev.key === "Tab") {
        ev.preventDefault();
        this.options[this.active]?.pick();
        return true;
      }
    }
    if (ev.key === "Escape" && !this.el.hidden) {
      ev.preventDefault();
      this.close();
      return true;
    }
    return false;
  }

  private searchCommands(query: string): void {
    const previous = this.state?.kind === "command" ? this.state : null;
    const level = previous?.level ?? null;
    if (!previous) this.options = [];
    this.state = { kind: "command", start: 0, query, level };
    if (level) {
      // A menu returned by onSelect: typing narrows it down here, as there is nothing to ask.
      const q = query.toLowerCase();
      const found = level.filter((c) => c.label.toLowerCase().includes(q) || c.id.toLowerCase().includes(q));
      this.runSearch("onSelect", 0, async () => found.map((c) => this.commandOption(c)));
      return;
    }
    const onSearch = this.host.options().commands?.onSearch;
    if (!onSearch) {
      this.close();
      return;
    }
    this.runSearch("onSearch", 120, async () => {
      const found = await onSearch(query);
      return (Array.isArray(found) ? found : []).map((c) => this.commandOption(c));
    });
  }

  /** Shows the menu at once ("Searching…") and fills it when the (debounced) search answers;
   * answers to an earlier query are dropped. */
  private runSearch(what: string, delay: number, search: () => Promise<MenuOption[]>): void {
    clearTimeout(this.timer);
    const id = ++this.searchId;
    this.open();
    this.timer = setTimeout(async () => {
      try {
        const found = await search();
        if (id !== this.searchId) return;
        this.options = found;
        this.active = 0;
        this.render();
      } catch (err) {
        if (id !== this.searchId) return;
        this.options = [];
        this.render(errorMessage(err));
        console.error(`chatkit-jupyter lite: ${what} failed`, err);
      }
    }, delay);
  }

  private tagOption(entity: Entity): MenuOption {
    return { label: entity.title, icon: entity.icon ?? "dot", group: entity.group, pick: () => this.chooseTag(entity) };
  }

  private commandOption(command: Command): MenuOption {
    return {
      label: command.label,
      icon: command.icon ?? null,
      group: command.group,
      description: command.description,
      pick: () => void this.chooseCommand(command),
    };
  }

  private open(): void {
    const t = this.host.t();
    this.el.hidden = false;
    this.el.setAttribute("aria-label", this.state?.kind === "command" ? t("commands") : t("mentionMenu"));
    this.textarea.setAttribute("aria-expanded", "true");
    this.textarea.setAttribute("aria-controls", this.el.id);
    if (!this.options.length) {
      this.el.replaceChildren(h("div", { class: "ckl-menu-note", text: t("searching") }));
      this.textarea.removeAttribute("aria-activedescendant");
    }
  }

  close(): void {
    clearTimeout(this.timer);
    this.searchId++;
    this.state = null;
    this.options = [];
    this.el.hidden = true;
    this.el.removeAttribute("aria-busy");
    this.el.replaceChildren();
    this.textarea.setAttribute("aria-expanded", "false");
    this.textarea.removeAttribute("aria-activedescendant");
  }

  private render(error?: string): void {
    this.el.replaceChildren();
    this.el.removeAttribute("aria-busy");
    if (!this.state) return;
    if (!this.options.length) {
      this.el.append(h("div", { class: "ckl-menu-note", text: error ?? this.host.t()("noResults") }));
      this.textarea.removeAttribute("aria-activedescendant");
      return;
    }
    let group: string | undefined;
    this.options.forEach((opt, i) => {
      if (opt.group && opt.group !== group) {
        group = opt.group;
        this.el.append(h("div", { class: "ckl-menu-group", role: "presentation", text: group }));
      }
      const id = `${this.host.uid}-option-${i}`;
      const active = i === this.active;
      // Named by its label alone; the description is read as a description.
      const option = h("div", {
        class: "ckl-menu-item",
        role: "option",
        id,
        "aria-selected": String(active),
        "aria-label": opt.label,
        "aria-description": opt.description,
      });
      if (opt.icon) option.append(icon(opt.icon, 14));
      const text = h("span", { class: "ckl-menu-text" }, h("span", { text: opt.label }));
      if (opt.description) text.append(h("span", { class: "ckl-menu-desc", text: opt.description }));
      option.append(text);
      // Keep focus (and the caret) in the composer while clicking an option.
      option.addEventListener("mousedown", (ev) => ev.preventDefault());
      option.addEventListener("click", () => opt.pick());
      this.el.append(option);
      if (active) {
        this.textarea.setAttribute("aria-activedescendant", id);
        option.scrollIntoView?.({ block: "nearest" });
      }
    });
  }

  /** Replaces text[start, end) with the entity's "@Title " tag. */
  private insertTag(entity: Entity, start: number, end: number): void {
    const ta = this.textarea;
    const label = `@${entity.title}`;
    ta.value = `${ta.value.slice(0, start)}${label} ${ta.value.slice(end)}`;
    const caret = start + label.length + 1;
    ta.setSelectionRange(caret, caret);
    this.host.addTag({ entity, label });
  }

  private chooseTag(entity: Entity): void {
    const state = this.state;
    if (state?.kind !== "tag") return;
    this.insertTag(entity, state.start, state.start + 1 + state.query.length);
    this.close();
    this.host.edited();
  }

  /**
   * Runs commands.onSelect. The "/query" typed to find the command goes away; then, as ChatKit
   * documents: an `entity` is inserted as a tag, a `menu` is shown as the next level, and
   * nothing (an effect only) closes the menu.
   */
  private async chooseCommand(command: Command): Promise<void> {
    const state = this.state;
    if (state?.kind !== "command" || this.pending) return;
    const ta = this.textarea;
    const start = state.start;
    ta.value = ta.value.slice(0, start) + ta.value.slice(start + 1 + state.query.length);
    ta.setSelectionRange(start, start);
    this.host.edited();
    const onSelect = this.host.options().commands?.onSelect;
    if (!onSelect) {
      this.close();
      return;
    }
    clearTimeout(this.timer);
    const id = ++this.searchId;
    this.pending = true;
    this.options = [];
    this.open();
    this.el.setAttribute("aria-busy", "true");
    let selection: CommandSelection | undefined;
    try {
      selection = (await onSelect(command)) ?? undefined;
    } catch (err) {
      if (id !== this.searchId) return;
      console.error("chatkit-jupyter lite: onSelect failed", err);
      this.state = { kind: "command", start, query: "", level: [] };
      this.render(errorMessage(err));
      return;
    } finally {
      this.pending = false;
    }
    if (id !== this.searchId) return; // closed meanwhile (Escape, sent, focus left)
    const at = Math.min(start, ta.value.length);
    if (selection?.type === "menu") {
      ta.value = `${ta.value.slice(0, at)}/${ta.value.slice(at)}`;
      ta.setSelectionRange(at + 1, at + 1);
      this.state = { kind: "command", start: at, query: "", level: selection.commands ?? [] };
      this.options = (selection.commands ?? []).map((c) => this.commandOption(c));
      this.active = 0;
      this.render();
    } else {
      if (selection?.type === "entity") this.insertTag(selection.entity, at, at);
      this.close();
    }
    this.host.edited();
  }

  destroy(): void {
    clearTimeout(this.timer);
  }
}
