// The composer's text <-> ChatKit's user message content: "@Title" tags in the text become
// input_tag parts, the rest input_text.
import type { Entity } from "@openai/chatkit";
import type { UserMessageContent } from "../../client/types";

export interface TagRef {
  entity: Entity;
  label: string; // "@Title" as it appears in the text
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** Splits the text into input_text and input_tag parts at the tags still present. */
export function buildContent(raw: string, tagRefs: readonly TagRef[]): UserMessageContent[] {
  const text = raw.trim();
  const tags = tagRefs.filter((tag) => text.includes(tag.label));
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

/** The text (with "@Title" labels) and tags that `content` shows as in the composer. */
export function contentText(content: readonly UserMessageContent[]): { text: string; tags: TagRef[] } {
  const tags: TagRef[] = [];
  let text = "";
  for (const part of content) {
    if (part.type === "input_text") text += part.text;
    else {
      const label = `@${part.text}`;
      tags.push({
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
  return { text, tags };
}
