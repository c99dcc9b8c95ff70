// The composer: a textarea named by its placeholder, Send / Stop, attachments (two-phase upload
// through the client), composer tools and the model picker, `@` entity tags and the "/" command
// menu.
import type { ChatKitOptions, Command, CommandSelection, Entity, ModelOption, ToolOption } from "@openai/chatkit";
import type { ChatClient } from "../../client/client";
import { errorMessage } from "../../client/client";
import { h } from "../../../render/dom";
import { iconButton } from "../buttons";
import { formatBytes, type Translate } from "../i18n";
import { icon } from "../icons";
import type { Attachment, UserMessageContent } from "../../client/types";

type LiteOptions = Omit<ChatKitOptions, "api">;

export interface ComposerSubmission {
  content: UserMessageContent[];
  attachments: Attachment[];
  toolId: string | null;
  modelId: string | null;
}

export interface ComposerHost {
  t(): Translate;
  options(): LiteOptions;
  client: ChatClient;
  submit(submission: ComposerSubmission): void;
  stop(): void;
  toolChange(toolId: string | null): void;
}

interface PendingFile {
  key: number;
  name: string;
  status: "uploading" | "done" | "error";
  attachment?: Attachment;
  abort?: AbortController;
  el: HTMLElement;
}

interface TagRef {
  entity: Entity;
  label: string; // "@Title" as it appears in the text
}

/** One row of the composer's menu (an entity to tag or a command to run). */
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

const DEFAULT_MAX_COUNT = 10;
const DEFAULT_MAX_SIZE = 100 * 1024 * 1024;
let composerCounter = 0;

export class Composer {
  readonly el: HTMLFormElement;
  readonly textarea: HTMLTextAreaElement;
  private readonly sendBtn: HTMLButtonElement;
  private readonly stopBtn: HTMLButtonElement;
  private readonly attachBtn: HTMLButtonElement;
  private readonly mentionBtn: HTMLButtonElement;
  private readonly fileInput: HTMLInputElement;
  private readonly fileList: HTMLElement;
  private readonly toolbar: HTMLElement;
  private readonly toolsSlot: HTMLElement;
  private readonly modelSlot: HTMLElement;
  private readonly message: HTMLElement;
  private readonly menu: HTMLElement;
  private readonly uid = `ckl-composer-${++composerCounter}`;
  private files: PendingFile[] = [];
  private fileKey = 0;
  private tags: TagRef[] = [];
  private busy = false;
  private locked: string | null = null;
  private toolId: string | null = null;
  private modelId: string | null = null;
  private modelSelect: HTMLSelectElement | null = null;
  private menuState: MenuState | null = null;
  private menuOptions: MenuOption[] = [];
  private menuActive = 0;
  private menuSearchId = 0;
  private menuTimer: ReturnType<typeof setTimeout> | undefined;
  private menuPending = false; // a command's onSelect is running

  constructor(private readonly host: ComposerHost) {
    const t = host.t();
    this.textarea = h("textarea", { class: "ckl-textarea", rows: 1, autocomplete: "off" });
    this.sendBtn = iconButton("send", t("send"), (ev) => {
      // One path for click and Enter: the form's own submit would fire a second time.
      ev.preventDefault();
      this.submit();
    }, { className: "ckl-send" });
    this.sendBtn.type = "submit";
    this.stopBtn = iconButton("stop", t("stop"), () => {
      host.stop();
      // The Stop button is about to disappear; keep focus somewhere useful.
      this.textarea.focus();
    }, { className: "ckl-stop" });
    this.stopBtn.hidden = true;
    this.fileInput = h("input", { type: "file", multiple: true, hidden: true, tabindex: -1, "aria-hidden": "true" });
    this.attachBtn = iconButton("paperclip", t("addFiles"), () => this.fileInput.click(), { className: "ckl-attach" });
    this.mentionBtn = iconButton("at", t("mention"), () => this.insertAt(), { className: "ckl-mention" });
    this.fileList = h("ul", { class: "ckl-files", hidden: true });
    this.toolsSlot = h("div", { class: "ckl-tools" });
    this.modelSlot = h("div", { class: "ckl-model" });
    this.message = h("div", { class: "ckl-composer-message", role: "alert", hidden: true });
    this.menu = h("div", { class: "ckl-tag-menu", role: "listbox", id: `${this.uid}-menu`, hidden: true });
    this.toolbar = h(
      "div",
      { class: "ckl-composer-bar" },
      this.attachBtn,
      this.mentionBtn,
      this.toolsSlot,
      h("div", { class: "ckl-spacer" }),
      this.modelSlot,
      this.sendBtn,
      this.stopBtn,
    );
    this.el = h(
      "form",
      { class: "ckl-composer", novalidate: true },
      this.menu,
      this.fileList,
      this.textarea,
      this.toolbar,
      this.message,
      this.fileInput,
    );
    this.wire();
    this.configure();
  }

  /** The alert line under the composer (client-side validation messages). */
  get messageEl(): HTMLElement {
    return this.message;
  }

  private wire(): void {
    this.el.addEventListener("submit", (ev) => {
      ev.preventDefault();
      this.submit();
    });
    this.textarea.addEventListener("keydown", (ev) => this.onKeyDown(ev));
    this.textarea.addEventListener("input", () => {
      this.autosize();
      this.updateSendState();
      this.updateMenu();
    });
    this.textarea.addEventListener("click", () => this.updateMenu());
    this.textarea.addEventListener("blur", () => {
      // Let a click on a menu option land first.
      setTimeout(() => {
        if (!this.el.contains(document.activeElement)) this.closeMenu();
      }, 150);
    });
    this.textarea.addEventListener("paste", (ev) => {
      const files = Array.from(ev.clipboardData?.files ?? []);
      if (files.length && this.attachmentsEnabled()) {
        ev.preventDefault();
        this.addFiles(files);
      }
    });
    this.fileInput.addEventListener("change", () => {
      const files = Array.from(this.fileInput.files ?? []);
      this.fileInput.value = "";
      this.addFiles(files);
    });
    this.el.addEventListener("dragover", (ev) => {
      if (this.attachmentsEnabled() && ev.dataTransfer?.types?.includes("Files")) {
        ev.preventDefault();
        this.el.classList.add("ckl-dragging");
      }
    });
    this.el.addEventListener("dragleave", () => this.el.classList.remove("ckl-dragging"));
    this.el.addEventListener("drop", (ev) => {
      this.el.classList.remove("ckl-dragging");
      const files = Array.from(ev.dataTransfer?.files ?? []);
      if (files.length && this.attachmentsEnabled()) {
        ev.preventDefault();
        this.addFiles(files);
      }
    });
  }

  // ---------------------------------------------------------------- configuration

  /** Applies (new) options: placeholder, attachments, tools, models, entity menu. */
  configure(): void {
    const options = this.host.options();
    const t = this.host.t();
    this.sendBtn.setAttribute("aria-label", t("send"));
    this.sendBtn.title = t("send");
    this.stopBtn.setAttribute("aria-label", t("stop"));
    this.stopBtn.title = t("stop");
    this.attachBtn.setAttribute("aria-label", t("addFiles"));
    this.attachBtn.title = t("addFiles");
    this.mentionBtn.setAttribute("aria-label", t("mention"));
    this.mentionBtn.title = t("mention");

    const attachments = options.composer?.attachments;
    this.attachBtn.hidden = !attachments?.enabled;
    const accept = attachments?.accept;
    if (accept && Object.keys(accept).length) {
      const parts = Object.entries(accept).flatMap(([mime, exts]) => [mime, ...(exts ?? [])]);
      this.fileInput.accept = parts.join(",");
    } else this.fileInput.removeAttribute("accept");

    const entities = options.entities;
    this.mentionBtn.hidden = !(entities?.onTagSearch && entities.showComposerMenu);
    const menus = Boolean(entities?.onTagSearch || options.commands?.enabled);
    this.textarea.setAttribute("aria-haspopup", menus ? "listbox" : "false");

    const tools = options.composer?.tools ?? [];
    if (this.toolId && !tools.some((tool) => tool.id === this.toolId)) this.toolId = null;
    this.renderTools();
    this.renderModels(options.composer?.models ?? []);
    this.applyPlaceholder();
    this.updateSendState();
  }

  private applyPlaceholder(): void {
    const options = this.host.options();
    const tool = this.selectedTool();
    const placeholder =
      tool?.placeholderOverride || options.composer?.placeholder || this.host.t()("placeholder");
    this.textarea.placeholder = placeholder;
    // The placeholder is the textbox's accessible name, as in ChatKit.
    this.textarea.setAttribute("aria-label", placeholder);
  }

  private attachmentsEnabled(): boolean {
    return Boolean(this.host.options().composer?.attachments?.enabled);
  }

  // ---------------------------------------------------------------- tools and models

  private selectedTool(): ToolOption | undefined {
    return (this.host.options().composer?.tools ?? []).find((tool) => tool.id === this.toolId);
  }

  private setTool(id: string | null): void {
    if (id === this.toolId) return;
    this.toolId = id;
    this.syncTools();
    this.applyPlaceholder();
    this.host.toolChange(id);
  }

  /** Updates pressed / checked states and the chip in place, so focus stays where it is. */
  private syncTools(): void {
    for (const el of Array.from(this.toolsSlot.querySelectorAll<HTMLElement>("[data-tool-id]"))) {
      const on = String(el.dataset.toolId === this.toolId);
      el.setAttribute(el.getAttribute("role") === "menuitemradio" ? "aria-checked" : "aria-pressed", on);
    }
    this.toolsSlot.querySelector(".ckl-tool-chip")?.remove();
    const selected = this.selectedTool();
    if (selected && !selected.pinned) {
      const t = this.host.t();
      const chip = h("span", { class: "ckl-chip ckl-tool-chip" }, icon(selected.icon, 14), h("span", { text: selected.shortLabel ?? selected.label }));
      chip.append(iconButton("close", t("clearTool", { tool: selected.label }), () => {
        this.setTool(null);
        this.textarea.focus();
      }, { size: 12 }));
      this.toolsSlot.append(chip);
    }
  }

  private renderTools(): void {
    const tools = this.host.options().composer?.tools ?? [];
    const t = this.host.t();
    this.toolsSlot.replaceChildren();
    if (!tools.length) return;
    for (const tool of tools.filter((tl) => tl.pinned)) {
      const btn = iconButton(tool.icon, tool.label, () => this.setTool(this.toolId === tool.id ? null : tool.id), {
        className: "ckl-tool-toggle",
        label: tool.shortLabel ?? tool.label,
      });
      btn.dataset.toolId = tool.id;
      this.toolsSlot.append(btn);
    }
    const unpinned = tools.filter((tl) => !tl.pinned);
    if (unpinned.length) {
      const menuId = `${this.uid}-tools`;
      const menu = h("div", { class: "ckl-menu", role: "menu", id: menuId, hidden: true, "aria-label": t("tools") });
      const toggle = iconButton("settings-slider", t("tools"), () => {
        const open = menu.hidden;
        menu.hidden = !open;
        toggle.setAttribute("aria-expanded", String(open));
        if (open) (menu.querySelector("button") as HTMLButtonElement | null)?.focus();
      }, { className: "ckl-tools-btn" });
      toggle.setAttribute("aria-haspopup", "menu");
      toggle.setAttribute("aria-expanded", "false");
      toggle.setAttribute("aria-controls", menuId);
      for (const tool of unpinned) {
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
          this.setTool(this.toolId === tool.id ? null : tool.id);
          this.textarea.focus();
        });
        menu.append(item);
      }
      menu.addEventListener("keydown", (ev) => {
        const items = Array.from(menu.querySelectorAll<HTMLButtonElement>("button"));
        const index = items.indexOf(document.activeElement as HTMLButtonElement);
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
      this.toolsSlot.append(wrap);
    }
    this.syncTools();
  }

  private renderModels(models: ModelOption[]): void {
    this.modelSlot.replaceChildren();
    this.modelSelect = null;
    if (!models.length) {
      this.modelId = null;
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
    if (!valid(this.modelId)) {
      this.modelId = (models.find((m) => m.default && !m.disabled) ?? models.find((m) => !m.disabled))?.id ?? null;
    }
    if (this.modelId) select.value = this.modelId;
    select.addEventListener("change", () => {
      this.modelId = select.value;
    });
    this.modelSelect = select;
    this.modelSlot.append(select);
  }

  // ---------------------------------------------------------------- state

  setBusy(busy: boolean, allowCancel: boolean): void {
    this.busy = busy;
    this.stopBtn.hidden = !(busy && allowCancel);
    this.sendBtn.hidden = busy && allowCancel;
    this.updateSendState();
  }

  /** Locks the composer (thread locked / closed); `null` unlocks. */
  setLocked(reason: string | null): void {
    this.locked = reason;
    this.textarea.disabled = reason !== null;
    this.attachBtn.disabled = reason !== null;
    this.updateSendState();
  }

  private uploading(): boolean {
    return this.files.some((f) => f.status === "uploading");
  }

  private updateSendState(): void {
    const hasContent = this.textarea.value.trim() !== "" || this.files.some((f) => f.status === "done");
    this.sendBtn.disabled = this.busy || this.locked !== null || !hasContent || this.uploading();
  }

  private autosize(): void {
    const ta = this.textarea;
    ta.style.height = "auto";
    if (ta.scrollHeight) ta.style.height = `${ta.scrollHeight}px`;
  }

  focus(): void {
    this.textarea.focus();
  }

  showMessage(text: string | null): void {
    this.message.textContent = text ?? "";
    this.message.hidden = !text;
  }

  // ---------------------------------------------------------------- submit

  private onKeyDown(ev: KeyboardEvent): void {
    if (!this.menu.hidden && this.menuPending && (ev.key === "Enter" || ev.key === "Tab")) {
      ev.preventDefault(); // a command is still choosing what comes next
      return;
    }
    if (!this.menu.hidden && this.menuOptions.length) {
      if (ev.key === "ArrowDown" || ev.key === "ArrowUp") {
        ev.preventDefault();
        const n = this.menuOptions.length;
        this.menuActive = (this.menuActive + (ev.key === "ArrowDown" ? 1 : -1) + n) % n;
        this.renderMenu();
        return;
      }
      if ((ev.key === "Enter" && !ev.isComposing) || ev.key === "Tab") {
        ev.preventDefault();
        this.menuOptions[this.menuActive]?.pick();
        return;
      }
    }
    if (ev.key === "Escape" && !this.menu.hidden) {
      ev.preventDefault();
      this.closeMenu();
      return;
    }
    if (ev.key === "Enter" && !ev.shiftKey && !ev.isComposing && ev.keyCode !== 229) {
      ev.preventDefault();
      this.submit();
    }
  }

  /** Sends what is in the composer, if anything and if allowed. */
  submit(): void {
    if (this.busy || this.locked !== null || this.uploading()) return;
    const text = this.textarea.value;
    const attachments = this.files.filter((f) => f.status === "done" && f.attachment).map((f) => f.attachment!);
    if (!text.trim() && !attachments.length) return;
    const content = this.buildContent(text);
    const tool = this.selectedTool();
    this.host.submit({ content, attachments, toolId: this.toolId, modelId: this.modelId });
    this.textarea.value = "";
    this.tags = [];
    for (const f of this.files) f.el.remove();
    this.files = [];
    this.fileList.hidden = true;
    this.showMessage(null);
    this.closeMenu();
    if (tool && !tool.persistent) this.setTool(null);
    this.autosize();
    this.updateSendState();
  }

  /** Splits the text into input_text and input_tag parts at the tags still present. */
  private buildContent(raw: string): UserMessageContent[] {
    const text = raw.trim();
    const tags = this.tags.filter((tag) => text.includes(tag.label));
    if (!tags.length) return [{ type: "input_text", text }];
    const labels = [...new Set(tags.map((tag) => tag.label))].sort((a, b) => b.length - a.length);
    const pattern = new RegExp(labels.map(escapeRegExp).join("|"), "g");
    const content: UserMessageContent[] = [];
    let last = 0;
    for (const match of text.matchAll(pattern)) {
      const index = match.index ?? 0;
      if (index > last) content.push({ type: "input_text", text: text.slice(last, index) });
      const tag = tags.find((tg) => tg.label === match[0])!;
      content.push({
        type: "input_tag",
        id: tag.entity.id,
        text: tag.entity.title,
        data: tag.entity.data ?? {},
        group: tag.entity.group ?? null,
        interactive: tag.entity.interactive ?? false,
      });
      last = index + match[0].length;
    }
    if (last < text.length) content.push({ type: "input_text", text: text.slice(last) });
    return content;
  }

  /** setComposerValue(): text or content, attachments, files, tool and model. */
  async setValue(params: {
    text?: string;
    content?: UserMessageContent[];
    attachments?: Attachment[];
    files?: File[];
    selectedToolId?: string | null;
    selectedModelId?: string;
  }): Promise<void> {
    if (params.content) {
      this.tags = [];
      let text = "";
      for (const part of params.content) {
        if (part.type === "input_text") text += part.text;
        else {
          const label = `@${part.text}`;
          this.tags.push({
            label,
            entity: {
              id: part.id,
              title: part.text,
              group: part.group ?? undefined,
              interactive: part.interactive,
              data: (part.data ?? {}) as Record<string, string>,
            },
          });
          text += label;
        }
      }
      this.textarea.value = text;
    } else if (params.text !== undefined) {
      this.textarea.value = params.text;
      this.tags = [];
    }
    if (params.attachments) {
      for (const att of params.attachments) this.addReadyAttachment(att);
    }
    if (params.selectedToolId !== undefined) this.setTool(params.selectedToolId);
    if (params.selectedModelId !== undefined && this.modelSelect) {
      this.modelId = params.selectedModelId;
      this.modelSelect.value = params.selectedModelId;
    }
    this.autosize();
    this.updateSendState();
    if (params.files?.length) await this.addFiles(params.files);
  }

  // ---------------------------------------------------------------- attachments

  private checkFile(file: File): string | null {
    const t = this.host.t();
    const config = this.host.options().composer?.attachments;
    const accept = config?.accept;
    if (accept && Object.keys(accept).length && !acceptsFile(file, accept)) {
      return t("fileTypeNotAccepted", { name: file.name });
    }
    const limit = sizeLimit(file.type, config?.maxSize);
    if (file.size > limit) {
      return t("fileTooLarge", { name: file.name, limit: formatBytes(limit, this.host.options().locale) });
    }
    return null;
  }

  async addFiles(files: File[]): Promise<void> {
    if (!this.attachmentsEnabled() || this.locked !== null) return;
    const t = this.host.t();
    const max = this.host.options().composer?.attachments?.maxCount ?? DEFAULT_MAX_COUNT;
    const problems: string[] = [];
    const accepted: File[] = [];
    for (const file of files) {
      const problem = this.checkFile(file);
      if (problem) problems.push(problem);
      else accepted.push(file);
    }
    const room = Math.max(0, max - this.files.length);
    if (accepted.length > room) {
      problems.push(t("tooManyFiles", { max }));
      accepted.length = room;
    }
    this.showMessage(problems.length ? problems.join(" ") : null);
    await Promise.all(accepted.map((file) => this.upload(file)));
  }

  private chip(name: string, onRemove: () => void): { el: HTMLElement; status: HTMLElement } {
    const t = this.host.t();
    const status = h("span", { class: "ckl-file-status" });
    const el = h("li", { class: "ckl-chip ckl-file" }, icon("file", 14), h("span", { class: "ckl-file-name", text: name }), status);
    el.append(iconButton("close", t("removeAttachment", { name }), onRemove, { size: 12 }));
    this.fileList.append(el);
    this.fileList.hidden = false;
    return { el, status };
  }

  private addReadyAttachment(att: Attachment): void {
    const key = ++this.fileKey;
    const { el } = this.chip(att.name, () => this.removeFile(key));
    this.files.push({ key, name: att.name, status: "done", attachment: att, el });
    this.updateSendState();
  }

  private async upload(file: File): Promise<void> {
    const t = this.host.t();
    const key = ++this.fileKey;
    const abort = new AbortController();
    const { el, status } = this.chip(file.name, () => this.removeFile(key));
    const entry: PendingFile = { key, name: file.name, status: "uploading", abort, el };
    this.files.push(entry);
    el.setAttribute("aria-busy", "true");
    status.append(icon("spinner", 12));
    status.setAttribute("aria-label", t("uploading", { name: file.name }));
    this.updateSendState();
    try {
      const attachment = await this.host.client.uploadAttachment(file, abort.signal);
      if (!this.files.includes(entry)) {
        // Removed while uploading: clean up on the server too.
        this.host.client.deleteAttachment(attachment.id).catch(() => undefined);
        return;
      }
      entry.status = "done";
      entry.attachment = attachment;
      el.removeAttribute("aria-busy");
      status.replaceChildren();
      status.removeAttribute("aria-label");
      const preview = attachment.type === "image" ? attachment.preview_url : null;
      if (preview) el.classList.add("ckl-file-image");
    } catch (err) {
      if (!this.files.includes(entry)) return;
      entry.status = "error";
      el.classList.add("ckl-file-error");
      el.removeAttribute("aria-busy");
      status.replaceChildren();
      this.showMessage(t("uploadFailed", { name: file.name, error: errorMessage(err) }));
    } finally {
      this.updateSendState();
    }
  }

  private removeFile(key: number): void {
    const index = this.files.findIndex((f) => f.key === key);
    if (index < 0) return;
    const [entry] = this.files.splice(index, 1);
    entry.el.remove();
    entry.abort?.abort();
    if (entry.status === "done" && entry.attachment) {
      this.host.client.deleteAttachment(entry.attachment.id).catch(() => undefined);
    }
    this.fileList.hidden = this.files.length === 0;
    this.updateSendState();
    this.textarea.focus();
  }

  // ---------------------------------------------------------------- @ tags and the "/" command menu

  private insertAt(): void {
    const ta = this.textarea;
    const pos = ta.selectionStart ?? ta.value.length;
    const before = ta.value.slice(0, pos);
    const needsSpace = before !== "" && !/\s$/.test(before);
    const insert = `${needsSpace ? " " : ""}@`;
    ta.value = before + insert + ta.value.slice(ta.selectionEnd ?? pos);
    const caret = pos + insert.length;
    ta.setSelectionRange(caret, caret);
    ta.focus();
    this.updateMenu();
  }

  /** Opens, updates or closes the menu for the text before the caret: "/cmd" at the very start
   * of the composer (commands.enabled), or "@name" after a space (entities.onTagSearch). */
  private updateMenu(): void {
    if (this.menuPending) return;
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
      if (this.menuState?.kind !== "tag") this.menuOptions = [];
      this.menuState = { kind: "tag", start: caret - query.length - 1, query };
      this.runSearch("onTagSearch", 120, async () => {
        const found = await search(query);
        return (Array.isArray(found) ? found : []).map((entity) => this.tagOption(entity));
      });
      return;
    }
    this.closeMenu();
  }

  private searchCommands(query: string): void {
    const previous = this.menuState?.kind === "command" ? this.menuState : null;
    const level = previous?.level ?? null;
    if (!previous) this.menuOptions = [];
    this.menuState = { kind: "command", start: 0, query, level };
    if (level) {
      // A menu returned by onSelect: typing narrows it down here, as there is nothing to ask.
      const q = query.toLowerCase();
      const found = level.filter((c) => c.label.toLowerCase().includes(q) || c.id.toLowerCase().includes(q));
      this.runSearch("onSelect", 0, async () => found.map((c) => this.commandOption(c)));
      return;
    }
    const onSearch = this.host.options().commands?.onSearch;
    if (!onSearch) {
      this.closeMenu();
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
    clearTimeout(this.menuTimer);
    const id = ++this.menuSearchId;
    this.openMenu();
    this.menuTimer = setTimeout(async () => {
      try {
        const found = await search();
        if (id !== this.menuSearchId) return;
        this.menuOptions = found;
        this.menuActive = 0;
        this.renderMenu();
      } catch (err) {
        if (id !== this.menuSearchId) return;
        this.menuOptions = [];
        this.renderMenu(errorMessage(err));
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

  private openMenu(): void {
    const t = this.host.t();
    this.menu.hidden = false;
    this.menu.setAttribute("aria-label", this.menuState?.kind === "command" ? t("commands") : t("mentionMenu"));
    this.textarea.setAttribute("aria-expanded", "true");
    this.textarea.setAttribute("aria-controls", this.menu.id);
    if (!this.menuOptions.length) {
      this.menu.replaceChildren(h("div", { class: "ckl-menu-note", text: t("searching") }));
      this.textarea.removeAttribute("aria-activedescendant");
    }
  }

  private closeMenu(): void {
    clearTimeout(this.menuTimer);
    this.menuSearchId++;
    this.menuState = null;
    this.menuOptions = [];
    this.menu.hidden = true;
    this.menu.removeAttribute("aria-busy");
    this.menu.replaceChildren();
    this.textarea.setAttribute("aria-expanded", "false");
    this.textarea.removeAttribute("aria-activedescendant");
  }

  private renderMenu(error?: string): void {
    this.menu.replaceChildren();
    this.menu.removeAttribute("aria-busy");
    if (!this.menuState) return;
    if (!this.menuOptions.length) {
      this.menu.append(h("div", { class: "ckl-menu-note", text: error ?? this.host.t()("noResults") }));
      this.textarea.removeAttribute("aria-activedescendant");
      return;
    }
    let group: string | undefined;
    this.menuOptions.forEach((opt, i) => {
      if (opt.group && opt.group !== group) {
        group = opt.group;
        this.menu.append(h("div", { class: "ckl-menu-group", role: "presentation", text: group }));
      }
      const id = `${this.uid}-option-${i}`;
      const active = i === this.menuActive;
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
      this.menu.append(option);
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
    this.tags.push({ entity, label });
  }

  private afterEdit(): void {
    this.textarea.focus();
    this.autosize();
    this.updateSendState();
  }

  private chooseTag(entity: Entity): void {
    const state = this.menuState;
    if (state?.kind !== "tag") return;
    this.insertTag(entity, state.start, state.start + 1 + state.query.length);
    this.closeMenu();
    this.afterEdit();
  }

  /**
   * Runs commands.onSelect. The "/query" typed to find the command goes away; then, as ChatKit
   * documents: an `entity` is inserted as a tag, a `menu` is shown as the next level, and
   * nothing (an effect only) closes the menu.
   */
  private async chooseCommand(command: Command): Promise<void> {
    const state = this.menuState;
    if (state?.kind !== "command" || this.menuPending) return;
    const ta = this.textarea;
    const start = state.start;
    ta.value = ta.value.slice(0, start) + ta.value.slice(start + 1 + state.query.length);
    ta.setSelectionRange(start, start);
    this.afterEdit();
    const onSelect = this.host.options().commands?.onSelect;
    if (!onSelect) {
      this.closeMenu();
      return;
    }
    clearTimeout(this.menuTimer);
    const id = ++this.menuSearchId;
    this.menuPending = true;
    this.menuOptions = [];
    this.openMenu();
    this.menu.setAttribute("aria-busy", "true");
    let selection: CommandSelection | void;
    try {
      selection = await onSelect(command);
    } catch (err) {
      if (id !== this.menuSearchId) return;
      console.error("chatkit-jupyter lite: onSelect failed", err);
      this.menuState = { kind: "command", start, query: "", level: [] };
      this.renderMenu(errorMessage(err));
      return;
    } finally {
      this.menuPending = false;
    }
    if (id !== this.menuSearchId) return; // closed meanwhile (Escape, sent, focus left)
    const at = Math.min(start, ta.value.length);
    if (selection?.type === "menu") {
      ta.value = `${ta.value.slice(0, at)}/${ta.value.slice(at)}`;
      ta.setSelectionRange(at + 1, at + 1);
      this.menuState = { kind: "command", start: at, query: "", level: selection.commands ?? [] };
      this.menuOptions = (selection.commands ?? []).map((c) => this.commandOption(c));
      this.menuActive = 0;
      this.renderMenu();
    } else {
      if (selection?.type === "entity") this.insertTag(selection.entity, at, at);
      this.closeMenu();
    }
    this.afterEdit();
  }

  destroy(): void {
    clearTimeout(this.menuTimer);
    for (const f of this.files) f.abort?.abort();
  }
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

function mimeMatches(pattern: string, mime: string): boolean {
  const p = pattern.trim().toLowerCase();
  const m = mime.toLowerCase();
  if (p === "*" || p === "*/*" || p === "") return true;
  if (p.endsWith("/*")) return m.startsWith(p.slice(0, -1));
  return p === m;
}

/** ChatKit's `accept`: a MIME pattern -> extensions record (as for showOpenFilePicker). */
export function acceptsFile(file: { name: string; type: string }, accept: Record<string, string[]>): boolean {
  const name = file.name.toLowerCase();
  for (const [mime, exts] of Object.entries(accept)) {
    if (file.type && mimeMatches(mime, file.type)) return true;
    for (const ext of exts ?? []) {
      const e = ext.toLowerCase().startsWith(".") ? ext.toLowerCase() : `.${ext.toLowerCase()}`;
      if (name.endsWith(e)) return true;
    }
  }
  return false;
}

/** ChatKit's `maxSize`: a number, or MIME patterns -> limits with `"*"`/`""` as the fallback. */
export function sizeLimit(mime: string, maxSize: number | Record<string, number> | undefined): number {
  if (typeof maxSize === "number") return maxSize;
  if (!maxSize) return DEFAULT_MAX_SIZE;
  let best: { specificity: number; limit: number } | null = null;
  for (const [pattern, limit] of Object.entries(maxSize)) {
    if (pattern === "*" || pattern === "") continue;
    if (mime && mimeMatches(pattern, mime)) {
      const specificity = pattern.endsWith("/*") ? 1 : 2;
      if (!best || specificity > best.specificity) best = { specificity, limit };
    }
  }
  if (best) return best.limit;
  return maxSize["*"] ?? maxSize[""] ?? DEFAULT_MAX_SIZE;
}
