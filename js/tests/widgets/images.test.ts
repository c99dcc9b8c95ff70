// Widget images follow ChatKit's `allowed_image_domains` of the thread, as images in messages do:
// a widget built from model output cannot load a remote image from outside that list (Image.src,
// a Card's or ListView's status favicon, after updates too). Also the URL rule itself, judged as
// the browser resolves a URL.
import { afterEach, describe, expect, test } from "vitest";
import { safeImageUrl } from "../../src/render/safe";
import {
  appendStreamingText,
  renderWidget,
  setWidgetColorScheme,
  updateComponent,
  updateWidget,
  type WidgetHost,
  type WidgetRoot,
} from "../../src/widgets";
import {
  composer,
  FakeServer,
  item,
  type Mounted,
  mount as mountChat,
  press,
  sseResponse,
  thread,
  type,
  unmountAll,
  userItem,
  waitFor,
} from "../lite/harness";

const ALLOWED = ["example.com", "*.images.test"];

const LOADED = {
  "the domain": "https://example.com/a.png",
  "a subdomain": "https://cdn.example.com/a.png",
  "upper case": "HTTPS://EXAMPLE.COM/a.png",
  "a trailing dot": "https://example.com./a.png",
  "a wildcard entry": "https://x.images.test/a.png",
  "the wildcard's own domain": "https://images.test/a.png",
  "a port": "https://example.com:8443/a.png",
  "plain http": "http://example.com/a.png",
  "a data: png": "data:image/png;base64,iVBORw0KGgo=",
  "this origin, absolute path": "/files/plot.png",
  "this origin, relative path": "plot.png",
};

const BLOCKED = {
  "another domain": "https://evil.test/a.png",
  "a longer name ending alike": "https://notexample.com/a.png",
  "the domain as a subdomain": "https://example.com.evil.test/a.png",
  "userinfo trick": "https://example.com@evil.test/a.png",
  "backslash userinfo trick": "https://evil.test\\@example.com/a.png",
  "protocol-relative": "//evil.test/a.png",
  "slash-backslash": "/\\evil.test/a.png",
  "no slashes": "https:evil.test/a.png",
  "upper case other": "HTTPS://EVIL.TEST/a.png",
  "an IP": "http://127.0.0.2/a.png",
  "a lookalike (Cyrillic e)": "https://\u0435xample.com/a.png",
  punycode: "https://xn--xample-2of.com/a.png",
  "tab inside": "ht\ttps://evil.test/a.png",
  "javascript:": "javascript:alert(1)",
  "an svg data url": "data:image/svg+xml,<svg onload=alert(1)>",
};

describe("safeImageUrl", () => {
  test.each(Object.entries(LOADED))("loads %s", (_name, url) => {
    expect(safeImageUrl(url, ALLOWED)).toBe(url);
  });

  test.each(Object.entries(BLOCKED))("blocks %s", (_name, url) => {
    expect(safeImageUrl(url, ALLOWED)).toBeNull();
  });

  test.each([null, undefined, []])("without a list (%s) any safe image loads, as in ChatKit", (list) => {
    expect(safeImageUrl("https://evil.test/a.png", list)).toBe("https://evil.test/a.png");
    expect(safeImageUrl("javascript:alert(1)", list)).toBeNull();
  });

  test("entries that are not domains admit nothing", () => {
    const odd = ["", " ", "*.", 5, null] as unknown as string[];
    expect(safeImageUrl("https://evil.test/a.png", odd)).toBeNull();
    expect(safeImageUrl("/files/a.png", odd)).toBe("/files/a.png");
  });
});

// --- the widget renderer ---------------------------------------------------------------------

function host(allowedImageDomains?: readonly string[] | null): WidgetHost {
  return { colorScheme: "light", onAction: () => undefined, allowedImageDomains };
}

function render(root: Record<string, unknown>, h: WidgetHost): HTMLElement {
  const el = renderWidget(root as unknown as WidgetRoot, h);
  document.body.append(el);
  return el;
}

function sources(el: HTMLElement): string[] {
  return Array.from(el.querySelectorAll("img")).map((img) => img.getAttribute("src") ?? "");
}

const EVIL = "https://evil.test/track.png";
const GOOD = "https://cdn.example.com/ok.png";

function card(...children: unknown[]): Record<string, unknown> {
  return { type: "Card", children };
}

afterEach(() => {
  document.body.replaceChildren();
  unmountAll();
});

describe("widget images", () => {
  test.each(Object.entries(BLOCKED))("an Image with %s loads nothing", (_name, url) => {
    const el = render(card({ type: "Image", src: url, alt: "chart" }), host(ALLOWED));
    expect(sources(el)).toEqual([]);
    expect(el.textContent).toContain("chart"); // the layout keeps a labelled placeholder
  });

  test.each(Object.entries(LOADED))("an Image with %s loads", (_name, url) => {
    const el = render(card({ type: "Image", src: url }), host(ALLOWED));
    expect(sources(el)).toEqual([url]);
  });

  test("images nested deep in rows, columns, boxes and list items follow the list", () => {
    const deep = { type: "Row", children: [{ type: "Col", children: [{ type: "Box", children: [{ type: "Image", src: EVIL }] }] }] };
    const list = {
      type: "ListView",
      children: [
        {
          type: "ListViewItem",
          children: [
            { type: "Image", src: EVIL },
            { type: "Image", src: GOOD },
          ],
        },
      ],
    };
    expect(sources(render(card(deep), host(ALLOWED)))).toEqual([]);
    expect(sources(render(list, host(ALLOWED)))).toEqual([GOOD]);
  });

  const ROOTS: Record<string, Record<string, unknown>> = {
    Card: card({ type: "Text", value: "hi" }),
    ListView: { type: "ListView", children: [] },
  };

  test.each(Object.keys(ROOTS))("the status favicon of a %s follows the list", (name) => {
    const cases: [string, string[]][] = [
      [EVIL, []],
      ["//evil.test/f.ico", []],
      [GOOD, [GOOD]],
    ];
    for (const [favicon, expected] of cases) {
      const el = render({ ...ROOTS[name], status: { text: "Searching", favicon } }, host(ALLOWED));
      expect(sources(el)).toEqual(expected);
      expect(el.textContent).toContain("Searching");
    }
  });

  test("updates follow the list too", () => {
    const h = host(ALLOWED);
    const el = render(card({ type: "Image", id: "pic", src: GOOD }), h);
    expect(sources(el)).toEqual([GOOD]);
    updateComponent(el, "pic", { type: "Image", id: "pic", src: EVIL } as never, h);
    expect(sources(el)).toEqual([]);
    updateWidget(el, { ...card({ type: "Image", src: EVIL }), status: { text: "s", favicon: EVIL } } as never, h);
    expect(sources(el)).toEqual([]);
  });

  test("a colour scheme switch repaints with the list still in force", () => {
    // Before: setWidgetColorScheme repainted with a host without the list, so a switch to dark
    // mode loaded the tracker the first paint had refused.
    const el = render(
      { ...card({ type: "Image", src: EVIL }, { type: "Image", src: GOOD }), status: { text: "s", favicon: EVIL } },
      host(ALLOWED),
    );
    expect(sources(el)).toEqual([GOOD]);
    setWidgetColorScheme(el, "dark");
    expect(el.getAttribute("data-color-scheme")).toBe("dark");
    expect(sources(el)).toEqual([GOOD]);
    setWidgetColorScheme(el, "light");
    expect(sources(el)).toEqual([GOOD]);
  });

  test("markdown images in a widget never load by themselves, also when streamed in", () => {
    // Remote markdown images become links the user may open (render/markdown.ts); the list
    // cannot be bypassed through a Markdown component.
    const h = host(ALLOWED);
    const el = render(card({ type: "Markdown", id: "md", value: `![tracker](${EVIL})` }), h);
    appendStreamingText(el, "md", ` ![more](//evil.test/x.png)`, false);
    expect(sources(el)).toEqual([]);
    expect(el.textContent).toContain("tracker");
    expect(el.textContent).toContain("more");
  });

  test("without a list (a thread that sets none, or a widget in a cell) remote images load", () => {
    for (const list of [undefined, null, []]) {
      const el = render({ ...card({ type: "Image", src: EVIL }), status: { text: "s", favicon: EVIL } }, host(list));
      expect(sources(el)).toEqual([EVIL, EVIL]);
    }
  });
});

// --- in the chat: the thread's list reaches widgets in its messages -----------------------------

describe("in the lite chat", () => {
  test("a widget item uses its thread's allowed_image_domains, like an attachment preview", async () => {
    const server = new FakeServer();
    const widget = {
      type: "Card",
      status: { text: "From the model", favicon: EVIL },
      children: [
        { type: "Image", src: EVIL, alt: "tracker" },
        { type: "Image", src: GOOD, alt: "allowed" },
      ],
    };
    server.on("threads.create", () =>
      sseResponse([
        { type: "thread.created", thread: thread("thr_1", { allowed_image_domains: ["example.com"] }) },
        { type: "thread.item.done", item: userItem("u1", "Hi") },
        { type: "thread.item.done", item: item("widget", "w1", { widget }) },
      ]),
    );
    const mounted: Mounted = mountChat({}, server);
    type(composer(mounted.el), "Hi");
    press(composer(mounted.el), "Enter");
    const rendered = await waitFor(() => mounted.el.querySelector<HTMLElement>("[data-item-id=w1]"), "widget");
    expect(sources(rendered)).toEqual([GOOD]);
    expect(rendered.textContent).toContain("tracker");
  });
});
