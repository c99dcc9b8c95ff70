// The history panel: past threads from `threads.list` (paged with after / has_more), opened with
// `threads.get_by_id`, renamed with `threads.update` and deleted with `threads.delete` when
// options.history allows it.
import type { ChatKitOptions } from "@openai/chatkit";
import { h } from "../../render/dom";
import type { ChatClient } from "../client/client";
import { errorMessage } from "../client/client";
import type { ThreadMetadata } from "../client/types";
import { iconButton } from "./buttons";
import type { Translate } from "./i18n";

export interface HistoryHost {
  t(): Translate;
  options(): Omit<ChatKitOptions, "api">;
  client: ChatClient;
  open(threadId: string): void;
  close(): void;
}

export class HistoryPanel {
  readonly el: HTMLElement;
  private readonly list: HTMLUListElement;
  private readonly more: HTMLButtonElement;
  private readonly note: HTMLElement;
  private readonly title: HTMLElement;
  private readonly closeBtn: HTMLButtonElement;
  private after: string | null = null;
  private loading = false;
  private token = 0;
  private threads: ThreadMetadata[] = [];

  constructor(private readonly host: HistoryHost) {
    const t = host.t();
    this.title = h("h2", { class: "ckl-history-title", text: t("history") });
    this.closeBtn = iconButton("close", t("closeHistory"), () => host.close());
    this.list = h("ul", { class: "ckl-thread-list" });
    this.note = h("div", { class: "ckl-history-note", role: "status" });
    this.more = h("button", { type: "button", class: "ckl-btn ckl-more", text: t("loadMore"), hidden: true });
    this.more.addEventListener("click", () => void this.load(false));
    this.el = h(
      "section",
      { class: "ckl-history", "aria-label": t("history"), hidden: true },
      h("div", { class: "ckl-history-head" }, this.title, this.closeBtn),
      this.list,
      this.note,
      this.more,
    );
    this.el.addEventListener("keydown", (ev) => {
      if (ev.key === "Escape" && !(ev.target as HTMLElement).matches("input")) {
        ev.preventDefault();
        host.close();
      }
    });
  }

  get isOpen(): boolean {
    return !this.el.hidden;
  }

  show(): void {
    this.el.hidden = false;
    void this.load(true);
    this.closeBtn.focus();
  }

  hide(): void {
    this.el.hidden = true;
    this.token++;
  }

  /** Loads the first page (`reset`) or the next one. */
  async load(reset: boolean): Promise<void> {
    const t = this.host.t();
    if (this.loading && !reset) return;
    const token = ++this.token;
    // Load more hides itself while loading, which drops its focus on the page.
    const refocus = !reset && document.activeElement === this.more;
    if (reset) {
      this.after = null;
      this.threads = [];
      this.list.replaceChildren();
    }
    this.loading = true;
    this.more.hidden = true;
    this.setNote(t("historyLoading"));
    try {
      const page = await this.host.client.listThreads(this.after);
      if (token !== this.token) return;
      const data = page.data ?? [];
      this.threads.push(...data);
      const rows = data.map((thread) => this.row(thread));
      this.list.append(...rows);
      this.after = page.after ?? (data.length ? data[data.length - 1].id : null);
      this.more.textContent = t("loadMore");
      this.more.hidden = !(page.has_more && this.after);
      this.setNote(this.threads.length ? "" : t("historyEmpty"));
      if (refocus) (rows[0]?.querySelector<HTMLElement>(".ckl-thread-open") ?? this.more).focus();
    } catch (err) {
      if (token !== this.token) return;
      this.setNote(errorMessage(err), true);
      // The same button asks again for the page that failed (the first one, or the next).
      this.more.textContent = t("retry");
      this.more.hidden = false;
      if (refocus) this.more.focus();
    } finally {
      if (token === this.token) this.loading = false;
    }
  }

  private setNote(text: string, error = false): void {
    this.note.textContent = text;
    this.note.hidden = !text;
    this.note.setAttribute("role", error ? "alert" : "status");
    this.note.classList.toggle("ckl-error-text", error);
  }

  private row(thread: ThreadMetadata): HTMLLIElement {
    const t = this.host.t();
    const history = this.host.options().history;
    const li = h("li", { class: "ckl-thread-row" });
    li.dataset.threadId = thread.id;
    if (thread.id === this.host.client.threadId) li.setAttribute("aria-current", "true");
    const title = thread.title || t("untitled");
    const open = h("button", { type: "button", class: "ckl-thread-open" });
    open.append(h("span", { class: "ckl-thread-title", text: title }));
    const date = formatDate(thread.created_at, this.host.options().locale);
    if (date) open.append(h("span", { class: "ckl-thread-date", text: date }));
    open.addEventListener("click", () => this.host.open(thread.id));
    li.append(open);
    const actions = h("div", { class: "ckl-thread-actions" });
    if (history?.showRename !== false) {
      actions.append(iconButton("write", t("renameThread", { title }), () => this.startRename(li, thread)));
    }
    if (history?.showDelete !== false) {
      actions.append(
        iconButton("trash", t("deleteThread", { title }), () => this.confirmDelete(li, thread), { className: "ckl-thread-delete" }),
      );
    }
    if (actions.childNodes.length) li.append(actions);
    return li;
  }

  private startRename(li: HTMLLIElement, thread: ThreadMetadata): void {
    const t = this.host.t();
    const input = h("input", { type: "text", class: "ckl-input", "aria-label": t("renameLabel") });
    input.value = thread.title ?? "";
    const save = h("button", { type: "submit", class: "ckl-btn ckl-btn-primary", text: t("save") });
    const cancel = h("button", { type: "button", class: "ckl-btn", text: t("cancel") });
    const form = h("form", { class: "ckl-rename" }, input, save, cancel);
    const restore = () => {
      const fresh = this.row(thread);
      form.replaceWith(...Array.from(fresh.childNodes));
      (li.querySelector(".ckl-thread-open") as HTMLElement | null)?.focus();
    };
    cancel.addEventListener("click", restore);
    input.addEventListener("keydown", (ev) => {
      if (ev.key === "Escape") {
        ev.preventDefault();
        ev.stopPropagation();
        restore();
      }
    });
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const title = input.value.trim();
      if (!title || title === thread.title) return restore();
      save.disabled = cancel.disabled = input.disabled = true;
      try {
        const updated = await this.host.client.renameThread(thread.id, title);
        thread.title = updated?.title ?? title;
        restore();
      } catch (err) {
        save.disabled = cancel.disabled = input.disabled = false;
        this.setNote(errorMessage(err), true);
      }
    });
    li.replaceChildren(form);
    input.focus();
    input.select();
  }

  private confirmDelete(li: HTMLLIElement, thread: ThreadMetadata): void {
    const t = this.host.t();
    const yes = h("button", { type: "button", class: "ckl-btn ckl-btn-danger", text: t("delete") });
    const no = h("button", { type: "button", class: "ckl-btn", text: t("cancel") });
    const box = h(
      "div",
      { class: "ckl-confirm", role: "group", "aria-label": t("confirmDelete") },
      h("span", { text: t("confirmDelete") }),
      yes,
      no,
    );
    const restore = () => {
      const fresh = this.row(thread);
      li.replaceChildren(...Array.from(fresh.childNodes));
      li.querySelector<HTMLElement>(".ckl-thread-delete")?.focus();
    };
    no.addEventListener("click", restore);
    box.addEventListener("keydown", (ev) => {
      // Escape backs out of the confirmation, as in rename, rather than closing the panel.
      if (ev.key === "Escape") {
        ev.preventDefault();
        ev.stopPropagation();
        restore();
      }
    });
    yes.addEventListener("click", async () => {
      yes.disabled = no.disabled = true;
      try {
        await this.host.client.deleteThread(thread.id);
        // The focused row goes away: move to its neighbour (or the panel) so focus stays here.
        const next = (li.nextElementSibling ?? li.previousElementSibling)?.querySelector<HTMLElement>(".ckl-thread-open");
        li.remove();
        (next ?? this.closeBtn).focus();
        this.threads = this.threads.filter((th) => th.id !== thread.id);
        if (!this.threads.length) this.setNote(t("historyEmpty"));
      } catch (err) {
        yes.disabled = no.disabled = false;
        this.setNote(errorMessage(err), true);
      }
    });
    li.replaceChildren(box);
    yes.focus();
  }

  relabel(): void {
    const t = this.host.t();
    this.title.textContent = t("history");
    this.el.setAttribute("aria-label", t("history"));
    this.closeBtn.setAttribute("aria-label", t("closeHistory"));
    this.closeBtn.title = t("closeHistory");
    this.more.textContent = t("loadMore");
  }
}

function formatDate(value: string | undefined, locale?: string): string {
  if (!value) return "";
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return "";
  try {
    return date.toLocaleDateString(locale || undefined, { year: "numeric", month: "short", day: "numeric" });
  } catch {
    return date.toDateString();
  }
}
