// The inspector panel: shown by the `inspector` trait, filled from the kernel's snapshot and its
// batches, one section per turn, every entry copyable as JSON, all of it text (never HTML).
import { afterEach, describe, expect, it, vi } from "vitest";
import { type InspectorEntry, type InspectorModel, InspectorPanel } from "../src/inspector";
import * as p from "../src/transport/protocol";

type Handler = (...args: unknown[]) => void;

class FakeModel implements InspectorModel {
  inspector = false;
  handlers = new Map<string, Set<Handler>>();
  get(): boolean {
    return this.inspector;
  }
  on(event: string, cb: Handler): void {
    if (!this.handlers.has(event)) this.handlers.set(event, new Set());
    this.handlers.get(event)!.add(cb);
  }
  off(event: string, cb: Handler): void {
    this.handlers.get(event)?.delete(cb);
  }
  emit(event: string, ...args: unknown[]): void {
    for (const cb of this.handlers.get(event) ?? []) cb(...args);
  }
  set(value: boolean): void {
    this.inspector = value;
    this.emit("change:inspector");
  }
}

let seq = 0;
function entry(turn: number, kind: string, title: string, data: unknown = {}): InspectorEntry {
  seq += 1;
  return { seq, turn, time: `2026-11-30T19:00:0${seq % 10}.123+00:00`, kind, title, data };
}

const frame = () => new Promise((resolve) => requestAnimationFrame(() => resolve(null)));
const panels: InspectorPanel[] = [];
afterEach(() => {
  for (const panel of panels.splice(0)) panel.destroy();
  vi.restoreAllMocks();
});

function mount(model: FakeModel, snapshot: () => Promise<unknown>): InspectorPanel {
  const panel = new InspectorPanel(model, snapshot);
  document.body.append(panel.el);
  panels.push(panel);
  return panel;
}

describe("InspectorPanel", () => {
  it("shows only while the trait is on, and loads what the kernel kept once", async () => {
    const model = new FakeModel();
    const kept = [entry(1, "request", "threads.create"), entry(1, "response", "stream done, 9 events", { seconds: 1.2 })];
    const snapshot = vi.fn(async () => ({ entries: kept }));
    const panel = mount(model, snapshot);
    expect(panel.el.hidden).toBe(true);
    expect(snapshot).not.toHaveBeenCalled();
    model.set(true);
    expect(panel.el.hidden).toBe(false);
    await vi.waitFor(() => expect(panel.el.textContent).toContain("threads.create"));
    model.set(false);
    model.set(true);
    expect(snapshot).toHaveBeenCalledTimes(1);
    expect(panel.el.getAttribute("aria-label")).toBe("Inspector");
  });

  it("groups batches by turn, newest first, with what each turn did", async () => {
    const model = new FakeModel();
    model.inspector = true;
    const panel = mount(model, async () => ({ entries: [] }));
    const first = [
      entry(1, "request", "threads.create"),
      entry(1, "step", "model stub", { kind: "model", total_tokens: 30 }),
      entry(1, "step", "tool lookup", { kind: "tool", name: "lookup", arguments: '{"city": "Oslo"}', output: "12" }),
      entry(1, "log", "on_action print", { text: "hi" }),
      entry(1, "response", "stream done", { seconds: 1.5 }),
    ];
    const second = [entry(2, "request", "threads.add_user_message thr_1")];
    model.emit("msg:custom", { kind: p.INSPECT, id: "inspector", entries: first });
    model.emit("msg:custom", { kind: p.INSPECT, id: "inspector", entries: [...second, first[0]] }); // a repeat
    model.emit("msg:custom", { kind: p.RESULT, id: "x", ok: true }); // not ours
    await frame();
    const turns = [...panel.el.querySelectorAll(".ckj-turn-summary")].map((s) => s.textContent);
    expect(turns).toEqual([
      "Turn 2 · threads.add_user_message thr_1",
      "Turn 1 · threads.create · 1.50 s · 1 tool call · 30 tokens · 1 handler output",
    ]);
    const rows = [...panel.el.querySelectorAll(".ckj-turn")[1].querySelectorAll(".ckj-entry-summary")];
    expect(rows.map((r) => r.querySelector(".ckj-kind")?.textContent)).toEqual(["request", "step", "step", "handler output", "response"]);
    expect(panel.el.querySelector(".ckj-inspector-summary")?.textContent).toBe("Inspector · 2 turns");
  });

  it("draws an entry's JSON when opened and copies it", async () => {
    const model = new FakeModel();
    model.inspector = true;
    const panel = mount(model, async () => ({ entries: [] }));
    const tool = entry(1, "step", "tool lookup", { kind: "tool", name: "lookup", output: "12 degrees" });
    panel.add([tool]);
    await frame();
    const details = panel.el.querySelector<HTMLDetailsElement>(".ckj-entry")!;
    expect(details.querySelector("pre")).toBeNull();
    details.open = true;
    details.dispatchEvent(new Event("toggle"));
    expect(JSON.parse(details.querySelector("pre")!.textContent!)).toEqual(tool);
    const writeText = vi.fn(async (_text: string) => undefined);
    Object.defineProperty(navigator, "clipboard", { value: { writeText }, configurable: true });
    const button = details.querySelector<HTMLButtonElement>(`button[aria-label="Copy entry ${tool.seq} as JSON"]`)!;
    button.click();
    await vi.waitFor(() => expect(button.textContent).toBe("Copied"));
    expect(JSON.parse(writeText.mock.calls[0][0])).toEqual(tool);
  });

  it("shows titles and data as text, never as HTML", async () => {
    const model = new FakeModel();
    model.inspector = true;
    const panel = mount(model, async () => ({ entries: [] }));
    const hostile = '<img src=x onerror="window.__pwned=1">';
    panel.add([entry(1, "event", hostile, { html: hostile })]);
    await frame();
    const details = panel.el.querySelector<HTMLDetailsElement>(".ckj-entry")!;
    details.open = true;
    details.dispatchEvent(new Event("toggle"));
    expect(panel.el.querySelector("img")).toBeNull();
    expect(panel.el.textContent).toContain(hostile);
  });

  it("stops listening when destroyed", () => {
    const model = new FakeModel();
    const panel = new InspectorPanel(model, async () => ({ entries: [] }));
    panel.destroy();
    expect([...model.handlers.values()].every((set) => set.size === 0)).toBe(true);
  });
});
