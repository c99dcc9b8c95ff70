// The lite renderer: an open ChatKit client that speaks the ChatKit protocol through the host's
// fetch (the comm bridge) and renders with plain DOM. It takes ChatKit's own options and emits
// the same `chatkit.*` events as <openai-chatkit>, so the host treats both renderers alike.
import type { ChatKitOptions, UserMessageContent as CKUserMessageContent } from "@openai/chatkit";
import { copyText, dispatch, h } from "../render/dom";
import { setMarkdown } from "../render/md";
import { safeImageUrl } from "../render/safe";
import { setWidgetColorScheme } from "../widgets";
import type { ActionConfig as WidgetActionConfig } from "../widgets/types";
import { ChatClient, errorMessage, type PushedMessage } from "./client/client";
import type { Attachment, ThreadMetadata, UserMessageContent, WidgetItem } from "./client/types";
import { iconButton, showCopied } from "./view/buttons";
import { Composer, type ComposerSubmission } from "./view/composer";
import { HistoryPanel } from "./view/history";
import { type Translate, translator } from "./view/i18n";
import { icon } from "./view/icons";
import type { ItemContext } from "./view/items";
import { applyTheme, type ColorScheme, themeOption } from "./view/theme";
import { ThreadView } from "./view/thread";
import "./lite.css";

export type LiteOptions = Omit<ChatKitOptions, "api">;

export interface LiteHost {
  /** The comm bridge; every request is a POST to `apiUrl` with JSON `{type, params, metadata}`. */
  fetch: typeof fetch;
  /** Placeholder URL to POST to. */
  apiUrl: string;
  /** JupyterLab's theme, used when options.theme sets no colorScheme. */
  colorScheme(): "light" | "dark";
  /**
   * Turns the host runs itself (Python's `ask`), pushed to every view: the view shows them as it
   * shows its own stream. Returns an unsubscribe.
   */
  onPushed?(listener: (message: PushedMessage, data: Uint8Array | null) => void): () => void;
  /** Stops a pushed turn (the stop button while one is on screen). */
  stopPushed?(id: string): void;
}

export interface LiteController {
  setOptions(options: LiteOptions): void;
  destroy(): void;
  element: HTMLElement;
}

/** The imperative commands of <openai-chatkit>, for hosts that want them. */
export interface LiteInstance extends LiteController {
  focusComposer(): Promise<void>;
  setThreadId(threadId: string | null): Promise<void>;
  sendUserMessage(params: {
    text?: string;
    content?: CKUserMessageContent[];
    reply?: string;
    attachments?: Attachment[];
    newThread?: boolean;
    toolChoice?: { id: string };
    model?: string;
  }): Promise<void>;
  setComposerValue(params: Parameters<Composer["setValue"]>[0]): Promise<void>;
  sendCustomAction(action: { type: string; payload?: Record<string, unknown> }, itemId?: string): Promise<void>;
  showHistory(): Promise<void>;
  hideHistory(): Promise<void>;
  fetchUpdates(): Promise<void>;
}

export function mountLite(el: HTMLElement, options: LiteOptions, host: LiteHost): LiteInstance {
  return new Lite(el, options, host);
}

class Lite implements LiteInstance {
  readonly element: HTMLElement;
  private options: LiteOptions;
  private t: Translate;
  private locale: string | undefined;
  private scheme: ColorScheme = "light";
  private themeVars = new Set<string>();
  private readonly client: ChatClient;
  private readonly view: ThreadView;
  private readonly composer: Composer;
  private readonly history: HistoryPanel;
  private readonly header: HTMLElement;
  private readonly start: HTMLElement;
  private readonly disclaimer: HTMLElement;
  private readonly lockNote: HTMLElement;
  private readonly announcer: HTMLElement;
  private readonly cleanups: Array<() => void> = [];
  private destroyed = false;

  constructor(
    private readonly container: HTMLElement,
    options: LiteOptions,
    private readonly host: LiteHost,
  ) {
    this.options = options ?? {};
    this.locale = this.options.locale;
    this.t = translator(this.locale);
    this.element = h("div", { class: "ckl-root", role: "region" });
    this.client = new ChatClient({
      fetch: host.fetch,
      apiUrl: host.apiUrl,
      onClientTool: () => this.options.onClientTool,
      stopPushed: (id) => host.stopPushed?.(id),
    });

    const ctx: ItemContext = {
      t: (key, vars) => this.t(key, vars),
      options: () => this.options,
      colorScheme: () => this.scheme,
      imageUrl: (url) => this.imageUrl(url),
      allowedImageDomains: () => this.client.thread?.allowed_image_domains,
      onWidgetAction: (action, meta, item) => this.widgetAction(action, meta, item),
      onStructuredInput: (item, input) => this.client.addStructuredInput(item.id, input),
      decorateMarkdown: (node) => this.decorateMarkdown(node),
      announce: (text) => this.announce(text),
    };
    this.view = new ThreadView({
      ctx,
      client: this.client,
      feedback: () => Boolean(this.options.threadItemActions?.feedback),
      retry: () => Boolean(this.options.threadItemActions?.retry),
      // ChatKit's documented default is false (it pins the new message to the top instead);
      // we follow the stream unless told not to, and never while the user has scrolled up.
      autoScroll: () => this.options.thread?.autoScroll ?? true,
      onFeedback: (ids, kind) =>
        this.client.feedback(ids, kind).then(
          () => true,
          (err) => {
            this.reportError(err);
            return false;
          },
        ),
      focusComposer: () => this.composer.focus(),
    });
    this.composer = new Composer({
      t: () => this.t,
      options: () => this.options,
      client: this.client,
      submit: (s) => void this.submit(s),
      stop: () => this.client.cancel(),
      toolChange: (toolId) => dispatch(this.element, "chatkit.tool.change", { toolId }),
    });
    this.history = new HistoryPanel({
      t: () => this.t,
      options: () => this.options,
      client: this.client,
      open: (id) => {
        // A failure is shown in the chat already.
        this.setThreadId(id).catch(() => undefined);
        void this.hideHistory();
      },
      close: () => void this.hideHistory(),
    });

    this.header = h("header", { class: "ckl-header" });
    this.start = h("div", { class: "ckl-start" });
    this.view.scroller.prepend(this.start);
    this.disclaimer = h("div", { class: "ckl-disclaimer" });
    this.lockNote = h("div", { class: "ckl-lock-note", role: "status", hidden: true });
    const main = h(
      "div",
      { class: "ckl-main" },
      this.view.el,
      h("div", { class: "ckl-composer-area" }, this.lockNote, this.composer.el, this.disclaimer),
    );
    this.announcer = h("div", { class: "ckl-sr-only", role: "status" });
    this.element.append(this.header, h("div", { class: "ckl-body" }, main, this.history.el), this.announcer);
    container.append(this.element);

    this.listen();
    if (host.onPushed) this.cleanups.push(host.onPushed((message, data) => this.client.push(message, data)));
    this.applyOptions(true);
    this.watchHostTheme();

    queueMicrotask(() => {
      if (!this.destroyed) dispatch(this.element, "chatkit.ready");
    });
    const initial = this.options.initialThread;
    if (typeof initial === "string" && initial) void this.client.loadThread(initial);
  }

  // ---------------------------------------------------------------- wiring

  private listen(): void {
    const c = this.client;
    const root = this.element;
    const off = this.cleanups;
    off.push(c.on("busy", ({ busy, allowCancel }) => this.composer.setBusy(busy, allowCancel)));
    off.push(c.on("responseStart", () => dispatch(root, "chatkit.response.start")));
    off.push(c.on("responseEnd", () => dispatch(root, "chatkit.response.end")));
    off.push(
      c.on("threadChange", ({ threadId }) => {
        dispatch(root, "chatkit.thread.change", { threadId });
        this.renderStart();
      }),
    );
    off.push(
      c.on("threadUpdate", ({ thread }) => {
        this.renderHeader();
        this.applyStatus(thread);
      }),
    );
    off.push(c.on("itemAdded", () => this.renderStart()));
    off.push(c.on("itemsReset", () => this.renderStart()));
    off.push(c.on("effect", (e) => dispatch(root, "chatkit.effect", e)));
    off.push(c.on("log", (e) => dispatch(root, "chatkit.log", e)));
    off.push(c.on("error", (e) => dispatch(root, "chatkit.error", { error: e.error })));
    off.push(c.on("loadStart", (e) => dispatch(root, "chatkit.thread.load.start", e)));
    off.push(c.on("loadEnd", (e) => dispatch(root, "chatkit.thread.load.end", e)));
  }

  private watchHostTheme(): void {
    const update = () => {
      if (!this.destroyed && !themeOption(this.options.theme).colorScheme) this.applyThemeNow();
    };
    if (typeof MutationObserver !== "undefined" && typeof document !== "undefined") {
      // JupyterLab flips data-jp-theme-light on <body> when the theme changes.
      const observer = new MutationObserver(update);
      observer.observe(document.body, { attributes: true, attributeFilter: ["data-jp-theme-light", "data-jp-theme-name", "class"] });
      this.cleanups.push(() => observer.disconnect());
    }
    const media = typeof window !== "undefined" ? window.matchMedia?.("(prefers-color-scheme: dark)") : undefined;
    if (media?.addEventListener) {
      media.addEventListener("change", update);
      this.cleanups.push(() => media.removeEventListener("change", update));
    }
  }

  // ---------------------------------------------------------------- options

  setOptions(options: LiteOptions): void {
    // Like <openai-chatkit>: a full replacement, not a merge.
    this.options = options ?? {};
    this.applyOptions(false);
  }

  private applyOptions(first: boolean): void {
    const localeChanged = this.options.locale !== this.locale;
    if (localeChanged || first) {
      this.locale = this.options.locale;
      this.t = translator(this.locale);
    }
    this.element.setAttribute("aria-label", this.options.frameTitle || this.t("chat"));
    this.applyThemeNow();
    this.renderHeader();
    this.renderStart();
    this.renderDisclaimer();
    this.composer.configure();
    this.applyStatus(this.client.thread);
    if (!first && localeChanged) {
      this.history.relabel();
      this.view.rerender();
    } else if (!first) {
      this.view.refreshActions();
    }
    if (this.options.history?.enabled === false && this.history.isOpen) void this.hideHistory();
  }

  private applyThemeNow(): void {
    const theme = themeOption(this.options.theme);
    const scheme = theme.colorScheme ?? safeScheme(this.host.colorScheme);
    const changed = scheme !== this.scheme;
    this.scheme = scheme;
    this.themeVars = applyTheme(this.element, theme, scheme, this.themeVars);
    // Widgets resolve {light, dark} colours when they paint; repaint them on a switch.
    if (changed) {
      for (const el of Array.from(this.element.querySelectorAll<HTMLElement>(".ckl-widget > .ckw-root"))) {
        setWidgetColorScheme(el, scheme);
      }
    }
  }

  private renderHeader(): void {
    const header = this.options.header;
    const t = this.t;
    // The header is rebuilt (a new title, new options): a button with focus gets it back after.
    const active = document.activeElement;
    const focused = active instanceof HTMLElement && this.header.contains(active) ? active.className : null;
    this.header.replaceChildren();
    this.header.hidden = header?.enabled === false;
    if (this.header.hidden) return;
    if (header?.leftAction) {
      const action = header.leftAction;
      this.header.append(iconButton(action.icon, headerIconLabel(action.icon), () => action.onClick(), { className: "ckl-header-left" }));
    }
    const titleEnabled = header?.title?.enabled !== false;
    const thread = this.client.thread;
    const text = header?.title?.text ?? (thread ? thread.title || t("newChat") : t("newChat"));
    // Without a title there is no heading (an empty one is still read out as "heading").
    if (titleEnabled) this.header.append(h("h2", { class: "ckl-title", text }));
    this.header.append(h("div", { class: "ckl-spacer" }));
    if (this.options.history?.enabled !== false) {
      const btn = iconButton("history", t("history"), () => void (this.history.isOpen ? this.hideHistory() : this.showHistory()), {
        className: "ckl-history-btn",
      });
      btn.setAttribute("aria-expanded", String(this.history.isOpen));
      this.header.append(btn);
    }
    this.header.append(
      iconButton("compose", t("newChat"), () => void this.setThreadId(null).catch(() => undefined), { className: "ckl-new-chat" }),
    );
    if (header?.rightAction) {
      const action = header.rightAction;
      this.header.append(iconButton(action.icon, headerIconLabel(action.icon), () => action.onClick(), { className: "ckl-header-right" }));
    }
    const again = focused ? Array.from(this.header.querySelectorAll("button")).find((b) => b.className === focused) : null;
    again?.focus();
  }

  private renderStart(): void {
    const empty = this.client.threadId === null && this.client.items.length === 0;
    this.start.hidden = !empty;
    this.element.classList.toggle("ckl-is-new", empty);
    if (!empty) return;
    const screen = this.options.startScreen;
    const key = JSON.stringify([screen, this.locale]);
    if (this.start.dataset.key === key) return;
    this.start.dataset.key = key;
    this.start.replaceChildren(h("h2", { class: "ckl-greeting", text: screen?.greeting || this.t("greeting") }));
    const prompts = screen?.prompts ?? [];
    if (prompts.length) {
      const list = h("div", { class: "ckl-prompts" });
      for (const prompt of prompts) {
        const btn = h("button", { type: "button", class: "ckl-prompt" });
        if (prompt.icon) btn.append(icon(prompt.icon, 16));
        btn.append(h("span", { text: prompt.label }));
        btn.addEventListener("click", () => {
          const content: UserMessageContent[] =
            typeof prompt.prompt === "string" ? [{ type: "input_text", text: prompt.prompt }] : (prompt.prompt as UserMessageContent[]);
          // The start screen (and this button) goes away: keep focus where the next message is typed.
          this.composer.focus();
          void this.send(content, [], null, null);
        });
        list.append(btn);
      }
      this.start.append(list);
    }
  }

  private renderDisclaimer(): void {
    const disclaimer = this.options.disclaimer;
    this.disclaimer.hidden = !disclaimer?.text;
    this.disclaimer.classList.toggle("ckl-high-contrast", Boolean(disclaimer?.highContrast));
    if (disclaimer?.text) setMarkdown(this.disclaimer, disclaimer.text);
    else this.disclaimer.replaceChildren();
  }

  private applyStatus(thread: ThreadMetadata | null): void {
    const status = thread?.status;
    if (status && status.type !== "active") {
      const reason = status.reason || this.t(status.type === "locked" ? "threadLocked" : "threadClosed");
      this.lockNote.textContent = reason;
      this.lockNote.hidden = false;
      this.composer.setLocked(reason);
    } else {
      this.lockNote.hidden = true;
      this.composer.setLocked(null);
    }
  }

  // ---------------------------------------------------------------- actions

  private async submit(s: ComposerSubmission): Promise<void> {
    await this.send(s.content, s.attachments, s.toolId, s.modelId);
  }

  private async send(
    content: UserMessageContent[],
    attachments: Attachment[],
    toolId: string | null,
    modelId: string | null,
    quoted?: string | null,
  ): Promise<void> {
    const inference_options: { tool_choice?: { id: string }; model?: string } = {};
    if (toolId) inference_options.tool_choice = { id: toolId };
    if (modelId) inference_options.model = modelId;
    await this.client.sendUserMessage(
      {
        content,
        attachments: attachments.map((a) => a.id),
        quoted_text: quoted ?? null,
        inference_options,
      },
      { attachments },
    );
  }

  private async widgetAction(
    action: WidgetActionConfig,
    _meta: { formData?: Record<string, unknown>; source: HTMLElement },
    item: WidgetItem,
  ): Promise<void> {
    // The widget renderer has already merged Form values (`meta.formData`) into the payload.
    // The server's Action is {type, payload}; handler / loadingBehavior stay on this side.
    const sent: { type: string; payload?: unknown } = { type: action.type };
    if (action.payload !== undefined && action.payload !== null) sent.payload = action.payload;
    try {
      if (action.handler === "client") {
        const onAction = this.options.widgets?.onAction;
        if (!onAction) throw new Error(`No widgets.onAction handler for the client action "${action.type}".`);
        // @openai/chatkit types the payload as an object; chatkit-python's ActionConfig allows any JSON.
        await onAction(sent as Parameters<typeof onAction>[0], {
          id: item.id,
          widget: item.widget,
        });
      } else {
        await this.client.customAction(sent, item.id, action.streaming !== false);
      }
    } catch (err) {
      this.reportError(err);
    }
  }

  private reportError(err: unknown): void {
    const error = err instanceof Error ? err : new Error(errorMessage(err));
    dispatch(this.element, "chatkit.error", { error });
    this.composer.showMessage(error.message);
  }

  private announce(text: string): void {
    // Cleared first so the same words twice are heard twice.
    this.announcer.textContent = "";
    queueMicrotask(() => {
      this.announcer.textContent = text;
    });
  }

  private imageUrl(url: string | null | undefined): string | null {
    return safeImageUrl(url, this.client.thread?.allowed_image_domains);
  }

  /** Adds a copy button to each rendered code block. */
  private decorateMarkdown(node: HTMLElement): void {
    for (const pre of Array.from(node.querySelectorAll("pre"))) {
      if (pre.parentElement?.classList.contains("ckl-code")) continue;
      const wrap = h("div", { class: "ckl-code" });
      pre.replaceWith(wrap);
      const btn = iconButton(
        "copy",
        this.t("copyCode"),
        async () => {
          if (await copyText(pre.textContent ?? "")) showCopied(btn, this.t("copied"), this.t("copyCode"), (text) => this.announce(text));
        },
        { className: "ckl-code-copy", size: 14 },
      );
      wrap.append(pre, btn);
    }
  }

  // ---------------------------------------------------------------- imperative API

  async focusComposer(): Promise<void> {
    this.composer.focus();
  }

  async setThreadId(threadId: string | null): Promise<void> {
    const shown = await this.client.loadThread(threadId);
    this.renderHeader();
    this.renderStart();
    if (threadId === null) this.composer.focus();
    // The chat shows why already; a caller (a command from Python) learns it too.
    if (!shown && this.client.threadId !== threadId) throw new Error(`Thread ${threadId} could not be opened.`);
  }

  async sendUserMessage(params: Parameters<LiteInstance["sendUserMessage"]>[0]): Promise<void> {
    this.refuseWhileBusy("send a message");
    if (params.newThread && this.client.threadId) await this.client.loadThread(null);
    const content: UserMessageContent[] = (params.content as UserMessageContent[] | undefined) ?? [
      { type: "input_text", text: params.text ?? "" },
    ];
    await this.send(content, params.attachments ?? [], params.toolChoice?.id ?? null, params.model ?? null, params.reply);
  }

  async setComposerValue(params: Parameters<Composer["setValue"]>[0]): Promise<void> {
    await this.composer.setValue(params);
  }

  async sendCustomAction(action: { type: string; payload?: Record<string, unknown> }, itemId?: string): Promise<void> {
    this.refuseWhileBusy("send an action");
    await this.client.customAction(action, itemId ?? null);
  }

  /** The client drops a second request while one streams; a caller must hear why. */
  private refuseWhileBusy(what: string): void {
    if (this.client.busy) throw new Error(`Cannot ${what} while a response is still streaming; wait for it to end (or stop it).`);
  }

  async showHistory(): Promise<void> {
    if (this.history.isOpen || this.options.history?.enabled === false) return;
    this.history.show();
    this.element.classList.add("ckl-history-open");
    this.renderHeader();
    dispatch(this.element, "chatkit.history.open");
  }

  async hideHistory(): Promise<void> {
    if (!this.history.isOpen) return;
    this.history.hide();
    this.element.classList.remove("ckl-history-open");
    this.renderHeader();
    (this.header.querySelector(".ckl-history-btn") as HTMLElement | null)?.focus();
    dispatch(this.element, "chatkit.history.close");
  }

  async fetchUpdates(): Promise<void> {
    await this.client.fetchUpdates();
  }

  /** Paints pending frames now and waits for batched rendering (for tests). */
  async settle(): Promise<void> {
    await this.view.idle();
    this.view.flushNow();
    await this.view.actionsIdle();
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    for (const off of this.cleanups) off();
    this.client.destroy();
    this.view.destroy();
    this.composer.destroy();
    this.element.remove();
    void this.container;
  }
}

function safeScheme(fn: () => "light" | "dark"): ColorScheme {
  try {
    return fn() === "dark" ? "dark" : "light";
  } catch {
    return "light";
  }
}

function headerIconLabel(name: string): string {
  // Header actions have no label option; the icon name is the best name we have.
  return name.replace(/[-_]/g, " ");
}
