// One view per thread item. A view owns its element, takes state changes (`update` for deltas,
// `replace` for whole items) cheaply, and paints in `flush()`, which the thread view calls at
// most once per animation frame.
import type { ChatKitOptions, Entity } from "@openai/chatkit";
import { h } from "../../render/dom";
import { setMarkdown } from "../../render/md";
import { safeUrl } from "../../render/safe";
import { appendStreamingText, renderWidget, updateComponent, updateWidget, type WidgetHost } from "../../widgets";
import type { ActionConfig as WidgetActionConfig } from "../../widgets/types";
import type {
  Annotation,
  AssistantMessageItem,
  Attachment,
  ClientToolCallItem,
  GeneratedImageItem,
  Source,
  StructuredInputItem,
  StructuredInputSubmission,
  Task,
  TaskItem,
  ThreadItem,
  ThreadItemUpdate,
  UserMessageItem,
  WidgetItem,
  WorkflowItem,
} from "../client/types";
import type { Translate } from "./i18n";
import { icon } from "./icons";
import { MarkdownStream } from "./stream-md";

export interface ItemContext {
  t: Translate;
  options(): Omit<ChatKitOptions, "api">;
  colorScheme(): "light" | "dark";
  /** Image URLs pass `safeUrl` and the thread's `allowed_image_domains`. */
  imageUrl(url: string | null | undefined): string | null;
  /** The thread's `allowed_image_domains`, which widget images follow too. */
  allowedImageDomains?(): readonly string[] | null | undefined;
  onWidgetAction(
    action: WidgetActionConfig,
    meta: { formData?: Record<string, unknown>; source: HTMLElement },
    item: WidgetItem,
  ): Promise<void> | void;
  onStructuredInput(item: StructuredInputItem, input: StructuredInputSubmission): Promise<void>;
  /** Code blocks get a copy button; the view adds them after markdown renders. */
  decorateMarkdown(el: HTMLElement): void;
  /** Says something to a screen reader (a polite status line of its own). */
  announce(text: string): void;
}

export interface ItemView {
  readonly el: HTMLElement;
  item: ThreadItem;
  /** True while the server is still streaming this item. */
  streaming: boolean;
  update(update: ThreadItemUpdate): void;
  replace(item: ThreadItem, done: boolean): void;
  /** Paints pending changes; returns true if it wants another frame. */
  flush(): boolean;
  destroy?(): void;
}

export function createItemView(item: ThreadItem, ctx: ItemContext, streaming: boolean): ItemView {
  switch (item.type) {
    case "user_message":
      return new StaticView(item, ctx, streaming, renderUserMessage);
    case "assistant_message":
      return new AssistantView(item, ctx, streaming);
    case "widget":
      return new WidgetView(item, ctx, streaming);
    case "client_tool_call":
      return new StaticView(item, ctx, streaming, renderClientToolCall);
    case "task":
      return new StaticView(item, ctx, streaming, renderTaskItem);
    case "workflow":
      return new StaticView(item, ctx, streaming, renderWorkflow);
    case "generated_image":
      return new ImageView(item, ctx, streaming);
    case "structured_input":
      return new StaticView(item, ctx, streaming, renderStructuredInput);
    default:
      // end_of_turn, hidden context and types this version does not know: nothing to show.
      return new StaticView(item, ctx, streaming, () => h("div", { class: "ckl-item ckl-empty", hidden: true }));
  }
}

// ------------------------------------------------------------------ static views

type Renderer<T extends ThreadItem> = (item: T, ctx: ItemContext, view: StaticView<T>) => HTMLElement;

/** Items that are cheap to rebuild whole: they re-render on each (coalesced) change. */
class StaticView<T extends ThreadItem = ThreadItem> implements ItemView {
  el: HTMLElement;
  private dirty = false;
  /** The view's own state that survives re-renders (open <details>, image progress ...). */
  readonly state: Record<string, unknown> = {};

  constructor(
    public item: T,
    private readonly ctx: ItemContext,
    public streaming: boolean,
    private readonly render: Renderer<T>,
  ) {
    this.el = this.build();
  }

  private build(): HTMLElement {
    const el = this.render(this.item, this.ctx, this);
    if (el.matches("details")) this.state.shown = (el as HTMLDetailsElement).open;
    el.dataset.itemId = this.item.id;
    el.dataset.itemType = this.item.type;
    if (this.streaming) el.dataset.streaming = "";
    return el;
  }

  update(): void {
    this.dirty = true;
  }

  replace(item: ThreadItem, done: boolean): void {
    this.item = item as T;
    if (done) this.streaming = false;
    this.dirty = true;
  }

  flush(): boolean {
    if (!this.dirty) return false;
    this.dirty = false;
    // Keep disclosure state the user chose, and only that: a workflow the server showed open
    // while it ran still collapses when the server closes it.
    const details = this.el.matches("details") ? (this.el as HTMLDetailsElement) : null;
    if (details && details.open !== this.state.shown) this.state.open = details.open;
    const next = this.build();
    this.el.replaceWith(next);
    this.el = next;
    return false;
  }
}

function article(kind: "user" | "assistant", label: string): HTMLElement {
  return h("article", { class: `ckl-item ckl-msg ckl-${kind}`, "aria-label": label });
}

function renderUserMessage(item: UserMessageItem, ctx: ItemContext): HTMLElement {
  const el = article("user", ctx.t("you"));
  if (item.quoted_text) el.append(h("blockquote", { class: "ckl-quote", text: item.quoted_text }));
  const attachments = item.attachments ?? [];
  if (attachments.length) el.append(renderAttachmentList(attachments, ctx));
  const bubble = h("div", { class: "ckl-bubble" });
  const onClick = ctx.options().entities?.onClick;
  for (const part of item.content ?? []) {
    if (part.type === "input_text") bubble.append(part.text);
    else if (part.type === "input_tag") {
      const entity: Entity = {
        id: part.id,
        title: part.text,
        group: part.group ?? undefined,
        interactive: part.interactive,
        data: (part.data ?? {}) as Record<string, string>,
      };
      if (part.interactive && onClick) {
        const btn = h("button", { type: "button", class: "ckl-tag", text: `@${part.text}` });
        btn.addEventListener("click", () => onClick(entity));
        bubble.append(btn);
      } else bubble.append(h("span", { class: "ckl-tag", text: `@${part.text}` }));
    }
  }
  if (bubble.childNodes.length) el.append(bubble);
  return el;
}

export function renderAttachmentList(attachments: Attachment[], ctx: ItemContext): HTMLElement {
  const list = h("ul", { class: "ckl-attachments", "aria-label": ctx.t("attachment") });
  for (const att of attachments) {
    const li = h("li", { class: "ckl-attachment" });
    const preview = att.type === "image" ? ctx.imageUrl(att.preview_url) : null;
    if (preview) li.append(h("img", { src: preview, alt: att.name, class: "ckl-attachment-thumb", loading: "lazy" }));
    else li.append(icon(att.type === "image" ? "image" : "file"));
    li.append(h("span", { class: "ckl-attachment-name", text: att.name }));
    list.append(li);
  }
  return list;
}

function renderClientToolCall(item: ClientToolCallItem, ctx: ItemContext): HTMLElement {
  const pending = item.status !== "completed";
  const output = item.output as { error?: unknown } | null | undefined;
  const failed = !pending && output != null && typeof output === "object" && "error" in output;
  // A tool that ran fine leaves no trace (the reply says what it did); one that failed says so.
  const el = h("div", { class: failed ? "ckl-item ckl-tool ckl-tool-failed" : "ckl-item ckl-tool", hidden: !pending && !failed });
  el.append(icon(pending ? "spinner" : failed ? "warning" : "wrench", 14));
  const label = pending ? "toolRunning" : failed ? "toolFailed" : "toolDone";
  el.append(h("span", { text: ctx.t(label, { name: item.name }) }));
  return el;
}

// ------------------------------------------------------------------ tasks and workflows

function taskTitle(task: Task, ctx: ItemContext): string {
  if (task.title) return task.title;
  switch (task.type) {
    case "web_search":
      return task.title_query ? ctx.t("searchedFor", { query: task.title_query }) : ctx.t("workingOn");
    case "thought":
      return ctx.t("thinking");
    default:
      return ctx.t("workingOn");
  }
}

function taskIcon(task: Task): string {
  if (task.status_indicator === "loading") return "spinner";
  if (task.type === "custom" && task.icon) return task.icon;
  if (task.type === "web_search") return "globe";
  if (task.type === "thought") return "lightbulb";
  if (task.type === "file") return "document";
  if (task.type === "image") return "image";
  return task.status_indicator === "complete" ? "check" : "dot";
}

function renderSources(sources: Source[], ctx: ItemContext, className = "ckl-sources"): HTMLElement {
  const list = h("ol", { class: className });
  const onClick = ctx.options().entities?.onClick;
  for (const source of sources) {
    const li = h("li", { class: "ckl-source" });
    if (source.type === "url") {
      const href = safeUrl(source.url, "link");
      const label = source.title || source.url;
      if (href) {
        const a = h("a", { href, target: "_blank", rel: "noopener noreferrer", text: label });
        li.append(a);
      } else li.append(h("span", { text: label }));
      if (source.attribution) li.append(h("span", { class: "ckl-muted", text: ` · ${source.attribution}` }));
    } else if (source.type === "file") {
      li.append(icon("document", 14), h("span", { text: source.title || source.filename }));
    } else {
      const label = source.title || source.label || source.id;
      if (source.interactive && onClick) {
        const btn = h("button", { type: "button", class: "ckl-link-btn", text: label });
        btn.addEventListener("click", () =>
          onClick({
            id: source.id,
            title: source.title,
            interactive: true,
            data: (source.data ?? {}) as Record<string, string>,
          }),
        );
        li.append(btn);
      } else li.append(h("span", { text: label }));
    }
    if (source.description) li.append(h("div", { class: "ckl-muted ckl-source-desc", text: source.description }));
    list.append(li);
  }
  return list;
}

function renderTaskBody(task: Task, ctx: ItemContext): HTMLElement | null {
  const body = h("div", { class: "ckl-task-body" });
  if ((task.type === "custom" || task.type === "thought") && task.content) {
    const md = h("div", { class: "ckl-md" });
    setMarkdown(md, task.content);
    body.append(md);
  }
  if (task.type === "web_search") {
    if (task.queries?.length) {
      const ul = h("ul", { class: "ckl-queries" });
      for (const q of task.queries) ul.append(h("li", null, icon("search", 12), h("span", { text: q })));
      body.append(ul);
    }
    if (task.sources?.length) body.append(renderSources(task.sources, ctx));
  }
  if (task.type === "file" && task.sources?.length) body.append(renderSources(task.sources, ctx));
  return body.childNodes.length ? body : null;
}

function renderTaskItem(item: TaskItem, ctx: ItemContext, view: StaticView<TaskItem>): HTMLElement {
  const task = item.task;
  const body = renderTaskBody(task, ctx);
  const summary = h("summary", { class: "ckl-task-summary" }, icon(taskIcon(task), 14), h("span", { text: taskTitle(task, ctx) }));
  if (!body) {
    return h("div", { class: "ckl-item ckl-task" }, h("div", { class: "ckl-task-summary" }, ...Array.from(summary.childNodes)));
  }
  const details = h("details", { class: "ckl-item ckl-task" }, summary, body);
  details.open = Boolean(view.state.open);
  return details;
}

function formatDuration(seconds: number, ctx: ItemContext): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return ctx.t("seconds", { n: s });
  return ctx.t("minutes", { m: Math.floor(s / 60), s: s % 60 });
}

function renderWorkflow(item: WorkflowItem, ctx: ItemContext, view: StaticView<WorkflowItem>): HTMLElement {
  const wf = item.workflow;
  let title: string;
  let iconName = wf.type === "reasoning" ? "lightbulb" : "batch";
  const summary = wf.summary;
  if (summary && "title" in summary) {
    title = summary.title;
    if (summary.icon) iconName = summary.icon;
  } else if (summary && "duration" in summary) {
    title = ctx.t("thoughtFor", { duration: formatDuration(summary.duration, ctx) });
  } else if (view.streaming) {
    title = wf.type === "reasoning" ? ctx.t("thinking") : ctx.t("workingOn");
    iconName = "spinner";
  } else {
    const last = wf.tasks[wf.tasks.length - 1];
    title = last ? taskTitle(last, ctx) : ctx.t("workingOn");
  }
  const list = h("ol", { class: "ckl-workflow-tasks" });
  for (const task of wf.tasks ?? []) {
    const li = h("li", { class: "ckl-workflow-task" });
    li.append(h("div", { class: "ckl-task-summary" }, icon(taskIcon(task), 14), h("span", { text: taskTitle(task, ctx) })));
    const body = renderTaskBody(task, ctx);
    if (body) li.append(body);
    list.append(li);
  }
  const details = h(
    "details",
    { class: "ckl-item ckl-workflow" },
    h("summary", { class: "ckl-task-summary" }, icon(iconName, 14), h("span", { text: title })),
    list,
  );
  details.open = view.state.open === undefined ? Boolean(wf.expanded) : Boolean(view.state.open);
  return details;
}

// ------------------------------------------------------------------ structured input

function renderStructuredInput(item: StructuredInputItem, ctx: ItemContext): HTMLElement {
  const status = item.status ?? "pending";
  if (status !== "pending") {
    const el = h("div", { class: "ckl-item ckl-structured ckl-structured-done" });
    for (const input of item.inputs ?? []) {
      const answer = input.answer;
      const text =
        status === "skipped" || !answer || answer.skipped || !answer.values?.length ? ctx.t("skipped") : answer.values.join(", ");
      el.append(h("div", { class: "ckl-structured-q", text: input.question }), h("div", { class: "ckl-structured-a", text }));
    }
    return el;
  }
  const form = h("form", { class: "ckl-item ckl-structured" });
  const readers: Array<() => [string, string[]]> = [];
  let n = 0;
  for (const input of item.inputs ?? []) {
    const uid = `ckl-si-${item.id}-${n++}`;
    const fieldset = h("fieldset", { class: "ckl-structured-field" }, h("legend", { text: input.question }));
    if (input.type === "multiple_choice") {
      const kind = input.multiple ? "checkbox" : "radio";
      const boxes: HTMLInputElement[] = [];
      for (const option of input.options ?? []) {
        const box = h("input", { type: kind, name: uid, value: option.value });
        boxes.push(box);
        fieldset.append(h("label", { class: "ckl-choice" }, box, h("span", { text: option.value })));
      }
      const other = h("input", {
        type: "text",
        class: "ckl-input",
        "aria-label": `${input.question}: ${ctx.t("other")}`,
        placeholder: ctx.t("other"),
      });
      fieldset.append(other);
      readers.push(() => {
        const values = boxes.filter((b) => b.checked).map((b) => b.value);
        if (other.value.trim()) values.push(other.value.trim());
        return [input.id, input.multiple ? values : values.slice(-1)];
      });
    } else {
      if (input.description) fieldset.append(h("p", { class: "ckl-muted", text: input.description }));
      const area = h("textarea", { class: "ckl-input", rows: 2, "aria-label": input.question, placeholder: ctx.t("otherAnswer") });
      fieldset.append(area);
      readers.push(() => [input.id, area.value.trim() ? [area.value.trim()] : []]);
    }
    form.append(fieldset);
  }
  const submit = h("button", { type: "submit", class: "ckl-btn ckl-btn-primary", text: ctx.t("submit") });
  const skip = h("button", { type: "button", class: "ckl-btn", text: ctx.t("skip") });
  form.append(h("div", { class: "ckl-row" }, submit, skip));
  const send = async (skipped: boolean) => {
    submit.disabled = skip.disabled = true;
    const answers: StructuredInputSubmission["answers"] = {};
    for (const read of readers) {
      const [id, values] = read();
      answers[id] = { values: skipped ? [] : values, skipped: skipped || values.length === 0 };
    }
    try {
      await ctx.onStructuredInput(item, { status: skipped ? "skipped" : "answered", answers });
    } finally {
      submit.disabled = skip.disabled = false;
    }
  };
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    void send(false);
  });
  skip.addEventListener("click", () => void send(true));
  return form;
}

// ------------------------------------------------------------------ assistant messages

interface Part {
  el: HTMLElement;
  md: MarkdownStream;
  sources: HTMLElement | null;
  annotationCount: number;
}

class AssistantView implements ItemView {
  readonly el: HTMLElement;
  private readonly body: HTMLElement;
  private parts: Part[] = [];
  private dirty = true;

  constructor(
    public item: AssistantMessageItem,
    private readonly ctx: ItemContext,
    public streaming: boolean,
  ) {
    this.el = article("assistant", ctx.t("assistant"));
    this.el.dataset.itemId = item.id;
    this.el.dataset.itemType = item.type;
    this.body = h("div", { class: "ckl-msg-body" });
    this.el.append(this.body);
    this.syncStreamingFlag();
    if (!streaming) this.flush();
  }

  update(): void {
    this.dirty = true;
  }

  replace(item: ThreadItem, done: boolean): void {
    this.item = item as AssistantMessageItem;
    if (done) this.streaming = false;
    this.dirty = true;
  }

  private syncStreamingFlag(): void {
    if (this.streaming) this.el.dataset.streaming = "";
    else delete this.el.dataset.streaming;
    this.el.setAttribute("aria-busy", String(this.streaming));
  }

  flush(): boolean {
    if (!this.dirty) return false;
    this.dirty = false;
    let again = false;
    const content = this.item.content ?? [];
    while (this.parts.length < content.length) {
      const md = new MarkdownStream("ckl-md");
      md.onRender = (el) => this.ctx.decorateMarkdown(el);
      const el = h("div", { class: "ckl-part" }, md.el);
      this.body.append(el);
      this.parts.push({ el, md, sources: null, annotationCount: 0 });
    }
    while (this.parts.length > content.length) this.parts.pop()!.el.remove();
    content.forEach((part, i) => {
      const view = this.parts[i];
      const text = part.text ?? "";
      view.md.update(text, !this.streaming);
      // A throttled or budgeted render leaves text behind: ask for another frame.
      if (view.md.pending(text)) again = true;
      const annotations = part.annotations ?? [];
      if (annotations.length !== view.annotationCount) {
        view.annotationCount = annotations.length;
        view.sources?.remove();
        view.sources = annotations.length ? this.renderAnnotations(annotations) : null;
        if (view.sources) view.el.append(view.sources);
      }
    });
    this.syncStreamingFlag();
    if (again) this.dirty = true;
    return again;
  }

  private renderAnnotations(annotations: Annotation[]): HTMLElement {
    // One entry per distinct source, in order of first citation.
    const seen = new Set<string>();
    const sources: Source[] = [];
    for (const a of annotations) {
      const s = a.source;
      if (!s) continue;
      const key = s.type === "url" ? `u:${s.url}` : s.type === "file" ? `f:${s.filename}:${s.title}` : `e:${s.id}`;
      if (seen.has(key)) continue;
      seen.add(key);
      sources.push(s);
    }
    const section = h("section", { class: "ckl-sources-block", "aria-label": this.ctx.t("sources") });
    section.append(h("div", { class: "ckl-sources-title", text: this.ctx.t("sources") }));
    section.append(renderSources(sources, this.ctx));
    return section;
  }

  /** The message as plain text (for the copy button). */
  text(): string {
    return (this.item.content ?? []).map((c) => c.text).join("\n\n");
  }
}

// ------------------------------------------------------------------ widgets

class WidgetView implements ItemView {
  el: HTMLElement;
  private widgetEl: HTMLElement;
  private readonly host: WidgetHost;
  private pendingText = new Map<string, { delta: string; done: boolean }>();
  private pendingRoot = false;

  constructor(
    public item: WidgetItem,
    ctx: ItemContext,
    public streaming: boolean,
  ) {
    this.host = {
      onAction: (action, meta) => ctx.onWidgetAction(action, meta, this.item),
      get colorScheme() {
        return ctx.colorScheme();
      },
      // A widget built from model output must not load images a message could not.
      get allowedImageDomains() {
        return ctx.allowedImageDomains?.();
      },
    };
    this.el = h("div", { class: "ckl-item ckl-widget" });
    this.el.dataset.itemId = item.id;
    this.el.dataset.itemType = item.type;
    this.widgetEl = this.renderRoot();
    this.el.append(this.widgetEl);
  }

  private renderRoot(): HTMLElement {
    try {
      return renderWidget(this.item.widget, this.host);
    } catch (err) {
      console.error("chatkit-jupyter lite: widget failed to render", err);
      return h("div", { class: "ckl-widget-error", text: String((err as Error)?.message ?? err) });
    }
  }

  update(update: ThreadItemUpdate): void {
    switch (update.type) {
      case "widget.streaming_text.value_delta": {
        const prev = this.pendingText.get(update.component_id);
        this.pendingText.set(update.component_id, {
          delta: (prev?.delta ?? "") + update.delta,
          done: update.done,
        });
        return;
      }
      case "widget.root.updated":
        // The new root already holds all text streamed so far.
        this.pendingText.clear();
        this.pendingRoot = true;
        return;
      case "widget.component.updated":
        this.flushText();
        this.pendingText.delete(update.component_id);
        try {
          updateComponent(this.widgetEl, update.component_id, update.component, this.host);
        } catch (err) {
          console.error("chatkit-jupyter lite: widget update failed", err);
          this.pendingRoot = true;
        }
        return;
      default:
        return;
    }
  }

  replace(item: ThreadItem, done: boolean): void {
    this.item = item as WidgetItem;
    if (done) this.streaming = false;
    this.pendingText.clear();
    this.pendingRoot = true;
  }

  private flushText(): void {
    for (const [id, { delta, done }] of this.pendingText) {
      try {
        appendStreamingText(this.widgetEl, id, delta, done);
      } catch (err) {
        console.error("chatkit-jupyter lite: widget text update failed", err);
        this.pendingRoot = true;
      }
    }
    this.pendingText.clear();
  }

  flush(): boolean {
    if (this.pendingRoot) {
      this.pendingRoot = false;
      try {
        updateWidget(this.widgetEl, this.item.widget, this.host);
      } catch {
        const next = this.renderRoot();
        this.widgetEl.replaceWith(next);
        this.widgetEl = next;
      }
    }
    this.flushText();
    return false;
  }
}

// ------------------------------------------------------------------ generated images

class ImageView implements ItemView {
  el: HTMLElement;
  private progress: number | null = null;
  private dirty = false;

  constructor(
    public item: GeneratedImageItem,
    private readonly ctx: ItemContext,
    public streaming: boolean,
  ) {
    this.el = this.render();
  }

  private render(): HTMLElement {
    const fig = h("figure", { class: "ckl-item ckl-generated-image" });
    fig.dataset.itemId = this.item.id;
    fig.dataset.itemType = this.item.type;
    const image = this.item.image;
    const src = image ? this.ctx.imageUrl(image.url) : null;
    if (image && src) {
      fig.append(h("img", { src, alt: this.ctx.t("generatedImage"), loading: "lazy" }));
    } else if (image && !src) {
      fig.append(h("div", { class: "ckl-image-placeholder", text: this.ctx.t("imageBlocked") }));
    } else {
      const placeholder = h(
        "div",
        { class: "ckl-image-placeholder", role: "status" },
        icon("spinner", 16),
        h("span", { text: this.ctx.t("generatingImage") }),
      );
      if (this.progress !== null) {
        const bar = h("progress", { max: 1, "aria-label": this.ctx.t("generatingImage") });
        bar.value = this.progress;
        placeholder.append(bar);
      }
      fig.append(placeholder);
    }
    return fig;
  }

  update(update: ThreadItemUpdate): void {
    if (update.type === "generated_image.updated") this.progress = update.progress ?? null;
    this.dirty = true;
  }

  replace(item: ThreadItem, done: boolean): void {
    this.item = item as GeneratedImageItem;
    if (done) this.streaming = false;
    this.dirty = true;
  }

  flush(): boolean {
    if (!this.dirty) return false;
    this.dirty = false;
    const next = this.render();
    this.el.replaceWith(next);
    this.el = next;
    return false;
  }
}

export function isAssistantView(view: ItemView): view is ItemView & { text(): string } {
  return view instanceof AssistantView;
}
