// The thread view: the `role="log"` region with one view per item, progress, notices, errors,
// per-response actions and scrolling. It listens to the client and paints once per frame.
import type { ChatClient, LiteError, Notice } from "./client";
import { OPTIMISTIC_PREFIX, isHidden } from "./client";
import { copyText, h, iconButton } from "./dom";
import { icon } from "./icons";
import { createItemView, isAssistantView, type ItemContext, type ItemView } from "./items";
import { setMarkdown } from "../render/markdown";
import { FrameTask, Slice, now } from "./schedule";
import type { ThreadItem } from "./types";

/** Distance from the bottom (px) within which the view keeps following new content. */
const STICK_THRESHOLD = 48;
/** A scroll this soon (ms) after wheel / touch / key / pointer input is the user's. */
const USER_SCROLL_MS = 800;
/** Items rendered per slice when a whole thread is opened. */
const BATCH = 40;

export interface ThreadViewOptions {
  ctx: ItemContext;
  client: ChatClient;
  feedback(): boolean;
  retry(): boolean;
  autoScroll(): boolean;
  onFeedback(itemIds: string[], kind: "positive" | "negative"): Promise<void>;
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
  private userScrollAt = -Infinity;
  private resize: ResizeObserver | null = null;
  private readonly follow = new FrameTask(() => this.followBottom());
  /** Batches of a thread being opened are in progress (they scroll by themselves). */
  private batching = 0;
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
    this.toBottom = iconButton("arrow-down", ctx.t("scrollToBottom"), () => this.scrollToBottom(true), {
      className: "ckl-to-bottom",
    });
    this.toBottom.hidden = true;
    this.el = h("div", { class: "ckl-thread" }, this.scroller, this.toBottom);
    this.frame = new FrameTask(() => this.paint());
    this.scroller.addEventListener("scroll", () => this.onScroll(), { passive: true });
    for (const type of ["wheel", "touchmove", "pointerdown", "keydown"]) {
      this.scroller.addEventListener(type, this.markUserScroll, { passive: true });
    }
    if (typeof ResizeObserver !== "undefined") {
      // Anything that grows the log (a widget, an image, a late-measured message) while we
      // follow the bottom keeps the bottom in view.
      this.resize = new ResizeObserver(() => {
        if (!this.batching) this.follow.schedule();
      });
      this.resize.observe(this.log);
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
        this.renderStatus();
      }),
    );
    on.push(
      c.on("loadEnd", () => {
        this.loading = false;
        this.renderStatus();
        // Actions go on once every page is painted.
        void this.appendChain.then(() => {
          this.refreshActions();
          this.scrollToBottom(true);
        });
      }),
    );
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
    this.followBottom();
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
    this.stick = true;
    await this.appendBatch(items, token);
  }

  private appendChain: Promise<void> = Promise.resolve();

  /** Queues items for batched rendering, after any batch already queued. */
  private appendBatch(items: ThreadItem[], token: number): Promise<void> {
    const run = async () => {
      this.batching++;
      try {
        await this.renderBatch(items, token);
      } finally {
        this.batching--;
      }
    };
    this.appendChain = this.appendChain.then(run, run);
    return this.appendChain;
  }

  /** Renders items in slices (a DocumentFragment per slice) so the page stays responsive. */
  private async renderBatch(items: ThreadItem[], token: number): Promise<void> {
    const slice = new Slice(8);
    let fragment = document.createDocumentFragment();
    let pending = 0;
    const commit = () => {
      if (!pending) return;
      this.log.append(fragment);
      fragment = document.createDocumentFragment();
      pending = 0;
      if (this.stick) this.scrollToBottom(false);
    };
    for (const item of items) {
      if (token !== this.renderToken) return;
      if (isHidden(item) || this.views.has(item.id)) continue;
      const view = createItemView(item, this.ctx, false);
      this.views.set(item.id, view);
      fragment.append(view.el);
      pending++;
      if (pending >= BATCH || slice.spent()) {
        commit();
        await slice.maybeYield();
      }
    }
    if (token !== this.renderToken) return;
    commit();
  }

  /** Resolves when pending batch rendering is done (tests). */
  idle(): Promise<void> {
    return this.appendChain;
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
        if (await copyText(texts.join("\n\n"))) {
          copy.setAttribute("aria-label", t("copied"));
          copy.title = t("copied");
          setTimeout(() => {
            copy.setAttribute("aria-label", t("copy"));
            copy.title = t("copy");
          }, 1500);
        }
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
        up.setAttribute("aria-pressed", String(btn === up));
        down.setAttribute("aria-pressed", String(btn === down));
        await this.opts.onFeedback(ids, kind);
      };
      bar.append(up, down);
    }
    if (this.opts.retry() && userId) {
      const id = userId;
      bar.append(iconButton("reload", t("retry"), () => void this.opts.client.retryAfterItem(id)));
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
    this.followBottom();
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
    this.followBottom();
  }

  private showError(error: LiteError): void {
    const t = this.ctx.t;
    const message =
      error.message ||
      (error.code === "stream.error" ? t("errorStream") : t("errorGeneric"));
    const el = h("div", { class: "ckl-error", role: "alert" });
    el.append(icon("alert", 16), h("span", { class: "ckl-error-text", text: message }));
    if (error.retry) {
      const retry = error.retry;
      const btn = iconButton("reload", t("retry"), () => {
        el.remove();
        void retry();
      }, { label: t("retry"), className: "ckl-retry" });
      el.append(btn);
    }
    this.log.append(el);
    this.errorEls.push(el);
    this.stick = true;
    this.followBottom();
  }

  private clearErrors(): void {
    for (const el of this.errorEls) el.remove();
    this.errorEls = [];
  }

  // ---------------------------------------------------------------- scrolling

  /**
   * Only the user unsticks the view. Content that changes size above the viewport (images,
   * widgets, off-screen messages measured late) also fires scroll events; those keep following.
   */
  private onScroll(): void {
    const s = this.scroller;
    const distance = s.scrollHeight - s.scrollTop - s.clientHeight;
    if (distance <= STICK_THRESHOLD) this.stick = true;
    else if (now() - this.userScrollAt < USER_SCROLL_MS) this.stick = false;
    else if (this.stick) {
      this.followBottom();
      return;
    }
    this.toBottom.hidden = this.stick;
  }

  private markUserScroll = (ev: Event): void => {
    if (ev.type === "keydown") {
      const key = (ev as KeyboardEvent).key;
      if (!["ArrowUp", "ArrowDown", "PageUp", "PageDown", "Home", "End", " "].includes(key)) return;
    }
    this.userScrollAt = now();
  };

  private followBottom(): void {
    if (!this.stick) return;
    if (this.busy && !this.opts.autoScroll()) return;
    this.scrollToBottom(false);
  }

  /** `force`: follow from now on (sending a message, the Scroll to bottom button). */
  scrollToBottom(force: boolean): void {
    if (force) {
      this.stick = true;
      this.userScrollAt = -Infinity;
    }
    const s = this.scroller;
    s.scrollTop = s.scrollHeight;
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
    void this.reset(this.opts.client.items.slice());
  }

  get isEmpty(): boolean {
    return this.views.size === 0;
  }

  destroy(): void {
    this.frame.stop();
    this.follow.stop();
    this.resize?.disconnect();
    this.renderToken++;
    for (const off of this.unsubscribe) off();
    for (const view of this.views.values()) view.destroy?.();
    this.views.clear();
  }
}
