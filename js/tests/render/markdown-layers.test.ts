// render/markdown.ts on its own terms: what marked is told to produce (escaping, code blocks,
// images as links), checked as exact HTML after the allowlist walk alone (DOMPurify is off in
// happy-dom), so a change in our renderer hooks cannot hide behind the sanitizer.
import { describe, expect, it } from "vitest";
import { renderMarkdown, setMarkdown } from "../../src/render/markdown";
import { createHtmlSanitizer } from "../../src/render/safe";

const LINK = `target="_blank" rel="noopener noreferrer"`;

describe("markdown renderer hooks", () => {
  it("runs without DOMPurify here, so these are our hooks plus the allowlist walk", () => {
    expect(createHtmlSanitizer(window).usesDOMPurify).toBe(false);
  });

  it("shows raw HTML as text", () => {
    expect(renderMarkdown("a <b>b</b> & c")).toBe("<p>a &lt;b&gt;b&lt;/b&gt; &amp; c</p>\n");
    expect(renderMarkdown("<div>x</div>")).toBe("&lt;div&gt;x&lt;/div&gt;");
  });

  it("shows tags inside an inline <code> as text too", () => {
    expect(renderMarkdown("<code><img src=x onerror=alert(1)></code> after")).toBe(
      "<p>&lt;code&gt;&lt;img src=x onerror=alert(1)&gt;&lt;/code&gt; after</p>\n",
    );
  });

  it("escapes what marked would pass through raw up to the closing </code> or </kbd>", () => {
    // `<img/src=...>` is not a tag to marked, so it arrives in the raw text token; unescaped,
    // the browser would parse it as an <img> with an onerror handler.
    expect(renderMarkdown("<code><img/src=x onerror=alert(1)></code> after")).toBe(
      "<p>&lt;code&gt;&lt;img/src=x onerror=alert(1)&gt;&lt;/code&gt; after</p>\n",
    );
    expect(renderMarkdown("<kbd><b/x>y</kbd>")).toBe("<p>&lt;kbd&gt;&lt;b/x&gt;y&lt;/kbd&gt;</p>\n");
  });

  it("keeps entities in ordinary text, as markdown does", () => {
    expect(renderMarkdown("AT&amp;T &copy; 2024 &#169; a < b")).toBe("<p>AT&amp;T © 2024 © a &lt; b</p>\n");
  });

  it("leaves ordinary text tokens, nested ones included, to marked", () => {
    expect(renderMarkdown("- a **b**")).toBe("<ul>\n<li>a <strong>b</strong></li>\n</ul>\n");
    expect(renderMarkdown("it's *x*")).toBe("<p>it's <em>x</em></p>\n");
  });

  it("does not turn single newlines into <br>", () => {
    expect(renderMarkdown("a\nb")).toBe("<p>a\nb</p>\n");
  });

  it("marks code blocks with the first word of the language, cleaned", () => {
    expect(renderMarkdown("```py extra\nx <b>\n```")).toBe(
      '<pre class="ckw-md-code"><code class="language-py">x &lt;b&gt;\n</code></pre>\n',
    );
    expect(renderMarkdown("```  c++  \ny\n\n```")).toBe('<pre class="ckw-md-code"><code class="language-c++">y\n\n</code></pre>\n');
    expect(renderMarkdown("```py<x\nz\n```")).toBe('<pre class="ckw-md-code"><code class="language-pyx">z\n</code></pre>\n');
  });

  it("renders an indented code block, which has no language at all", () => {
    expect(renderMarkdown("    x <b>\n")).toBe('<pre class="ckw-md-code"><code>x &lt;b&gt;\n</code></pre>\n');
  });

  it("leaves out the class when there is no language", () => {
    expect(renderMarkdown("```\nx\n```")).toBe('<pre class="ckw-md-code"><code>x\n</code></pre>\n');
    expect(renderMarkdown("```<>\nx\n```")).toBe('<pre class="ckw-md-code"><code>x\n</code></pre>\n');
  });

  it("shows a remote image as a link labelled by its alt text, title or 'image'", () => {
    expect(renderMarkdown("![x](https://e.example/i.png)")).toBe(
      `<p><a href="https://e.example/i.png" ${LINK}>\u{1F5BC}\u{FE0F} x</a></p>\n`,
    );
    expect(renderMarkdown('![](https://e.example/i.png "T")')).toBe(
      `<p><a href="https://e.example/i.png" ${LINK}>\u{1F5BC}\u{FE0F} T</a></p>\n`,
    );
    expect(renderMarkdown("![](https://e.example/i.png)")).toBe(
      `<p><a href="https://e.example/i.png" ${LINK}>\u{1F5BC}\u{FE0F} image</a></p>\n`,
    );
    expect(renderMarkdown('![a"b](https://e/x"y)')).toBe(`<p><a href="https://e/x&quot;y" ${LINK}>\u{1F5BC}\u{FE0F} a"b</a></p>\n`);
  });

  it("treats only a leading data: as an inline image", () => {
    expect(renderMarkdown("![x](https://e.example/?data:1)")).toBe(
      `<p><a href="https://e.example/?data:1" ${LINK}>\u{1F5BC}\u{FE0F} x</a></p>\n`,
    );
    expect(renderMarkdown("![x](xdata:1)")).toBe("<p>\u{1F5BC}\u{FE0F} x</p>\n");
    const box = document.createElement("div");
    box.innerHTML = renderMarkdown("![dot](data:image/png;base64,iVBORw0KGgo=)");
    expect(box.querySelector("img")?.getAttribute("src")).toBe("data:image/png;base64,iVBORw0KGgo=");
    expect(box.querySelector("img")?.getAttribute("alt")).toBe("dot");
    expect(box.querySelector("a")).toBeNull();
  });

  it("setMarkdown replaces the children with the same rendering", () => {
    const el = document.createElement("div");
    el.innerHTML = "<span>old</span>";
    setMarkdown(el, "a **b** <i>");
    expect(el.innerHTML).toBe("<p>a <strong>b</strong> &lt;i&gt;</p>\n");
  });
});
