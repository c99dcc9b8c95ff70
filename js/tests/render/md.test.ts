// Markdown loads on demand (src/render/md.ts): until markdown.js is in, text shows as its plain
// source, and each element is redrawn as markdown with its newest text once it comes.
import { beforeEach, describe, expect, it, vi } from "vitest";
import * as markdown from "../../src/render/markdown";

type Md = typeof import("../../src/render/md");

let md: Md;

beforeEach(async () => {
  // A fresh module: tests/setup.ts hands the shared one markdown up front.
  vi.resetModules();
  md = await import("../../src/render/md");
});

describe("markdown on demand", () => {
  it("shows plain text, loads once, then redraws each element with its newest text", async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const load = vi.fn(async () => {
      await gate;
      return markdown;
    });
    const a = document.createElement("div");
    const b = document.createElement("div");
    md.setMarkdown(a, "**draft** <img src=x onerror=alert(1)>");
    // Plain text, not HTML, while loading: nothing in it is obeyed.
    expect(a.textContent).toBe("**draft** <img src=x onerror=alert(1)>");
    expect(a.querySelector("img")).toBeNull();

    md.parts(async (name) => {
      expect(name).toBe("markdown");
      return load();
    });
    md.setMarkdown(a, "**final**");
    md.setMarkdown(b, "*b*");
    expect(a.textContent).toBe("**final**");
    release();
    await md.loadMarkdown();
    expect(load).toHaveBeenCalledTimes(1);
    expect(a.innerHTML).toBe("<p><strong>final</strong></p>\n");
    expect(b.querySelector("em")?.textContent).toBe("b");

    // From now on, drawn at once.
    md.setMarkdown(b, "`code`");
    expect(b.querySelector("code")?.textContent).toBe("code");
  });

  it("keeps plain text when the part cannot load, and tries again on the next call", async () => {
    const load = vi.fn().mockRejectedValueOnce(new Error("no kernel")).mockResolvedValue(markdown);
    md.parts(load);
    const el = document.createElement("div");
    md.setMarkdown(el, "# title");
    await expect(md.loadMarkdown()).rejects.toThrow("no kernel");
    expect(el.textContent).toBe("# title");
    await expect(md.loadMarkdown()).resolves.toBeUndefined();
    expect(load).toHaveBeenCalledTimes(2);
    expect(el.querySelector("h1")?.textContent).toBe("title");
  });

  it("rejects a part that is not the markdown bundle", async () => {
    md.parts(async () => ({ nothing: true }));
    await expect(md.loadMarkdown()).rejects.toThrow(/no setMarkdown/);
  });
});
