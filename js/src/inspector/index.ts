// The inspector panel under the chat: per turn, the request, its stream events, the agent's
// steps (model calls with tokens and latency, tool calls with arguments and results) and handler
// output, each copyable as JSON. The kernel records and redacts everything
// (chatkit_jupyter/workbench/_inspector.py); this only draws it. It is our own DOM beside the
// chat, so it works the same under the hosted <openai-chatkit> and the lite renderer.
//
// Entries arrive in batches (`inspect` messages, at most a few per second: Jupyter drops iopub
// messages above 1000/s) and are drawn at most once per animation frame. Opening the panel asks
// the kernel for everything it kept (`inspect` hook), so a late view misses nothing.

import { h } from "../render/dom";
import * as p from "../transport/protocol";
import "./inspector.css";

export interface InspectorEntry {
  seq: number;
  turn: number;
  time: string;
  kind: "request" | "event" | "step" | "log" | "response" | string;
  title: string;
  data: unknown;
}

/** What the panel needs of the widget: its `inspector` trait and its comm messages. */
export interface InspectorModel {
  get(name: "inspector"): boolean;
  on(event: string, cb: (...args: unknown[]) => void): void;
  off(event: string, cb: (...args: unknown[]) => void): void;
}

/** Asks the kernel for every entry it kept (the bridge's `call`). */
export type Snapshot = () => Promise<unknown>;

const MAX_ENTRIES = 2000;
const KIND_LABELS: Record<string, string> = {
  request: "request",
  event: "event",
  step: "step",
  log: "handler output",
  response: "response",
};

interface Turn {
  n: number;
  entries: InspectorEntry[];
  el: HTMLDetailsElement;
  summary: HTMLElement;
  list: HTMLOListElement;
  drawn: number;
}

export class InspectorPanel {
  readonly el: HTMLElement;
  private readonly body: HTMLElement;
  private readonly heading: HTMLElement;
  private readonly turns = new Map<number, Turn>();
  private readonly seen = new Set<number>();
  private entries: InspectorEntry[] = [];
  private frame = 0;
  private loaded = false;
  private readonly onMessage = (msg: unknown) => {
    const m = msg as Partial<p.InspectMessage> | null;
    if (m && m.kind === p.INSPECT && Array.isArray(m.entries)) this.add(m.entries as unknown as InspectorEntry[]);
  };
  private readonly onToggle = () => this.sync();

  constructor(
    private readonly model: InspectorModel,
    private readonly snapshot: Snapshot,
  ) {
    this.heading = h("summary", { class: "ckj-inspector-summary", text: "Inspector" });
    const copyAll = h("button", { type: "button", class: "ckj-inspector-copy", text: "Copy all as JSON" });
    copyAll.addEventListener("click", () => void copy(JSON.stringify(this.entries, null, 2), copyAll));
    this.body = h("div", { class: "ckj-inspector-turns" });
    const empty = h("p", { class: "ckj-inspector-empty", text: "No turns yet: send a message." });
    this.body.append(empty);
    const details = h(
      "details",
      { class: "ckj-inspector-panel", open: true },
      this.heading,
      h("div", { class: "ckj-inspector-bar" }, copyAll),
      this.body,
    );
    this.el = h("section", { class: "ckj-inspector", "aria-label": "Inspector" }, details);
    model.on("msg:custom", this.onMessage);
    model.on("change:inspector", this.onToggle);
    this.sync();
  }

  /** Show or hide as the `inspector` trait says; the first show fetches what the kernel kept. */
  private sync(): void {
    const on = Boolean(this.model.get("inspector"));
    this.el.hidden = !on;
    if (on && !this.loaded) {
      this.loaded = true;
      this.snapshot().then(
        (value) => {
          const entries = (value as { entries?: unknown } | null)?.entries;
          if (Array.isArray(entries)) this.add(entries as InspectorEntry[]);
        },
        () => {
          this.loaded = false; // try again the next time it opens
        },
      );
    }
  }

  /** Take entries (from a batch or the snapshot, in any order, repeats ignored). */
  add(batch: InspectorEntry[]): void {
    let fresh = false;
    for (const entry of batch) {
      if (!entry || typeof entry.seq !== "number" || this.seen.has(entry.seq)) continue;
      this.seen.add(entry.seq);
      this.entries.push(entry);
      fresh = true;
    }
    if (!fresh) return;
    this.entries.sort((a, b) => a.seq - b.seq);
    if (this.entries.length > MAX_ENTRIES) this.trim();
    if (!this.frame) this.frame = requestAnimationFrame(() => this.draw());
  }

  private trim(): void {
    const dropped = this.entries.splice(0, this.entries.length - MAX_ENTRIES);
    for (const entry of dropped) this.seen.delete(entry.seq);
    const kept = new Set(this.entries.map((e) => e.turn));
    for (const [n, turn] of this.turns) {
      if (!kept.has(n)) {
        turn.el.remove();
        this.turns.delete(n);
      }
    }
    // A turn that lost its oldest entries is drawn again from what is left.
    for (const turn of this.turns.values()) {
      turn.entries = [];
      turn.drawn = 0;
      turn.list.replaceChildren();
    }
  }

  /** Draws what arrived since the last frame: new turns, new rows, updated turn summaries. */
  draw(): void {
    this.frame = 0;
    for (const turn of this.turns.values()) turn.entries = [];
    for (const entry of this.entries) this.turn(entry.turn).entries.push(entry);
    if (this.turns.size) this.body.querySelector(".ckj-inspector-empty")?.remove();
    for (const turn of this.turns.values()) {
      for (const entry of turn.entries.slice(turn.drawn)) turn.list.append(row(entry));
      turn.drawn = turn.entries.length;
      turn.summary.textContent = describe(turn);
    }
    this.heading.textContent = `Inspector · ${this.turns.size} turn${this.turns.size === 1 ? "" : "s"}`;
  }

  private turn(n: number): Turn {
    let turn = this.turns.get(n);
    if (!turn) {
      const summary = h("summary", { class: "ckj-turn-summary" });
      const list = h("ol", { class: "ckj-entries" });
      const copyTurn = h("button", { type: "button", class: "ckj-inspector-copy", text: "Copy turn as JSON" });
      const el = h("details", { class: "ckj-turn" }, summary, h("div", { class: "ckj-inspector-bar" }, copyTurn), list);
      const created: Turn = { n, entries: [], el, summary, list, drawn: 0 };
      copyTurn.addEventListener("click", () => void copy(JSON.stringify(created.entries, null, 2), copyTurn));
      turn = created;
      this.turns.set(n, turn);
      // Newest turn first, open; older ones keep whatever the user chose.
      this.body.prepend(el);
      el.open = true;
    }
    return turn;
  }

  destroy(): void {
    if (this.frame) cancelAnimationFrame(this.frame);
    this.model.off("msg:custom", this.onMessage);
    this.model.off("change:inspector", this.onToggle);
    this.el.remove();
  }
}

/** One line per turn: what was asked, how long it took, tools, tokens. */
function describe(turn: Turn): string {
  const request = turn.entries.find((e) => e.kind === "request");
  const response = [...turn.entries].reverse().find((e) => e.kind === "response");
  const steps = turn.entries.filter((e) => e.kind === "step").map((e) => e.data as Record<string, unknown>);
  const tools = steps.filter((s) => s.kind === "tool").length;
  const tokens = steps.reduce((sum, s) => sum + (typeof s.total_tokens === "number" ? s.total_tokens : 0), 0);
  const seconds = (response?.data as { seconds?: unknown } | undefined)?.seconds;
  const parts = [`Turn ${turn.n}`, request ? request.title : "(between turns)"];
  if (typeof seconds === "number") parts.push(`${seconds.toFixed(2)} s`);
  if (tools) parts.push(`${tools} tool call${tools === 1 ? "" : "s"}`);
  if (tokens) parts.push(`${tokens} tokens`);
  const logs = turn.entries.filter((e) => e.kind === "log").length;
  if (logs) parts.push(`${logs} handler output`);
  return parts.join(" · ");
}

function row(entry: InspectorEntry): HTMLElement {
  const label = KIND_LABELS[entry.kind] ?? entry.kind;
  const time = entry.time.slice(11, 23);
  const summary = h(
    "summary",
    { class: "ckj-entry-summary" },
    h("span", { class: `ckj-kind ckj-kind-${entry.kind}`, text: label }),
    h("span", { class: "ckj-entry-title", text: entry.title }),
    h("time", { class: "ckj-entry-time", text: time }),
  );
  const details = h("details", { class: "ckj-entry" }, summary);
  // The JSON is drawn on first open: a long turn has hundreds of rows.
  details.addEventListener("toggle", () => {
    if (!details.open || details.querySelector("pre")) return;
    const json = JSON.stringify(entry, null, 2);
    const button = h("button", {
      type: "button",
      class: "ckj-inspector-copy",
      text: "Copy JSON",
      "aria-label": `Copy entry ${entry.seq} as JSON`,
    });
    button.addEventListener("click", () => void copy(json, button));
    details.append(h("div", { class: "ckj-inspector-bar" }, button), h("pre", { class: "ckj-json", text: json }));
  });
  return h("li", null, details);
}

/** Copies `text`, and says so on the button for a moment. */
export async function copy(text: string, button: HTMLElement): Promise<void> {
  const label = button.textContent;
  let ok = false;
  try {
    await navigator.clipboard.writeText(text);
    ok = true;
  } catch {
    // No clipboard API (an insecure origin, a test page): the old way.
    const area = h("textarea", { class: "ckj-offscreen" }) as HTMLTextAreaElement;
    area.value = text;
    document.body.append(area);
    area.select();
    try {
      ok = document.execCommand("copy");
    } catch {
      ok = false;
    }
    area.remove();
  }
  button.textContent = ok ? "Copied" : "Copy failed";
  button.dataset.copied = String(ok);
  setTimeout(() => {
    button.textContent = label;
  }, 1500);
}
