import { describe, expect, test } from "vitest";
import { MarkdownStream } from "../../src/lite/view/stream-md";
import { setMarkdown } from "../../src/render/markdown";

function stream(text: string, steps: number): MarkdownStream {
  const md = new MarkdownStream("ckl-md", false);
  const size = Math.ceil(text.length / steps);
  for (let i = size; i < text.length; i += size) {
    let guard = 0;
    do md.update(text.slice(0, i), false);
    while (md.pending(text.slice(0, i)) && ++guard < 100);
  }
  let guard = 0;
  do md.update(text, true);
  while (md.pending(text) && ++guard < 100);
  return md;
}

describe("MarkdownStream", () => {
  test("freezes finished blocks while streaming and re-renders only the tail", () => {
    const md = new MarkdownStream("ckl-md", false);
    const settle = (text: string) => {
      let guard = 0;
      do md.update(text, false);
      while (md.pending(text) && ++guard < 100);
    };
    settle("First paragraph.\n\nSecond paragraph.\n");
    const first = md.el.querySelector(".ckl-md-block");
    expect(first?.textContent).toContain("First paragraph.");
    settle("First paragraph.\n\nSecond paragraph.\n\nThird paragraph.\n\nFou");
    const blocks = md.el.querySelectorAll(".ckl-md-block");
    expect(blocks.length).toBe(3);
    // The first frozen block is the same element: it was not rendered again.
    expect(blocks[0]).toBe(first);
    expect(blocks[1].textContent).toContain("Second paragraph.");
    expect(blocks[2].textContent).toContain("Third paragraph.");
    expect(blocks[2].textContent).toContain("Fou");
  });

  test("never splits inside a code fence", () => {
    const text = "Intro\n\n```python\nx = 1\n\ny = 2\n```\n\nAfter the code.";
    const md = stream(text, 12);
    // Streamed in pieces and final: one code block with both lines.
    const code = md.el.querySelectorAll("pre code");
    expect(code).toHaveLength(1);
    expect(code[0].textContent).toBe("x = 1\n\ny = 2\n");
  });

  test("a small finished text is rendered exactly like a single pass", () => {
    const text = "1. one\n\n2. two\n\n- a\n- b\n\n> quote\n\n| a | b |\n|---|---|\n| 1 | 2 |";
    const streamed = stream(text, 7);
    const single = new MarkdownStream("ckl-md", false);
    single.update(text, true);
    expect(streamed.el.innerHTML).toBe(single.el.innerHTML);
  });

  test("a burst of a large text is frozen over several calls, never repeating text", () => {
    const para = (i: number) => `Paragraph ${i} ${"lorem ipsum ".repeat(60)}`;
    const text = Array.from({ length: 100 }, (_, i) => para(i)).join("\n\n");
    const md = new MarkdownStream("ckl-md", false);
    let calls = 0;
    do {
      md.update(text, false);
      calls++;
      // While catching up, what is visible is a prefix of the text, without duplicates.
      const visible = Array.from(md.el.querySelectorAll<HTMLElement>(".ckl-md-block")).filter((b) => !b.hidden);
      const shown = visible.map((b) => b.textContent).join("");
      expect(shown.split("Paragraph 0 ").length - 1).toBeLessThanOrEqual(1);
    } while (md.pending(text) && calls < 500);
    expect(md.pending(text)).toBe(false);
    expect(md.el.textContent).toContain("Paragraph 99");
    expect((md.el.textContent ?? "").split("Paragraph 42 ").length - 1).toBe(1);
  });

  test("a long paragraph grows by appending plain words, and still reads as a full render", () => {
    const md = new MarkdownStream("ckl-md", false);
    let text = "Intro with **bold** and `code`: ";
    for (let i = 0; i < 200; i++) text += `w${i} `;
    md.update(text, false);
    const p = md.el.querySelector("p")!;
    const textNode = p.lastChild;
    for (let i = 200; i < 400; i++) {
      text += `w${i}, `;
      md.update(text, false);
    }
    // Same paragraph, same text node: nothing was re-rendered.
    expect(md.el.querySelector("p")).toBe(p);
    expect(p.lastChild).toBe(textNode);
    const full = document.createElement("div");
    setMarkdown(full, text);
    expect(md.el.querySelector(".ckl-md-block")!.innerHTML).toBe(full.innerHTML);
  });

  // Each delta either keeps the paragraph plain or needs a full render; either way the DOM must
  // equal a single render of the text so far.
  test.each([
    ["emphasis that closes later", ["a *b", " c", " d*", " e"]],
    ["a bare URL", [" see www", ".example", ".com", " now"]],
    ["a URL with a scheme", [" see https", "://example", ".com/x", " now"]],
    ["an e-mail address", [" mail me", "@example", ".org", " now"]],
    ["an entity", [" AT", "&amp", ";T", " co"]],
    ["a trailing backslash", [" a\\", "*b*", " c"]],
    ["trailing spaces", [" a   ", "b  ", " ", "c"]],
    ["a soft line break", [" a", "\nb", " c"]],
    ["a code span", [" `a", " b", "` c"]],
    ["a link", [" [a", "](https://example.com)", " c"]],
    ["quotes and punctuation", [` "a" 'b' (c) 1.5% +2 = $3 - x/y? !`, " z"]],
  ])("appending stays equal to a full render: %s", (_name, deltas) => {
    const md = new MarkdownStream("ckl-md", false);
    let text = `Start ${"word ".repeat(80)}`;
    md.update(text, false);
    for (const delta of deltas) {
      text += delta;
      md.update(text, false);
      const full = document.createElement("div");
      setMarkdown(full, text);
      expect(md.el.querySelector(".ckl-md-block")!.innerHTML, JSON.stringify(text.slice(-40))).toBe(full.innerHTML);
    }
  });

  test("a text that changes (not an append) is re-rendered from scratch", () => {
    const md = new MarkdownStream("ckl-md", false);
    md.update("Old one.\n\nOld two.\n\nOld", false);
    md.update("Completely new", true);
    expect(md.el.textContent?.trim()).toBe("Completely new");
  });
});
