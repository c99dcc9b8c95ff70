// Turns the kernel runs itself (Python's `ask`), pushed to a lite view in numbered batches of SSE
// bytes: the client applies them through the path of its own streams, notices lost batches and
// ends in the state the store has.
import { afterEach, describe, expect, test } from "vitest";
import { mountLite } from "../../src/lite";
import { ChatClient, type PushedMessage } from "../../src/lite/client/client";
import type { AssistantMessageItem } from "../../src/lite/client/types";
import {
  API_URL,
  assistantItem,
  byRole,
  composer,
  FakeServer,
  jsonResponse,
  log,
  replyEvents,
  sseBytes,
  thread,
  userItem,
  waitFor,
} from "./harness";

const clients: ChatClient[] = [];
afterEach(() => {
  for (const c of clients.splice(0)) c.destroy();
  document.body.replaceChildren();
});

function client(server = new FakeServer(), silenceMs?: number) {
  const stopped: string[] = [];
  const c = new ChatClient({
    fetch: server.fetch,
    apiUrl: API_URL,
    onClientTool: () => undefined,
    stopPushed: (id) => stopped.push(id),
    pushedSilenceMs: silenceMs,
  });
  clients.push(c);
  const errors: string[] = [];
  const busy: boolean[] = [];
  c.on("error", (e) => errors.push(e.message));
  c.on("busy", (b) => busy.push(b.busy));
  return { c, server, stopped, errors, busy };
}

/** `events` as SSE bytes cut every `size` bytes, so events and UTF-8 characters straddle batches. */
function batches(events: object[], size: number): Uint8Array[] {
  const bytes = sseBytes(events);
  const out: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i += size) out.push(bytes.slice(i, i + size));
  return out;
}

function stream(id: string, seq: number, threadId: string | null): PushedMessage {
  return { kind: "stream", id, seq, thread_id: threadId };
}

function end(id: string, total: number, threadId: string | null, error?: string): PushedMessage {
  return error === undefined
    ? { kind: "stream_end", id, total, thread_id: threadId }
    : { kind: "stream_end", id, total, thread_id: threadId, error };
}

function text(c: ChatClient, id: string): string {
  const item = c.getItem(id) as AssistantMessageItem | undefined;
  return item?.content.map((p) => p.text).join("") ?? "";
}

/** A server whose thread `thr_1` holds `items`. */
function storeOf(items: object[]): FakeServer {
  return new FakeServer().on("threads.get_by_id", () => jsonResponse(thread("thr_1", { items: { data: items, has_more: false } })));
}

describe("a pushed turn", () => {
  test("that starts a thread opens it and streams in delta by delta, busy until its end", async () => {
    const { c, server, busy, errors } = client(storeOf([userItem("old_u", "old question")]));
    await c.loadThread("thr_1");
    const deltas = ["Grüße", ", ", "wörld", " ✓"];
    const events = [{ type: "thread.created", thread: thread("thr_2") }, ...replyEvents("u1", "hi", "a1", deltas, "thr_2")];
    const seen: string[] = [];
    c.on("itemUpdated", ({ item }) => seen.push(text(c, item.id)));
    const parts = batches(events, 9);

    c.push(stream("ask:1", 0, null), parts[0]);
    expect(c.busy).toBe(true);
    expect(c.items).toEqual([]); // the old thread left the screen at once
    for (const [i, part] of parts.entries()) if (i > 0) c.push(stream("ask:1", i, "thr_2"), part);
    c.push(end("ask:1", parts.length, "thr_2"));
    await waitFor(() => !c.busy, "the end of the turn");

    expect(c.threadId).toBe("thr_2");
    expect(c.items.map((i) => i.id)).toEqual(["u1", "a1"]);
    expect(text(c, "a1")).toBe("Grüße, wörld ✓");
    // Every delta applied, in order: the text only ever grew by the next delta.
    let sofar = "";
    expect(seen).toEqual(deltas.map((d) => (sofar += d)));
    expect(busy[0]).toBe(true);
    expect(busy.indexOf(false)).toBe(busy.length - 1); // busy all along, idle at the end
    expect(errors).toEqual([]);
    expect(server.sent.map((s) => s.type)).toEqual(["threads.get_by_id"]); // nothing fetched
  });

  test("with a lost batch says so, stops applying, and shows the stored thread at its end", async () => {
    const stored = [userItem("u1", "hi"), assistantItem("a1", "the whole reply")];
    const { c, server, errors } = client(storeOf([]));
    await c.loadThread("thr_1");
    server.on("threads.get_by_id", () => jsonResponse(thread("thr_1", { items: { data: stored, has_more: false } })));
    const parts = batches(replyEvents("u1", "hi", "a1", ["the ", "whole ", "reply"]), 40);
    expect(parts.length).toBeGreaterThan(4);

    c.push(stream("ask:1", 0, "thr_1"), parts[0]);
    c.push(stream("ask:1", 1, "thr_1"), parts[1]);
    c.push(stream("ask:1", 3, "thr_1"), parts[3]); // 2 went missing
    expect(errors).toEqual([expect.stringMatching(/^Lost 1 message\(s\) of this reply/)]);
    const shown = c.items.length;
    c.push(stream("ask:1", 4, "thr_1"), parts[4]);
    expect(c.items.length).toBe(shown); // nothing more applied on a broken stream
    expect(c.busy).toBe(true); // the turn still runs in the kernel

    c.push(end("ask:1", parts.length, "thr_1"));
    await waitFor(() => !c.busy && text(c, "a1") === "the whole reply", "the stored thread");
    expect(server.ofType("threads.get_by_id")).toHaveLength(2);
  });

  test("whose tail a beat says was lost is reported too", async () => {
    const { c, errors } = client(storeOf([]));
    await c.loadThread("thr_1");
    c.push(stream("ask:1", 0, "thr_1"), sseBytes(replyEvents("u1", "hi", "a1", ["x"]).slice(0, 1)));
    c.push({ kind: "beat", id: "ask:1", sent: 1 });
    expect(errors).toEqual([]);
    c.push({ kind: "beat", id: "ask:1", sent: 3 });
    expect(errors).toEqual([expect.stringMatching(/^Lost 2 message\(s\)/)]);
  });

  test("stopped in the view asks the host to stop it and shows nothing more", async () => {
    const { c, stopped } = client(storeOf([]));
    await c.loadThread("thr_1");
    const parts = batches(replyEvents("u1", "hi", "a1", ["one ", "two"]), 30);
    c.push(stream("ask:7", 0, "thr_1"), parts[0]);
    expect(c.busy).toBe(true);

    c.cancel();
    expect(stopped).toEqual(["ask:7"]);
    expect(c.busy).toBe(false);
    const shown = JSON.stringify(c.items);
    for (const [i, part] of parts.entries()) if (i > 0) c.push(stream("ask:7", i, "thr_1"), part);
    c.push(end("ask:7", parts.length, "thr_1"));
    expect(JSON.stringify(c.items)).toBe(shown);
  });

  test("of another thread is left alone; one this view came in late for is fetched at its end", async () => {
    const server = storeOf([userItem("u0", "before")]);
    const { c, busy } = client(server);
    await c.loadThread("thr_1");
    c.push(stream("ask:1", 0, "thr_9"), sseBytes(replyEvents("x1", "elsewhere", "x2", ["no"], "thr_9")));
    c.push(end("ask:1", 1, "thr_9"));
    expect(c.items.map((i) => i.id)).toEqual(["u0"]);

    server.on("items.list", () => jsonResponse({ data: [userItem("u1", "hi"), assistantItem("a1", "late but whole")], has_more: false }));
    c.push(stream("ask:2", 3, "thr_1"), sseBytes([{ type: "thread.item.updated", item_id: "a1", update: {} }]));
    c.push(end("ask:2", 4, "thr_1"));
    await waitFor(() => c.items.length === 3, "the fetched items");
    expect(text(c, "a1")).toBe("late but whole");
    expect(busy).toEqual([]); // never shown as its own stream
    expect(server.ofType("items.list")[0].params).toMatchObject({ thread_id: "thr_1", after: "u0" });
  });

  test("of a thread still being opened is fetched once it ends", async () => {
    let release: () => void = () => undefined;
    const opened = new Promise<void>((resolve) => {
      release = resolve;
    });
    const server = new FakeServer()
      .on("threads.get_by_id", async () => {
        await opened;
        return jsonResponse(thread("thr_1", { items: { data: [userItem("u0", "before")], has_more: false } }));
      })
      .on("items.list", () => jsonResponse({ data: [userItem("u1", "hi"), assistantItem("a1", "while it opened")], has_more: false }));
    const { c, busy } = client(server);
    const loading = c.loadThread("thr_1");
    c.push(stream("ask:1", 0, "thr_1"), sseBytes(replyEvents("u1", "hi", "a1", ["while it opened"])));
    release();
    await loading;
    c.push(end("ask:1", 1, "thr_1"));
    await waitFor(() => c.items.length === 3, "the fetched items");
    expect(text(c, "a1")).toBe("while it opened");
    expect(busy).toEqual([]);
  });

  test("that fails outside its stream shows the error as a failed request does", async () => {
    const { c, errors } = client(storeOf([]));
    await c.loadThread("thr_1");
    c.push(stream("ask:1", 0, "thr_1"), sseBytes(replyEvents("u1", "hi", "a1", []).slice(0, 1)));
    c.push(end("ask:1", 1, "thr_1", "No complete reply within 1 s; the request was cancelled."));
    await waitFor(() => !c.busy, "the end");
    expect(errors).toEqual(["No complete reply within 1 s; the request was cancelled."]);
  });

  test("that failed before it streamed shows its error in the views of its thread only", async () => {
    const fresh = client();
    const elsewhere = client(storeOf([]));
    await elsewhere.c.loadThread("thr_1");
    const message = "Messages are limited to 10 characters; this one has 12. Shorten it.";
    for (const { c } of [fresh, elsewhere]) c.push(end("ask:1", 0, null, message));
    expect(fresh.errors).toEqual([message]); // a new chat, as the turn's new thread would be
    expect(elsewhere.errors).toEqual([]);
    expect(fresh.busy).toEqual([]);
  });

  test("that goes silent is given up instead of leaving the view busy", async () => {
    const { c, errors } = client(storeOf([]), 30);
    await c.loadThread("thr_1");
    c.push(stream("ask:1", 0, "thr_1"), sseBytes(replyEvents("u1", "hi", "a1", []).slice(0, 1)));
    await waitFor(() => !c.busy, "the watchdog");
    expect(errors).toEqual([expect.stringMatching(/^No word from the kernel about this reply/)]);
  });
});

describe("a pushed turn on screen", () => {
  test("keeps the composer busy with a Stop button that stops it", async () => {
    const server = new FakeServer();
    const listeners: Array<(m: PushedMessage, d: Uint8Array | null) => void> = [];
    const stopped: string[] = [];
    const el = document.createElement("div");
    document.body.append(el);
    const lite = mountLite(
      el,
      { composer: { placeholder: "Ask" } },
      {
        fetch: server.fetch,
        apiUrl: API_URL,
        colorScheme: () => "light",
        onPushed: (fn) => {
          listeners.push(fn);
          return () => listeners.splice(listeners.indexOf(fn), 1);
        },
        stopPushed: (id) => stopped.push(id),
      },
    );
    const push = (m: PushedMessage, d: Uint8Array | null = null) => {
      for (const fn of listeners) fn(m, d);
    };
    const events = [{ type: "thread.created", thread: thread("thr_1") }, ...replyEvents("u1", "from a cell", "a1", ["Half"])];
    push(stream("ask:1", 0, null), sseBytes(events.slice(0, -1)));
    await waitFor(() => log(el).textContent?.includes("Half"), "the partial reply");
    expect(log(el).textContent).toContain("from a cell");
    expect(byRole(el, "button", "Stop generating")).toBeTruthy();

    byRole(el, "button", "Stop generating").click();
    expect(stopped).toEqual(["ask:1"]);
    await waitFor(() => !el.querySelector("[data-streaming]"), "the stream to stop on screen");
    expect(composer(el, "Ask").disabled).toBe(false);
    lite.destroy();
    expect(listeners).toEqual([]); // unsubscribed with the view
  });
});
