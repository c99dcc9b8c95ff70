// A standalone WidgetView draws `lucide:` icons its bundle lacks from the `icons` the kernel sends
// (chatkit_jupyter/widget/_icons.py), and ignores icon data that is not plain lucide shapes.
import { Anchor, Rocket } from "lucide";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import { render } from "../../src/widgets/view";

type Listener = () => void;

function viewModel(state: Record<string, unknown>) {
  const listeners = new Map<string, Set<Listener>>();
  return {
    get: (key: string) => state[key],
    set(key: string, value: unknown) {
      state[key] = value;
      for (const cb of listeners.get(`change:${key}`) ?? []) cb();
    },
    on: (event: string, cb: Listener) => {
      if (!listeners.has(event)) listeners.set(event, new Set());
      listeners.get(event)!.add(cb);
    },
    off: (event: string, cb: Listener) => listeners.get(event)?.delete(cb),
    save_changes: () => {},
    send: () => {},
  };
}

function icons(...names: string[]) {
  return { type: "Card", children: names.map((name) => ({ type: "Icon", name })) };
}

function drawn(el: HTMLElement, name: string): string[] | null {
  const svg = el.querySelector(`svg[data-icon="${name}"]`);
  if (!svg || svg.classList.contains("ckw-icon--missing")) return null;
  return Array.from(svg.querySelectorAll("path"), (path) => path.getAttribute("d")!);
}

const d = (node: readonly (readonly [string, Record<string, unknown>])[]) =>
  node.filter(([tag]) => tag === "path").map(([, attrs]) => attrs.d);

describe("WidgetView icons from the kernel", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => {
    vi.useRealTimers();
    document.body.innerHTML = "";
  });

  it("draws a sent lucide icon, and one sent later on redraw", () => {
    const model = viewModel({
      widget: icons("lucide:rocket", "lucide:anchor"),
      icons: { "lucide:rocket": Rocket },
      theme: "light",
      error: "",
    });
    const el = document.createElement("div");
    document.body.append(el);
    const cleanup = render({ model, el } as never) as unknown as () => void;
    expect(drawn(el, "lucide:rocket")).toEqual(d(Rocket));
    expect(drawn(el, "lucide:anchor")).toBeNull();

    model.set("icons", { "lucide:anchor": Anchor });
    vi.advanceTimersByTime(100);
    expect(drawn(el, "lucide:anchor")).toEqual(d(Anchor));
    // Added, not replaced: the rocket another update left out of `icons` is still there.
    expect(drawn(el, "lucide:rocket")).toEqual(d(Rocket));
    cleanup();
  });

  it("ignores icons that are not plain lucide shapes", () => {
    const model = viewModel({
      widget: icons("lucide:bomb", "lucide:flag", "lucide:skull", "lucide:ghost", "chart"),
      icons: {
        "lucide:bomb": [["script", { href: "https://example.com/x.js" }]],
        "lucide:flag": [["path", { d: "M0 0h24", fill: "url(https://example.com/track)" }]],
        "lucide:skull": [["path", { d: "M0 0h24", onload: "alert(1)" }]],
        "lucide:ghost": [["path", { d: 'M0 0"/><script>' }]],
        chart: [["path", { d: "M0 0h24" }]],
      },
      theme: "light",
      error: "",
    });
    const el = document.createElement("div");
    document.body.append(el);
    const cleanup = render({ model, el } as never) as unknown as () => void;
    for (const name of ["lucide:bomb", "lucide:flag", "lucide:skull", "lucide:ghost"]) {
      expect(drawn(el, name), name).toBeNull();
    }
    // A ChatKit name keeps its bundled icon; the kernel cannot replace it.
    expect(drawn(el, "chart")).not.toEqual(["M0 0h24"]);
    expect(el.querySelector("script")).toBeNull();
    cleanup();
  });
});

describe("WidgetView without a widget", () => {
  afterEach(() => {
    document.body.innerHTML = "";
  });

  it("draws nothing until it gets one", async () => {
    // Before: `WidgetView()` showed "Unsupported widget component: (no type)".
    const model = viewModel({ widget: {}, icons: {}, theme: "light", error: "" });
    const el = document.createElement("div");
    document.body.append(el);
    const cleanup = render({ model, el } as never) as unknown as () => void;
    expect(el.textContent).toBe("");
    expect(el.querySelector(".ckw-unknown")).toBeNull();
    model.set("widget", icons());
    await new Promise((r) => requestAnimationFrame(r));
    expect(el.querySelector(".ckw-card")).not.toBeNull();
    cleanup();
  });
});
