// Test harness for the lite renderer: a fake ChatKit backend behind a fetch function that
// answers exactly as ChatKitServer does (SSE `data: <json>\n\n` for streaming requests, JSON for
// the rest), and small DOM helpers that find things by role and accessible name.
import { type LiteInstance, type LiteOptions, mountLite } from "../../src/lite";

export interface Sent {
  type: string;
  params: Record<string, unknown>;
  metadata: unknown;
  signal?: AbortSignal | null;
  url: string;
  body: unknown;
}

type Handler = (params: Record<string, unknown>, sent: Sent) => Response | Promise<Response>;

const encoder = new TextEncoder();

export function sseBytes(events: object[]): Uint8Array {
  return encoder.encode(events.map((e) => `data: ${JSON.stringify(e)}\n\n`).join(""));
}

/**
 * An SSE body as a ReadableStream of bytes. `chunk` splits the bytes into pieces of that size
 * (so events and UTF-8 characters straddle chunks); `error` errors the stream after the events;
 * `hang` keeps it open until cancelled.
 */
export function sseStream(
  events: object[],
  opts: { chunk?: number; error?: Error; hang?: boolean; onCancel?: () => void } = {},
): ReadableStream<Uint8Array> {
  const bytes = sseBytes(events);
  const size = opts.chunk ?? bytes.length;
  let offset = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (offset < bytes.length) {
        controller.enqueue(bytes.slice(offset, offset + size));
        offset += size;
        return;
      }
      if (opts.error) controller.error(opts.error);
      else if (!opts.hang) controller.close();
      // hang: never enqueue again; only cancel() ends it.
      return opts.hang ? new Promise<void>(() => undefined) : undefined;
    },
    cancel() {
      opts.onCancel?.();
    },
  });
}

export function sseResponse(events: object[], opts: Parameters<typeof sseStream>[1] = {}): Response {
  return new Response(sseStream(events, opts), {
    status: 200,
    headers: { "Content-Type": "text/event-stream" },
  });
}

export function jsonResponse(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "Content-Type": "application/json" },
  });
}

export class FakeServer {
  readonly sent: Sent[] = [];
  readonly handlers: Record<string, Handler> = {};
  /** Called for requests to other URLs (uploads). */
  upload?: (url: string, init: RequestInit) => Response | Promise<Response>;

  on(type: string, handler: Handler): this {
    this.handlers[type] = handler;
    return this;
  }

  readonly fetch = (async (input: RequestInfo | URL, init: RequestInit = {}): Promise<Response> => {
    const url = String(input);
    if (url !== API_URL) {
      if (!this.upload) throw new TypeError(`unexpected fetch to ${url}`);
      this.sent.push({ type: "upload", params: {}, metadata: null, url, body: init.body, signal: init.signal });
      return this.upload(url, init);
    }
    const body = JSON.parse(String(init.body)) as { type: string; params: Record<string, unknown>; metadata: unknown };
    const sent: Sent = { ...body, signal: init.signal, url, body };
    this.sent.push(sent);
    const handler = this.handlers[body.type];
    if (!handler) return jsonResponse({ error: `no handler for ${body.type}` }, 500);
    return handler(body.params, sent);
  }) as typeof fetch;

  ofType(type: string): Sent[] {
    return this.sent.filter((s) => s.type === type);
  }
}

export const API_URL = "https://chatkit-jupyter.invalid/chatkit";
const NOW = "2025-01-01T00:00:00Z";

export function thread(id: string, extra: Record<string, unknown> = {}) {
  return { id, title: null, created_at: NOW, status: { type: "active" }, items: { data: [], has_more: false }, ...extra };
}

export function userItem(id: string, text: string, threadId = "thr_1", extra: Record<string, unknown> = {}) {
  return {
    type: "user_message",
    id,
    thread_id: threadId,
    created_at: NOW,
    content: [{ type: "input_text", text }],
    attachments: [],
    inference_options: {},
    ...extra,
  };
}

export function assistantItem(id: string, text: string, threadId = "thr_1", annotations: unknown[] = []) {
  return {
    type: "assistant_message",
    id,
    thread_id: threadId,
    created_at: NOW,
    content: [{ type: "output_text", text, annotations }],
  };
}

export function item(type: string, id: string, extra: Record<string, unknown>, threadId = "thr_1") {
  return { type, id, thread_id: threadId, created_at: NOW, ...extra };
}

/** The events of a complete reply that streams `text` in the given deltas. */
export function replyEvents(userId: string, userText: string, assistantId: string, deltas: string[], threadId = "thr_1") {
  const text = deltas.join("");
  return [
    { type: "thread.item.done", item: userItem(userId, userText, threadId) },
    { type: "stream_options", stream_options: { allow_cancel: true } },
    { type: "thread.item.added", item: assistantItem(assistantId, "", threadId) },
    ...deltas.map((delta) => ({
      type: "thread.item.updated",
      item_id: assistantId,
      update: { type: "assistant_message.content_part.text_delta", content_index: 0, delta },
    })),
    { type: "thread.item.done", item: assistantItem(assistantId, text, threadId) },
  ];
}

export interface Mounted {
  lite: LiteInstance & { settle(): Promise<void> };
  server: FakeServer;
  el: HTMLElement;
  events: Array<{ type: string; detail: unknown }>;
}

const EVENT_NAMES = [
  "chatkit.ready",
  "chatkit.error",
  "chatkit.effect",
  "chatkit.response.start",
  "chatkit.response.end",
  "chatkit.thread.change",
  "chatkit.log",
  "chatkit.history.open",
  "chatkit.history.close",
  "chatkit.thread.load.start",
  "chatkit.thread.load.end",
  "chatkit.tool.change",
];

const live: Mounted[] = [];

/** Destroys every chat `mount` made; call it from `afterEach`. */
export function unmountAll(): void {
  for (const m of live.splice(0)) {
    m.lite.destroy();
    m.el.remove();
  }
}

export function mount(options: LiteOptions = {}, server = new FakeServer(), scheme: "light" | "dark" = "light"): Mounted {
  const el = document.createElement("div");
  document.body.append(el);
  const events: Mounted["events"] = [];
  // Listen on the container: the events bubble out of the lite root.
  for (const name of EVENT_NAMES) el.addEventListener(name, (e) => events.push({ type: name, detail: (e as CustomEvent).detail }));
  const lite = mountLite(el, options, { fetch: server.fetch, apiUrl: API_URL, colorScheme: () => scheme }) as Mounted["lite"];
  const mounted = { lite, server, el, events };
  live.push(mounted);
  return mounted;
}

/** Waits (by polling the DOM, not the clock) until `check` returns a truthy value. */
export async function waitFor<T>(check: () => T | null | undefined | false, what = "condition", timeout = 3000): Promise<T> {
  const start = Date.now();
  for (;;) {
    const value = check();
    if (value) return value;
    if (Date.now() - start > timeout) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

// ---------------------------------------------------------------- DOM by role

const IMPLICIT: Record<string, (el: Element) => boolean> = {
  button: (el) => el.tagName === "BUTTON",
  textbox: (el) => el.tagName === "TEXTAREA" || (el.tagName === "INPUT" && ["text", "search", ""].includes((el as HTMLInputElement).type)),
  article: (el) => el.tagName === "ARTICLE",
  combobox: (el) => el.tagName === "SELECT",
  region: (el) => el.tagName === "SECTION" && el.hasAttribute("aria-label"),
  list: (el) => el.tagName === "UL" || el.tagName === "OL",
  listitem: (el) => el.tagName === "LI",
  heading: (el) => /^H[1-6]$/.test(el.tagName),
  link: (el) => el.tagName === "A" && el.hasAttribute("href"),
  img: (el) => el.tagName === "IMG",
};

function visible(el: Element): boolean {
  for (let node: Element | null = el; node; node = node.parentElement) {
    if ((node as HTMLElement).hidden) return false;
  }
  return true;
}

export function accessibleName(el: Element): string {
  return (el.getAttribute("aria-label") ?? el.textContent ?? "").trim();
}

export function allByRole(root: ParentNode, role: string, name?: string | RegExp): HTMLElement[] {
  return Array.from(root.querySelectorAll<HTMLElement>("*")).filter((el) => {
    const explicit = el.getAttribute("role");
    const matches = explicit ? explicit === role : (IMPLICIT[role]?.(el) ?? false);
    if (!matches || !visible(el)) return false;
    if (name === undefined) return true;
    const n = accessibleName(el);
    return typeof name === "string" ? n === name : name.test(n);
  });
}

export function byRole(root: ParentNode, role: string, name?: string | RegExp): HTMLElement {
  const found = allByRole(root, role, name);
  if (found.length !== 1) {
    throw new Error(`expected one ${role}${name !== undefined ? ` named ${String(name)}` : ""}, found ${found.length}`);
  }
  return found[0];
}

export function queryByRole(root: ParentNode, role: string, name?: string | RegExp): HTMLElement | null {
  return allByRole(root, role, name)[0] ?? null;
}

/** Types into a textarea as a user would (value + input event). */
export function type(el: HTMLElement, text: string): void {
  const input = el as HTMLTextAreaElement;
  input.focus();
  input.value = text;
  input.setSelectionRange(text.length, text.length);
  input.dispatchEvent(new Event("input", { bubbles: true }));
}

export function press(el: HTMLElement, key: string, init: KeyboardEventInit = {}): KeyboardEvent {
  const ev = new KeyboardEvent("keydown", { key, bubbles: true, cancelable: true, ...init });
  el.dispatchEvent(ev);
  return ev;
}

export function composer(root: ParentNode, placeholder = "Message the AI"): HTMLTextAreaElement {
  return byRole(root, "textbox", placeholder) as HTMLTextAreaElement;
}

export function log(root: ParentNode): HTMLElement {
  return byRole(root, "log");
}

// ---------------------------------------------------------------- responsiveness

// Node's process.cpuUsage(): CPU time this process used (µs). The tsconfig loads no Node types.
declare const process: { cpuUsage(): { user: number; system: number } };

function cpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

/**
 * Runs `work` while a 0 ms heartbeat records the longest time between two of its ticks. Each
 * gap counts as the smaller of wall-clock and CPU time, so a shared, overloaded machine that
 * preempts the test process does not read as the page being blocked.
 */
export async function longestBlock(work: () => Promise<void>): Promise<number> {
  let longest = 0;
  let lastWall = performance.now();
  let lastCpu = cpuMs();
  let running = true;
  const beat = () => {
    if (!running) return;
    const wall = performance.now();
    const cpu = cpuMs();
    longest = Math.max(longest, Math.min(wall - lastWall, cpu - lastCpu));
    lastWall = wall;
    lastCpu = cpu;
    setTimeout(beat, 0);
  };
  setTimeout(beat, 0);
  try {
    await work();
  } finally {
    beat();
    running = false;
  }
  return longest;
}

/** An SSE response the test feeds event by event (`push`), then ends (`close`). */
export function controlledStream(): { response: Response; push(...events: object[]): void; close(): void } {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  const body = new ReadableStream<Uint8Array>({
    start(c) {
      controller = c;
    },
  });
  return {
    response: new Response(body, { status: 200, headers: { "Content-Type": "text/event-stream" } }),
    push: (...events) => controller.enqueue(sseBytes(events)),
    close: () => controller.close(),
  };
}
