// The composer's tags as chips above the textarea: "@sales" in the text is a tag only while its
// label is there, so the chips follow the text, and a chip's remove button takes the label out.
import { h } from "../../../render/dom";
import { iconButton } from "../buttons";
import type { StringKey } from "../i18n";
import { icon } from "../icons";
import type { TagRef } from "./content";

export interface TagChipsHost {
  t(): (key: StringKey, vars?: Record<string, string | number>) => string;
  textarea: HTMLTextAreaElement;
  /** The text changed (a tag was removed). */
  edited(): void;
}

export class TagChips {
  readonly list: HTMLUListElement;

  constructor(private readonly host: TagChipsHost) {
    this.list = h("ul", { class: "ckl-files ckl-tag-chips", hidden: true });
  }

  /** The tags whose label is in the text, once each: what the message will carry. */
  static present(text: string, tags: readonly TagRef[]): TagRef[] {
    const seen = new Set<string>();
    return tags.filter((tag) => text.includes(tag.label) && !seen.has(tag.label) && seen.add(tag.label));
  }

  render(tags: readonly TagRef[]): void {
    const t = this.host.t();
    const shown = TagChips.present(this.host.textarea.value, tags);
    this.list.setAttribute("aria-label", t("mentioned"));
    this.list.replaceChildren(
      ...shown.map((tag) => {
        const chip = h(
          "li",
          { class: "ckl-chip ckl-tag-chip", title: tag.entity.group ?? "" },
          icon(tag.entity.icon ?? "at", 14),
          h("span", { class: "ckl-file-name", text: tag.label }),
        );
        chip.append(iconButton("close", t("removeTag", { name: tag.label }), () => this.remove(tag), { size: 12 }));
        return chip;
      }),
    );
    this.list.hidden = shown.length === 0;
  }

  private remove(tag: TagRef): void {
    const ta = this.host.textarea;
    // The label and one space after it, wherever it occurs.
    ta.value = ta.value.split(`${tag.label} `).join("").split(tag.label).join("");
    this.host.edited();
  }
}
