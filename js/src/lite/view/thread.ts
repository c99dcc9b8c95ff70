// The thread view: the `role="log"` region with one view per item, progress, notices, errors,
// per-response actions and scrolling. It listens to the client and paints once per frame.

import { copyText, h } from "../../render/dom";
import { setMarkdown } from "../../render/md";
import type { ChatClient, LiteError, Notice } from "../client/client";
import { isHidden, OPTIMISTIC_PREFIX } from "../client/client";
import type { ThreadItem } from "../client/types";
import { afterNextPaint, FrameTask, Slice } from "../schedule";
import { iconButton, showCopied } from "./buttons";
import { icon } from "./icons";
import { createItemView, type ItemContext, type ItemView, isAssistantView } from "./items";

/** Distance from the bottom (px) within which the view keeps following new content. */
const STICK_THRESHOLD = 48;
/**
 * Work (ms) per slice when a whole thread is opened; each slice gets its own frame, which with
 * style, layout and paint stays well under 50 ms and keeps up with pages arriving.
 */
const SLICE_MS = 12;

/** A page of items waiting to be painted, from `next` down, before `cursor`. */
interface Batch {
  items: ThreadItem[];
  next: number;
  cursor: Node;
  marker: Comment;
  token: number;
}

export interface ThreadViewOptions {
  ctx: ItemContext;
  client: ChatClient;
  feedback(): boolean;
  retry(): boolean;
  autoScroll(): boolean;
  /** Resolves to whether the server took it (a failure is reported by the host). */
  onFeedback(itemIds: string[], kind: "positive" | "negative"): Promise<boolean>;
  /** Where focus goes when the button that had it goes away (Retry removes its own turn). */
  focusComposer(): void;
}

export class ThreadView {
  /** The scroll container (start screen + log + status). */
  readonly scroller: HTMLElement;
  readonly log: HTMLElement;
  private readonly status: HTMLElement;
  private readonly toBottom: HTMLButtonElement;
  readonly el: HTMLElement;
  private readonly views = new Map<string, ItemView>();
  private readonly dirty = new Set<ItemView>();
  private readonly frame: FrameTask;
  private readonly unsubscribe: Array<() => void> = [];
  private errorEls: HTMLElement[] = [];
  private readonly actionBars = new Map<string, { el: HTMLElement; sig: string }>();
  private actionsToken = 0;
  private actionsDone: Promise<void> = Promise.resolve();
  private stick = true;
  /** scrollTop at the last scroll event. */
  private lastTop = 0;
  private resize: ResizeObserver | null = null;
  /**
   * True once the ResizeObserver has reported: from then on it alone keeps the bottom in view.
   * Its callbacks run right after layout, so reading scrollHeight there costs nothing, where a
   * read right after painting new markdown (in the frame callback) forces a layout of its own.
   * (Engines without layout, like the test DOM, never report: the paint follows instead.)
   */
  private resizeReports = false;
  private renderToken = 0;
  private progressText: { icon?: string | null; text: string } | null = null;
  private busy = false;
  private loading = false;

  constructor(private readonly opts: ThreadViewOptions) {
    const { ctx } = opts;
    this.log = h("div", {
      class: "ckl-log",
      role: "log",
      "aria-live": "polite",
      "aria-relevant": "additions",
      "aria-label": ctx.t("conversation"),
    });
    this.status = h("div", { class: "ckl-progress", role: "status", "aria-live": "polite" });
    this.scroller = h("div", { class: "ckl-scroll" }, this.log, this.status);
    this.toBottom = iconButton("arrow-down", ctx.t("scrollToBottom"), () => this.toBottomClicked(), {
      className: "ckl-to-bottom",
    });
    this.toBottom.hidden = true;
    this.el = h("div", { class: "ckl-thread" }, this.scroller, this.toBottom);
    this.frame = new FrameTask(() => this.paint());
    this.scroller.addEventListener("scroll", () => this.onScroll(), { passive: true });
    if (typeof ResizeObserver !== "undefined") {
      // Anything that changes the size of the log or the status line (streamed text, a widget,
      // an image, a thread being opened) while we follow the bottom keeps the bottom in view.
      this.resize = new ResizeObserver(() => {
        this.resizeReports = true;
        this.followBottom();
      });
      this.resize.observe(this.log);
      this.resize.observe(this.status);
    }
    this.listen();
  }

  private get ctx(): ItemContext {
    return this.opts.ctx;
  }

  private listen(): void {
    const c = this.opts.client;
    const on = this.unsubscribe;
    on.push(c.on("itemsReset", ({ items }) => void this.reset(items)));
    on.push(c.on("itemsAppended", ({ items }) => void this.appendBatch(items, this.renderToken)));
    on.push(
      c.on("itemAdded", ({ item, done }) => {
        if (this.views.has(item.id)) return;
        const view = createItemView(item, this.ctx, !done);
        this.views.set(item.id, view);
        this.log.append(view.el);
        this.touch(view);
        // Sending always brings your own message into view.
        if (item.type === "user_message") this.scrollToBottom(true);
      }),
    );
    on.push(
      c.on("itemUpdated", ({ item, update }) => {
        const view = this.views.get(item.id);
        if (!view) return;
        view.update(update);
        this.touch(view);
      }),
    );
    on.push(
      c.on("itemReplaced", ({ item, previousId, done }) => {
        const key = previousId ?? item.id;
        const view = this.views.get(key);
        if (!view) return;
        if (previousId) {
          this.views.delete(previousId);
          this.views.set(item.id, view);
        }
        if (view.item.type !== item.type) {
          const next = createItemView(item, this.ctx, !done);
          view.el.replaceWith(next.el);
          view.destroy?.();
          this.dirty.delete(view);
          this.views.set(item.id, next);
          this.touch(next);
          return;
        }
        view.replace(item, done);
        view.el.dataset.itemId = item.id;
        this.touch(view);
      }),
    );
    on.push(
      c.on("itemRemoved", ({ id }) => {
        const view = this.views.get(id);
        if (!view) return;
        view.el.remove();
        view.destroy?.();
        this.dirty.delete(view);
        this.views.delete(id);
      }),
    );
    on.push(
      c.on("busy", ({ busy }) => {
        const was = this.busy;
        this.busy = busy;
        if (was && !busy) {
          // The response is over (finished, stopped or broken): nothing streams any more.
          for (const view of this.views.values()) {
            if (view.streaming) {
              view.replace(view.item, true);
              this.dirty.add(view);
            }
          }
          this.paint();
          this.refreshActions();
        } else if (busy) {
          this.clearActionsOfLastTurn();
        }
        // The client takes one response at a time: Retry on an earlier turn would do nothing.
        for (const btn of Array.from(this.log.querySelectorAll<HTMLButtonElement>(".ckl-turn-retry"))) btn.disabled = busy;
        this.renderStatus();
      }),
    );
    on.push(
      c.on("progress", (p) => {
        this.progressText = p;
        this.renderStatus();
      }),
    );
    on.push(c.on("notice", (n) => this.showNotice(n)));
    on.push(c.on("error", (e) => this.showError(e)));
    on.push(c.on("clearErrors", () => this.clearErrors()));
    on.push(
      c.on("loadStart", () => {
        this.loading = true;
        this.setQuiet(true);
        this.renderStatus();
      }),
    );
    on.push(
      c.on("loadEnd", () => {
        this.loading = false;
        this.renderStatus();
        // Actions go on once every page is painted.
        void this.idle().then(() => {
          if (!this.loading) this.setQuiet(false);
          this.refreshActions();
          this.scrollToBottom(true);
        });
      }),
    );
  }

  /**
   * A thread being opened adds every item to the log at once; as a live region it would read the
   * whole conversation out. It is quiet until the thread is painted, then announces new replies.
   */
  private setQuiet(quiet: boolean): void {
    this.log.setAttribute("aria-live", quiet ? "off" : "polite");
    this.log.setAttribute("aria-busy", String(quiet));
  }

  private touch(view: ItemView): void {
    this.dirty.add(view);
    this.frame.schedule();
    this.renderStatus();
  }

  /** Paints every dirty item; called once per animation frame. */
  private paint(): void {
    const again: ItemView[] = [];
    for (const view of this.dirty) {
      try {
        if (view.flush()) again.push(view);
      } catch (err) {
        console.error("chatkit-jupyter lite: item render failed", err);
      }
    }
    this.dirty.clear();
    for (const view of again) this.dirty.add(view);
    if (again.length) this.frame.schedule();
    // Where the ResizeObserver works it follows, after layout; scrolling here would force it.
    this.followAfterLayout();
  }

  /** Paints now (tests, and before measuring). */
  flushNow(): void {
    this.frame.flush();
    if (this.dirty.size) this.paint();
  }

  // ---------------------------------------------------------------- whole threads

  private async reset(items: ThreadItem[]): Promise<void> {
    const token = ++this.renderToken;
    for (const view of this.views.values()) view.destroy?.();
    this.views.clear();
    this.dirty.clear();
    this.errorEls = [];
    this.actionBars.clear();
    this.actionsToken++;
    this.log.replaceChildren();
    this.batches = [];
    this.stick = true;
    this.lastTop = 0;
    await this.appendBatch(items, token);
  }

  /** Pages of a thread being opened that are not (fully) painted yet, oldest first. */
  private batches: Batch[] = [];
  private working = false;
  private workDone: Promise<void> = Promise.resolve();

  /**
   * Queues items for rendering. Their place in the log is taken now (a marker at the end), so
   * pages can be painted in any order: the newest page first, because its last items are what
   * the user sees; older pages then fill in above it.
   */
  private appendBatch(items: ThreadItem[], token: number): Promise<void> {
    const marker = document.createComment("");
    this.log.append(marker);
    this.batches.push({ items, next: items.length - 1, cursor: marker, marker, token });
    if (!this.working) {
      this.working = true;
      this.workDone = this.work();
    }
    return this.workDone;
  }

  /**
   * Paints queued pages in slices of about SLICE_MS, one slice per frame, so the page stays
   * responsive and every frame paints. Within a page the newest items come first; older ones are
   * inserted above them. Nothing here reads layout: the ResizeObserver keeps the bottom in view.
   */
  private async work(): Promise<void> {
    try {
      while (this.batches.length) {
        const batch = this.batches[this.batches.length - 1];
        if (batch.token === this.renderToken) this.renderSlice(batch);
        if (batch.next < 0 || batch.token !== this.renderToken) {
          batch.marker.remove();
          this.batches.splice(this.batches.indexOf(batch), 1);
        }
        if (this.batches.length) await afterNextPaint();
      }
    } finally {
      this.working = false;
    }
  }

  private renderSlice(batch: Batch): void {
    const slice = new Slice(SLICE_MS);
    const els: HTMLElement[] = [];
    for (; batch.next >= 0 && !slice.spent(); batch.next--) {
      const item = batch.items[batch.next];
      if (isHidden(item) || this.views.has(item.id)) continue;
      try {
        const view = createItemView(item, this.ctx, false);
        this.views.set(item.id, view);
        els.push(view.el);
      } catch (err) {
        console.error("chatkit-jupyter lite: item render failed", err);
      }
    }
    if (!els.length) return;
    els.reverse();
    const fragment = document.createDocumentFragment();
    fragment.append(...els);
    batch.cursor.parentNode?.insertBefore(fragment, batch.cursor);
    batch.cursor = els[0];
    if (!this.resizeReports && this.stick) this.scrollToBottom(false);
  }

  /** Resolves when pending batch rendering is done (tests). */
  idle(): Promise<void> {
    return this.workDone;
  }

  // ---------------------------------------------------------------- per-response actions

  private clearActionsOfLastTurn(): void {
    const items = this.opts.client.items;
    for (let i = items.length - 1; i >= 0; i--) {
      const bar = this.actionBars.get(items[i].id);
      if (bar) {
        bar.el.remove();
        this.actionBars.delete(items[i].id);
        return;
      }
      if (items[i].type === "user_message") return;
    }
  }

  /** The responses that get actions: [key = id of their last message/widget, user id, items]. */
  private turns(): Array<{ key: string; userId: string | null; items: ThreadItem[]; sig: string }> {
    const out: Array<{ key: string; userId: string | null; items: ThreadItem[]; sig: string }> = [];
    const flags = `${this.opts.feedback()}|${this.opts.retry()}|${this.ctx.t("copy")}`;
    let userId: string | null = null;
    let turn: ThreadItem[] = [];
    const close = () => {
      const visible = turn.filter((i) => i.type === "assistant_message" || i.type === "widget");
      if (visible.length) {
        const key = visible[visible.length - 1].id;
        out.push({ key, userId, items: turn, sig: `${flags}|${userId}|${turn.map((i) => i.id).join(",")}` });
      }
      turn = [];
    };
    for (const item of this.opts.client.items) {
      if (item.type === "user_message") {
        close();
        userId = item.id.startsWith(OPTIMISTIC_PREFIX) ? null : item.id;
      } else if (!isHidden(item)) turn.push(item);
    }
    close();
    // The response being streamed gets its actions when it is done.
    if (this.busy) out.pop();
    return out;
  }

  /**
   * Puts copy / feedback / retry buttons after each assistant response. Bars that are still right
   * are kept; new ones are built newest first, in slices, so a long thread opens smoothly.
   */
  refreshActions(): void {
    const token = ++this.actionsToken;
    const turns = this.turns();
    const wanted = new Map(turns.map((turn) => [turn.key, turn]));
    for (const [key, bar] of this.actionBars) {
      const turn = wanted.get(key);
      if (!turn || turn.sig !== bar.sig || !bar.el.isConnected) {
        bar.el.remove();
        this.actionBars.delete(key);
      }
    }
    const todo = turns.filter((turn) => !this.actionBars.has(turn.key)).reverse();
    if (!todo.length) return;
    const run = async () => {
      const slice = new Slice(10);
      for (const turn of todo) {
        if (token !== this.actionsToken) return;
        const last = this.views.get(turn.key);
        if (!last || this.actionBars.has(turn.key)) continue;
        const el = this.buildActions(turn.userId, turn.items);
        if (el) {
          last.el.after(el);
          this.actionBars.set(turn.key, { el, sig: turn.sig });
        }
        await slice.maybeYield();
      }
    };
    this.actionsDone = run();
  }

  /** Resolves when action bars being built are done (tests). */
  actionsIdle(): Promise<void> {
    return this.actionsDone;
  }

  private buildActions(userId: string | null, turn: ThreadItem[]): HTMLElement | null {
    const visible = turn.filter((i) => i.type === "assistant_message" || i.type === "widget");
    const t = this.ctx.t;
    const bar = h("div", { class: "ckl-turn-actions", role: "group", "aria-label": t("assistant") });
    const copyable = visible.some((i) => i.type === "assistant_message" || (i.type === "widget" && i.copy_text));
    if (copyable) {
      const copy = iconButton("copy", t("copy"), async () => {
        const texts = visible
          .map((i) => {
            const view = this.views.get(i.id);
            if (view && isAssistantView(view)) return view.text();
            return i.type === "widget" ? (i.copy_text ?? "") : "";
          })
          .filter(Boolean);
        if (await copyText(texts.join("\n\n"))) showCopied(copy, t("copied"), t("copy"), this.ctx.announce);
      });
      bar.append(copy);
    }
    if (this.opts.feedback()) {
      const ids = turn.map((i) => i.id);
      const up = iconButton("thumbs-up", t("goodResponse"), () => void send("positive", up));
      const down = iconButton("thumbs-down", t("badResponse"), () => void send("negative", down));
      up.setAttribute("aria-pressed", "false");
      down.setAttribute("aria-pressed", "false");
      const send = async (kind: "positive" | "negative", btn: HTMLButtonElement) => {
        const was = [up.getAttribute("aria-pressed"), down.getAttribute("aria-pressed")];
        up.setAttribute("aria-pressed", String(btn === up));
        down.setAttribute("aria-pressed", String(btn === down));
        if (await this.opts.onFeedback(ids, kind)) return;
        up.setAttribute("aria-pressed", was[0] ?? "false");
        down.setAttribute("aria-pressed", was[1] ?? "false");
      };
      bar.append(up, down);
    }
    if (this.opts.retry() && userId) {
      const id = userId;
      bar.append(
        iconButton(
          "reload",
          t("retry"),
          () => {
            this.opts.focusComposer();
            void this.opts.client.retryAfterItem(id);
          },
          { className: "ckl-turn-retry" },
        ),
      );
      (bar.lastElementChild as HTMLButtonElement).disabled = this.busy;
    }
    return bar.childNodes.length ? bar : null;
  }

  // ---------------------------------------------------------------- status, notices, errors

  private renderStatus(): void {
    const t = this.ctx.t;
    const status = this.status;
    let text = "";
    let iconName: string | null = null;
    if (this.loading) text = t("loadingThread");
    else if (this.progressText) {
      text = this.progressText.text;
      iconName = this.progressText.icon ?? null;
    } else if (this.busy && this.waitingForResponse()) text = t("thinking");
    if (status.dataset.text === text) return;
    status.dataset.text = text;
    status.replaceChildren();
    if (!text) {
      status.hidden = true;
      return;
    }
    status.hidden = false;
    status.append(icon(iconName ?? "spinner", 14), h("span", { class: "ckl-shimmer", text }));
    this.followAfterLayout();
  }

  /** True until something of the response shows (the last item is still the user's). */
  private waitingForResponse(): boolean {
    const items = this.opts.client.items;
    for (let i = items.length - 1; i >= 0; i--) {
      const item = items[i];
      if (isHidden(item) || item.type === "end_of_turn") continue;
      return item.type === "user_message";
    }
    return true;
  }

  private showNotice(notice: Notice): void {
    const el = h("div", {
      class: "ckl-notice",
      "data-level": notice.level,
      role: notice.level === "danger" ? "alert" : "status",
    });
    el.append(icon(notice.level === "info" ? "info" : "warning", 16));
    const body = h("div", { class: "ckl-notice-body" });
    if (notice.title) body.append(h("div", { class: "ckl-notice-title", text: notice.title }));
    const md = h("div", { class: "ckl-md" });
    setMarkdown(md, notice.message ?? "");
    body.append(md);
    el.append(body);
    this.log.append(el);
    this.followAfterLayout();
  }

  private showError(error: LiteError): void {
    const t = this.ctx.t;
    const message = error.message || (error.code === "stream.error" ? t("errorStream") : t("errorGeneric"));
    const el = h("div", { class: "ckl-error", role: "alert" });
    el.append(icon("alert", 16), h("span", { class: "ckl-error-text", text: message }));
    if (error.retry) {
      const retry = error.retry;
      const btn = iconButton(
        "reload",
        t("retry"),
        () => {
          el.remove();
          this.opts.focusComposer();
          void retry();
        },
        { label: t("retry"), className: "ckl-retry" },
      );
      el.append(btn);
    }
    this.log.append(el);
    this.errorEls.push(el);
    this.stick = true;
    this.followAfterLayout();
  }

  private clearErrors(): void {
    for (const el of this.errorEls) el.remove();
    this.errorEls = [];
  }

  // ---------------------------------------------------------------- scrolling

  /**
   * Where the scroll goes decides, not what moved it: any scroll up and away from the bottom (the
   * wheel, a key, find-in-page, `scrollIntoView`, a screen reader moving to a message) stops
   * following, and coming back near the bottom follows again. Our own scrolls go down. A scroll
   * event can arrive after more content was added below (a slice of a thread being opened, the
   * next streamed words): that is not the user leaving, hence "up", not just "far".
   */
  private onScroll(): void {
    const s = this.scroller;
    const top = s.scrollTop;
    const up = top < this.lastTop - 1;
    this.lastTop = top;
    const distance = s.scrollHeight - top - s.clientHeight;
    if (distance <= STICK_THRESHOLD) this.stick = true;
    else if (up) this.stick = false;
    this.toBottom.hidden = this.stick;
  }

  /** Follows once the content changed: the ResizeObserver does it after layout where it works. */
  private followAfterLayout(): void {
    if (!this.resizeReports) this.followBottom();
  }

  private followBottom(): void {
    if (!this.stick) return;
    if (this.busy && !this.opts.autoScroll()) return;
    this.scrollToBottom(false);
  }

  private toBottomClicked(): void {
    // The button hides itself: focus on it would be dropped to <body>.
    const focused = document.activeElement === this.toBottom;
    this.scrollToBottom(true);
    if (focused) this.opts.focusComposer();
  }

  /** `force`: follow from now on (sending a message, the Scroll to bottom button). */
  scrollToBottom(force: boolean): void {
    if (force) this.stick = true;
    const s = this.scroller;
    s.scrollTop = s.scrollHeight;
    this.lastTop = s.scrollTop;
    this.toBottom.hidden = true;
  }

  /** Rebuilds every item and relabels the view (after a locale change). */
  rerender(): void {
    const t = this.ctx.t;
    this.log.setAttribute("aria-label", t("conversation"));
    this.toBottom.setAttribute("aria-label", t("scrollToBottom"));
    this.toBottom.title = t("scrollToBottom");
    this.status.dataset.text = "";
    this.renderStatus();
    this.setQuiet(true);
    void this.reset(this.opts.client.items.slice()).then(() => {
      if (!this.loading) this.setQuiet(false);
    });
  }

  get isEmpty(): boolean {
    return this.views.size === 0;
  }

  destroy(): void {
    this.frame.stop();
    this.resize?.disconnect();
    this.renderToken++;
    for (const off of this.unsubscribe) off();
    for (const view of this.views.values()) view.destroy?.();
    this.views.clear();
  }
}
