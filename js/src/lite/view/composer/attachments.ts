// The composer's attachments: the file picker, the chips above the textarea, and each file's
// two-phase upload through the client (checked against ChatKit's limits first).
import { h } from "../../../render/dom";
import { errorMessage } from "../../client/client";
import type { Attachment } from "../../client/types";
import { iconButton } from "../buttons";
import { formatBytes } from "../i18n";
import { icon } from "../icons";
import { acceptsFile, DEFAULT_MAX_COUNT, sizeLimit } from "./files";
import type { ComposerHost } from "./host";

export interface AttachmentsHost extends Pick<ComposerHost, "t" | "options" | "client"> {
  /** Shows (or with `null` clears) the line of validation messages under the composer. */
  showMessage(text: string | null): void;
  /** The set of files changed: Send may be enabled or disabled now. */
  changed(): void;
  focus(): void;
  locked(): boolean;
}

interface PendingFile {
  key: number;
  name: string;
  status: "uploading" | "done" | "error";
  attachment?: Attachment;
  abort?: AbortController;
  el: HTMLElement;
}

export class Attachments {
  readonly list: HTMLUListElement;
  readonly input: HTMLInputElement;
  private files: PendingFile[] = [];
  private fileKey = 0;

  constructor(private readonly host: AttachmentsHost) {
    this.list = h("ul", { class: "ckl-files", hidden: true });
    this.input = h("input", { type: "file", multiple: true, hidden: true, tabindex: -1, "aria-hidden": "true" });
    this.input.addEventListener("change", () => {
      const files = Array.from(this.input.files ?? []);
      this.input.value = "";
      void this.add(files);
    });
  }

  enabled(): boolean {
    return Boolean(this.host.options().composer?.attachments?.enabled);
  }

  /** Applies `composer.attachments.accept` to the file picker. */
  configure(): void {
    const accept = this.host.options().composer?.attachments?.accept;
    if (accept && Object.keys(accept).length) {
      const parts = Object.entries(accept).flatMap(([mime, exts]) => [mime, ...(exts ?? [])]);
      this.input.accept = parts.join(",");
    } else this.input.removeAttribute("accept");
  }

  /** Opens the browser's file picker. */
  pick(): void {
    this.input.click();
  }

  uploading(): boolean {
    return this.files.some((f) => f.status === "uploading");
  }

  /** The attachments uploaded and ready to send. */
  ready(): Attachment[] {
    return this.files.filter((f) => f.status === "done" && f.attachment).map((f) => f.attachment!);
  }

  /** Forgets every file (they were sent with the message). */
  clear(): void {
    for (const f of this.files) f.el.remove();
    this.files = [];
    this.list.hidden = true;
  }

  private check(file: File): string | null {
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

  /** Checks and uploads `files`; the ones refused are named in the composer's message line. */
  async add(files: File[]): Promise<void> {
    if (!this.enabled() || this.host.locked()) return;
    const t = this.host.t();
    const max = this.host.options().composer?.attachments?.maxCount ?? DEFAULT_MAX_COUNT;
    const problems: string[] = [];
    const accepted: File[] = [];
    for (const file of files) {
      const problem = this.check(file);
      if (problem) problems.push(problem);
      else accepted.push(file);
    }
    const room = Math.max(0, max - this.files.length);
    if (accepted.length > room) {
      problems.push(t("tooManyFiles", { max }));
      accepted.length = room;
    }
    this.host.showMessage(problems.length ? problems.join(" ") : null);
    await Promise.all(accepted.map((file) => this.upload(file)));
  }

  private chip(name: string, onRemove: () => void): { el: HTMLElement; status: HTMLElement } {
    const t = this.host.t();
    const status = h("span", { class: "ckl-file-status" });
    const el = h("li", { class: "ckl-chip ckl-file" }, icon("file", 14), h("span", { class: "ckl-file-name", text: name }), status);
    el.append(iconButton("close", t("removeAttachment", { name }), onRemove, { size: 12 }));
    this.list.append(el);
    this.list.hidden = false;
    return { el, status };
  }

  /** Shows an attachment that is already uploaded (setComposerValue). */
  addReady(att: Attachment): void {
    const key = ++this.fileKey;
    const { el } = this.chip(att.name, () => this.remove(key));
    this.files.push({ key, name: att.name, status: "done", attachment: att, el });
    this.host.changed();
  }

  private async upload(file: File): Promise<void> {
    const t = this.host.t();
    const key = ++this.fileKey;
    const abort = new AbortController();
    const { el, status } = this.chip(file.name, () => this.remove(key));
    const entry: PendingFile = { key, name: file.name, status: "uploading", abort, el };
    this.files.push(entry);
    el.setAttribute("aria-busy", "true");
    status.append(icon("spinner", 12));
    status.setAttribute("aria-label", t("uploading", { name: file.name }));
    this.host.changed();
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
      this.host.showMessage(t("uploadFailed", { name: file.name, error: errorMessage(err) }));
    } finally {
      this.host.changed();
    }
  }

  private remove(key: number): void {
    const index = this.files.findIndex((f) => f.key === key);
    if (index < 0) return;
    const [entry] = this.files.splice(index, 1);
    entry.el.remove();
    entry.abort?.abort();
    if (entry.status === "done" && entry.attachment) {
      this.host.client.deleteAttachment(entry.attachment.id).catch(() => undefined);
    }
    this.list.hidden = this.files.length === 0;
    this.host.changed();
    this.host.focus();
  }

  destroy(): void {
    for (const f of this.files) f.abort?.abort();
  }
}
