// A WidgetView driven by a minimal model (get/on/off/set/save_changes/send), as an exported page
// or a notebook reopened from saved widget state drives it: it draws at once, and an action says
// "not connected" after a short silence unless the kernel answers.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import * as p from "../../src/transport/protocol";
import { NOT_CONNECTED, SILENCE_MS } from "../../src/widgets/link";
import { render } from "../../src/widgets/view";

type Listener = (...args: unknown[]) => void;

function minimalModel(state: Record<string, unknown>, answer?: (msg: p.CallMessage) => unknown, delayMs = 10) {
  const listeners = new Map<string, Set<Listener>>();
  const sent: p.CallMessage[] = [];
  const model = {
    get: (key: string) => state[key],
    set: (key: string, value: unknown) => {
      state[key] = value;
    },
    on: (event: string, cb: Listener) => {
      if (!listeners.has(event)) listeners.set(event, new Set());
      listeners.get(event)!.add(cb);
    },
    off: (event: string, cb: Listener) => listeners.get(event)?.delete(cb),
    save_changes: () => {},
    send: (msg: p.CallMessage) => {
      sent.push(msg);
      if (!answer) return;
      const value = answer(msg);
      // The kernel answers asynchronously, as over a comm.
      setTimeout(() => {
        for (const cb of listeners.get("msg:custom") ?? []) cb({ kind: p.RESULT, id: msg.id, ok: true, value }, []);
      }, delayMs);
    },
  };
  return { model, sent, listeners };
}

const CARD = {
  type: "Card",
  children: [
    { type: "Title", value: "Saved title" },
    { type: "Button", label: "Refresh", onClickAction: { type: "refresh" } },
  ],
};

function mount(model: unknown): { el: HTMLElement; cleanup: () => void } {
  const el = document.createElement("div");
  document.body.append(el);
  const cleanup = render({ model, el } as never) as unknown as () => void;
  return { el, cleanup };
}

function alertText(el: HTMLElement): string | null {
  const line = el.querySelector<HTMLElement>("[role=alert]");
  return line && !line.hidden ? line.textContent : null;
}

describe("WidgetView without a kernel", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => {
    vi.useRealTimers();
    document.body.innerHTML = "";
  });

  it("draws the saved widget at once and says hello once", () => {
    const { model, sent } = minimalModel({ widget: CARD, theme: "light", error: "" });
    const { el, cleanup } = mount(model);
    expect(el.querySelector("h3")?.textContent).toBe("Saved title");
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ kind: p.CALL, hook: p.HOOK_LOG });
    cleanup();
  });

  it("says it is not connected when an action meets silence", async () => {
    const { model } = minimalModel({ widget: CARD, theme: "light", error: "" });
    const { el, cleanup } = mount(model);
    el.querySelector("button")!.click();
    await vi.advanceTimersByTimeAsync(SILENCE_MS - 100);
    expect(alertText(el)).toBeNull();
    await vi.advanceTimersByTimeAsync(200);
    expect(alertText(el)).toBe(NOT_CONNECTED);
    // The bridge's own watchdog later gives up on the call: the line stays the same.
    await vi.advanceTimersByTimeAsync(70_000);
    expect(alertText(el)).toBe(NOT_CONNECTED);
    cleanup();
  });

  it("stays quiet when the kernel answers", async () => {
    const { model, sent } = minimalModel({ widget: CARD, theme: "light", error: "" }, () => null);
    const { el, cleanup } = mount(model);
    el.querySelector("button")!.click();
    await vi.advanceTimersByTimeAsync(SILENCE_MS * 3);
    expect(sent.map((m) => m.hook)).toEqual([p.HOOK_LOG, p.HOOK_ACTION]);
    expect(alertText(el)).toBeNull();
    cleanup();
  });

  it("clears the line when a busy kernel answers late", async () => {
    const { model } = minimalModel({ widget: CARD, theme: "light", error: "" }, () => null, 4_000);
    const { el, cleanup } = mount(model);
    el.querySelector("button")!.click();
    await vi.advanceTimersByTimeAsync(SILENCE_MS + 100);
    expect(alertText(el)).toBe(NOT_CONNECTED);
    await vi.advanceTimersByTimeAsync(4_000);
    expect(alertText(el)).toBeNull();
    cleanup();
  });
});
