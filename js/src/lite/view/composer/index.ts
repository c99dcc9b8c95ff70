// The composer: a textarea named by its placeholder, Send / Stop, and the parts around it:
// attachments (attachments.ts), composer tools and the model picker (pickers.ts), `@` entity
// tags and the "/" command menu (menu.ts). Text <-> message content is content.ts.
import { activeElement, h } from "../../../render/dom";
import type { Attachment, UserMessageContent } from "../../client/types";
import { iconButton } from "../buttons";
import { Attachments } from "./attachments";
import { buildContent, contentText, type TagRef } from "./content";
import type { ComposerHost } from "./host";
import { ComposerMenu } from "./menu";
import { ModelPicker, ToolPicker } from "./pickers";
import { TagChips } from "./tags";

export type { ComposerHost, ComposerSubmission } from "./host";

let composerCounter = 0;

export class Composer {
  readonly el: HTMLFormElement;
  readonly textarea: HTMLTextAreaElement;
  private readonly sendBtn: HTMLButtonElement;
  private readonly stopBtn: HTMLButtonElement;
  private readonly attachBtn: HTMLButtonElement;
  private readonly mentionBtn: HTMLButtonElement;
  private readonly message: HTMLElement;
  private readonly attachments: Attachments;
  private readonly menu: ComposerMenu;
  private readonly tools: ToolPicker;
  private readonly models: ModelPicker;
  private readonly chips: TagChips;
  private readonly uid = `ckl-composer-${++composerCounter}`;
  private tags: TagRef[] = [];
  private busy = false;
  private locked: string | null = null;

  constructor(private readonly host: ComposerHost) {
    const t = host.t();
    this.textarea = h("textarea", { class: "ckl-textarea", rows: 1, autocomplete: "off" });
    const focus = () => this.textarea.focus();
    const translate = () => host.t();
    const options = () => host.options();
    this.attachments = new Attachments({
      t: translate,
      options,
      client: host.client,
      showMessage: (text) => this.showMessage(text),
      changed: () => this.updateSendState(),
      focus,
      locked: () => this.locked !== null,
    });
    this.menu = new ComposerMenu({
      t: translate,
      options,
      textarea: this.textarea,
      uid: this.uid,
      addTag: (tag) => {
        this.tags.push(tag);
        this.renderChips();
      },
      edited: () => {
        focus();
        this.autosize();
        this.updateSendState();
        this.renderChips();
      },
    });
    this.chips = new TagChips({
      t: translate,
      textarea: this.textarea,
      edited: () => {
        focus();
        this.autosize();
        this.updateSendState();
        this.renderChips();
      },
    });
    this.tools = new ToolPicker({
      t: translate,
      options,
      uid: this.uid,
      changed: (toolId) => {
        this.applyPlaceholder();
        host.toolChange(toolId);
      },
      focus,
    });
    this.models = new ModelPicker({ t: translate });
    this.sendBtn = iconButton(
      "send",
      t("send"),
      (ev) => {
        // One path for click and Enter: the form's own submit would fire a second time.
        ev.preventDefault();
        this.submit();
      },
      { className: "ckl-send" },
    );
    this.sendBtn.type = "submit";
    this.stopBtn = iconButton(
      "stop",
      t("stop"),
      () => {
        host.stop();
        // The Stop button is about to disappear; keep focus somewhere useful.
        focus();
      },
      { className: "ckl-stop" },
    );
    this.stopBtn.hidden = true;
    this.attachBtn = iconButton("paperclip", t("addFiles"), () => this.attachments.pick(), { className: "ckl-attach" });
    this.mentionBtn = iconButton("at", t("mention"), () => this.menu.insertAt(), { className: "ckl-mention" });
    this.message = h("div", { class: "ckl-composer-message", role: "alert", hidden: true });
    const toolbar = h(
      "div",
      { class: "ckl-composer-bar" },
      this.attachBtn,
      this.mentionBtn,
      this.tools.el,
      h("div", { class: "ckl-spacer" }),
      this.models.el,
      this.sendBtn,
      this.stopBtn,
    );
    this.el = h(
      "form",
      { class: "ckl-composer", novalidate: true },
      this.menu.el,
      this.attachments.list,
      this.chips.list,
      this.textarea,
      toolbar,
      this.message,
      this.attachments.input,
    );
    this.wire();
    this.configure();
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
      this.menu.update();
      this.renderChips();
    });
    this.textarea.addEventListener("click", () => this.menu.update());
    this.textarea.addEventListener("blur", () => {
      // Let a click on a menu option land first.
      setTimeout(() => {
        if (!this.el.contains(activeElement())) this.menu.close();
      }, 150);
    });
    this.textarea.addEventListener("paste", (ev) => {
      const files = Array.from(ev.clipboardData?.files ?? []);
      if (files.length && this.attachments.enabled()) {
        ev.preventDefault();
        void this.attachments.add(files);
      }
    });
    this.el.addEventListener("dragover", (ev) => {
      if (this.attachments.enabled() && ev.dataTransfer?.types?.includes("Files")) {
        ev.preventDefault();
        this.el.classList.add("ckl-dragging");
      }
    });
    this.el.addEventListener("dragleave", () => this.el.classList.remove("ckl-dragging"));
    this.el.addEventListener("drop", (ev) => {
      this.el.classList.remove("ckl-dragging");
      const files = Array.from(ev.dataTransfer?.files ?? []);
      if (files.length && this.attachments.enabled()) {
        ev.preventDefault();
        void this.attachments.add(files);
      }
    });
  }

  // ---------------------------------------------------------------- configuration

  /** Applies (new) options: placeholder, attachments, tools, models, entity menu. */
  configure(): void {
    const options = this.host.options();
    const t = this.host.t();
    for (const [button, key] of [
      [this.sendBtn, "send"],
      [this.stopBtn, "stop"],
      [this.attachBtn, "addFiles"],
      [this.mentionBtn, "mention"],
    ] as const) {
      button.setAttribute("aria-label", t(key));
      button.title = t(key);
    }

    this.attachBtn.hidden = !options.composer?.attachments?.enabled;
    this.attachments.configure();

    const entities = options.entities;
    this.mentionBtn.hidden = !(entities?.onTagSearch && entities.showComposerMenu);
    const menus = Boolean(entities?.onTagSearch || options.commands?.enabled);
    this.textarea.setAttribute("aria-haspopup", menus ? "listbox" : "false");

    this.tools.render();
    this.models.render(options.composer?.models ?? []);
    this.applyPlaceholder();
    this.updateSendState();
  }

  private applyPlaceholder(): void {
    const options = this.host.options();
    const tool = this.tools.selected();
    const placeholder = tool?.placeholderOverride || options.composer?.placeholder || this.host.t()("placeholder");
    this.textarea.placeholder = placeholder;
    // The placeholder is the textbox's accessible name, as in ChatKit.
    this.textarea.setAttribute("aria-label", placeholder);
  }

  // ---------------------------------------------------------------- state

  setBusy(busy: boolean, allowCancel: boolean): void {
    const focused = document.activeElement;
    this.busy = busy;
    this.stopBtn.hidden = !(busy && allowCancel);
    this.sendBtn.hidden = busy && allowCancel;
    this.updateSendState();
    this.rescueFocus(focused);
  }

  /** Send and Stop hide or disable themselves as a response starts and ends: focus on one would be dropped. */
  private rescueFocus(focused: Element | null): void {
    const btn = focused === this.sendBtn ? this.sendBtn : focused === this.stopBtn ? this.stopBtn : null;
    if (btn && (btn.hidden || btn.disabled)) this.textarea.focus();
  }

  /** Locks the composer (thread locked / closed); `null` unlocks. */
  setLocked(reason: string | null): void {
    this.locked = reason;
    this.textarea.disabled = reason !== null;
    this.attachBtn.disabled = reason !== null;
    this.updateSendState();
  }

  private updateSendState(): void {
    const hasContent = this.textarea.value.trim() !== "" || this.attachments.ready().length > 0;
    this.sendBtn.disabled = this.busy || this.locked !== null || !hasContent || this.attachments.uploading();
  }

  /** Chips for the tags still in the text; tags whose label was deleted are forgotten. */
  private renderChips(): void {
    this.tags = TagChips.present(this.textarea.value, this.tags);
    this.chips.render(this.tags);
  }

  private autosize(): void {
    const ta = this.textarea;
    ta.style.height = "auto";
    if (ta.scrollHeight) ta.style.height = `${ta.scrollHeight}px`;
  }

  focus(): void {
    this.textarea.focus();
  }

  /** The alert line under the composer (client-side validation messages); `null` hides it. */
  showMessage(text: string | null): void {
    this.message.textContent = text ?? "";
    this.message.hidden = !text;
  }

  // ---------------------------------------------------------------- submit

  private onKeyDown(ev: KeyboardEvent): void {
    if (this.menu.onKeyDown(ev)) return;
    if (ev.key === "Enter" && !ev.shiftKey && !ev.isComposing && ev.keyCode !== 229) {
      ev.preventDefault();
      this.submit();
    }
  }

  /** Sends what is in the composer, if anything and if allowed. */
  submit(): void {
    if (this.busy || this.locked !== null || this.attachments.uploading()) return;
    const text = this.textarea.value;
    const attachments = this.attachments.ready();
    if (!text.trim() && !attachments.length) return;
    const content = buildContent(text, this.tags);
    const tool = this.tools.selected();
    this.host.submit({ content, attachments, toolId: this.tools.selectedId, modelId: this.models.selectedId });
    this.textarea.value = "";
    this.tags = [];
    this.renderChips();
    this.attachments.clear();
    this.showMessage(null);
    this.menu.close();
    if (tool && !tool.persistent) this.tools.set(null);
    this.autosize();
    this.updateSendState();
    this.rescueFocus(document.activeElement);
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
      const { text, tags } = contentText(params.content);
      this.textarea.value = text;
      this.tags = tags;
    } else if (params.text !== undefined) {
      this.textarea.value = params.text;
      this.tags = [];
    }
    if (params.attachments) {
      for (const att of params.attachments) this.attachments.addReady(att);
    }
    this.renderChips();
    if (params.selectedToolId !== undefined) this.tools.set(params.selectedToolId);
    if (params.selectedModelId !== undefined) this.models.set(params.selectedModelId);
    this.autosize();
    this.updateSendState();
    if (params.files?.length) await this.attachments.add(params.files);
  }

  destroy(): void {
    this.menu.destroy();
    this.attachments.destroy();
  }
}
