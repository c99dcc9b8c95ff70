import { describe, expect, it } from "vitest";

import { Bridge, type CommModel } from "../../src/transport/bridge";
import * as p from "../../src/transport/protocol";

type Listener = (msg: unknown, buffers: DataView[]) => void;

/** Plays the kernel's side: records what the bridge sends, lets the test answer. */
class FakeKernel implements CommModel {
  sent: { content: p.FrontendMessage; buffers?: unknown[] }[] = [];
  listeners = new Set<Listener>();
  send(content: p.FrontendMessage, _callbacks?: unknown, buffers?: unknown[]): void {
    this.sent.push({ content, buffers });
  }
  on(_event: "msg:custom", cb: Listener): void {
    this.listeners.add(cb);
  }
  off(_event: "msg:custom", cb: Listener): void {
    this.listeners.delete(cb);
  }
  reply(msg: unknown, data?: string | Uint8Array): void {
    const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
    const buffers = bytes ? [new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)] : [];
    for (const cb of [...this.listeners]) cb(msg, buffers);
  }
  last<K extends p.FrontendMessage["kind"]>(kind: K): Extract<p.FrontendMessage, { kind: K }> {
    const found = [...this.sent].reverse().find((m) => m.content.kind === kind);
    if (!found) throw new Error(`the bridge sent no ${kind} message`);
    return found.content as Extract<p.FrontendMessage, { kind: K }>;
  }
}

async function readAll(response: Response): Promise<string> {
  return await response.text();
}

describe("Bridge.fetch", () => {
  it("sends the request body as a buffer and resolves JSON responses", async () => {
    const kernel = new FakeKernel();
    const bridge = new Bridge(kernel);
    const pending = bridge.fetch(p.API_URL, { method: "POST", body: JSON.stringify({ type: "threads.list", params: {} }) });
    await Promise.resolve();
    const req = kernel.last(p.REQUEST);
    expect(req.view).toBe(bridge.view);
    const sentBody = new TextDecoder().decode(kernel.sent[0].buffers![0] as ArrayBuffer);
    expect(JSON.parse(sentBody).type).toBe("threads.list");
    kernel.reply({ kind: p.RESPONSE, id: req.id, status: 200, content_type: "application/json" }, '{"data":[]}');
    const response = await pending;
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/json");
    expect(await response.json()).toEqual({ data: [] });
  });

  it("streams numbered chunks in order and closes on the end marker", async () => {
    const kernel = new FakeKernel();
    const bridge = new Bridge(kernel);
    const pending = bridge.fetch(p.API_URL, { method: "POST", body: "{}" });
    await Promise.resolve();
    const { id } = kernel.last(p.REQUEST);
    kernel.reply({ kind: p.HEAD, id, status: 200, content_type: "text/event-stream" });
    const response = await pending;
    expect(response.headers.get("content-type")).toBe("text/event-stream");
    for (let seq = 0; seq < 3; seq++) kernel.reply({ kind: p.CHUNK, id, seq }, `data: {"n":${seq}}\n\n`);
    kernel.reply({ kind: p.END, id, total: 3 });
    expect(await readAll(response)).toBe('data: {"n":0}\n\ndata: {"n":1}\n\ndata: {"n":2}\n\n');
    expect(bridge.inFlight).toBe(0);
  });

  it("reads the first batch from the head as chunk 0, then numbers on from 1", async () => {
    const kernel = new FakeKernel();
    const errors: Error[] = [];
    const bridge = new Bridge(kernel, { onError: (e) => errors.push(e) });
    const pending = bridge.fetch(p.API_URL, { method: "POST", body: "{}" });
    await Promise.resolve();
    const { id } = kernel.last(p.REQUEST);
    kernel.reply({ kind: p.HEAD, id, status: 200, content_type: "text/event-stream" }, 'data: {"n":0}\n\n');
    const response = await pending;
    kernel.reply({ kind: p.CHUNK, id, seq: 1 }, 'data: {"n":1}\n\n');
    kernel.reply({ kind: p.END, id, total: 2 });
    expect(await readAll(response)).toBe('data: {"n":0}\n\ndata: {"n":1}\n\n');
    expect(errors).toEqual([]);
    // Without its batch on the head, chunk 1 would be one too far: a loss.
    const again = bridge.fetch(p.API_URL, { method: "POST", body: "{}" });
    await Promise.resolve();
    const next = kernel.last(p.REQUEST).id;
    kernel.reply({ kind: p.HEAD, id: next, status: 200, content_type: "text/event-stream" });
    const second = await again;
    kernel.reply({ kind: p.CHUNK, id: next, seq: 1 }, "data: {}\n\n");
    await expect(readAll(second)).rejects.toThrow(/Lost 1 message/);
  });

  it("answers a fetch whose head was lost with the loss, whatever comes after it", async () => {
    for (const after of [
      { kind: p.END, total: 0 }, // an empty stream's head, lost
      { kind: p.CHUNK, seq: 1 }, // the head and the batch it carried, lost
    ]) {
      const kernel = new FakeKernel();
      const bridge = new Bridge(kernel);
      const pending = bridge.fetch(p.API_URL, { method: "POST", body: "{}" });
      await Promise.resolve();
      const { id } = kernel.last(p.REQUEST);
      kernel.reply({ ...after, id }, "data: {}\n\n");
      await expect(pending).rejects.toThrow(/Lost 1 message/);
      expect(kernel.last(p.CANCEL).id).toBe(id);
      expect(bridge.inFlight).toBe(0);
    }
  });

  it("fails the stream visibly when a chunk is lost instead of hanging", async () => {
    const kernel = new FakeKernel();
    const errors: Error[] = [];
    const bridge = new Bridge(kernel, { onError: (e) => errors.push(e) });
    const pending = bridge.fetch(p.API_URL, { method: "POST", body: "{}" });
    await Promise.resolve();
    const { id } = kernel.last(p.REQUEST);
    kernel.reply({ kind: p.HEAD, id, status: 200, content_type: "text/event-stream" });
    const response = await pending;
    kernel.reply({ kind: p.CHUNK, id, seq: 0 }, "data: {}\n\n");
    kernel.reply({ kind: p.CHUNK, id, seq: 2 }, "data: {}\n\n");
    await expect(readAll(response)).rejects.toThrow(/Lost 1 message/);
    expect(errors[0].message).toMatch(/Lost 1 message/);
    expect(kernel.last(p.CANCEL).id).toBe(id);
  });

  it("detects a lost tail from the end marker and from heartbeats", async () => {
    for (const last of [
      { kind: p.END, total: 2 },
      { kind: p.BEAT, sent: 2 },
    ]) {
      const kernel = new FakeKernel();
      const bridge = new Bridge(kernel);
      const pending = bridge.fetch(p.API_URL, { method: "POST", body: "{}" });
      await Promise.resolve();
      const { id } = kernel.last(p.REQUEST);
      kernel.reply({ kind: p.HEAD, id, status: 200, content_type: "text/event-stream" });
      const response = await pending;
      kernel.reply({ kind: p.CHUNK, id, seq: 0 }, "data: {}\n\n");
      kernel.reply({ ...last, id });
      await expect(readAll(response)).rejects.toThrow(/Lost 1 message/);
    }
  });

  it("turns a kernel error before the body into a 4xx/5xx JSON response", async () => {
    const kernel = new FakeKernel();
    const bridge = new Bridge(kernel);
    const pending = bridge.fetch(p.API_URL, { method: "POST", body: "{oops" });
    await Promise.resolve();
    const { id } = kernel.last(p.REQUEST);
    kernel.reply({ kind: p.ERROR, id, status: 400, message: "Malformed ChatKit request" });
    const response = await pending;
    expect(response.status).toBe(400);
    expect((await response.json()).error).toBe("Malformed ChatKit request");
  });

  it("aborting sends cancel to the kernel and rejects with AbortError", async () => {
    const kernel = new FakeKernel();
    const bridge = new Bridge(kernel);
    const abort = new AbortController();
    const pending = bridge.fetch(p.API_URL, { method: "POST", body: "{}", signal: abort.signal });
    await Promise.resolve();
    const { id } = kernel.last(p.REQUEST);
    kernel.reply({ kind: p.HEAD, id, status: 200, content_type: "text/event-stream" });
    const response = await pending;
    const reading = readAll(response);
    abort.abort();
    await expect(reading).rejects.toThrow(/aborted/);
    expect(kernel.last(p.CANCEL)).toEqual({ kind: p.CANCEL, id });
  });

  it("ignores messages for other views and cancels its own work when closed", async () => {
    const kernel = new FakeKernel();
    const a = new Bridge(kernel);
    const b = new Bridge(kernel);
    expect(a.view).not.toBe(b.view);
    const pending = a.fetch(p.API_URL, { method: "POST", body: "{}" });
    await Promise.resolve();
    const { id } = kernel.last(p.REQUEST);
    expect(b.inFlight).toBe(0);
    a.close();
    await expect(pending).rejects.toThrow(/closed/);
    expect(kernel.last(p.VIEW_CLOSED)).toEqual({ kind: p.VIEW_CLOSED, view: a.view });
    kernel.reply({ kind: p.RESPONSE, id, status: 200, content_type: "application/json" }, "{}");
  });

  it("answers the kernel's beats while it reads a stream, and stops when closed", async () => {
    const kernel = new FakeKernel();
    const bridge = new Bridge(kernel);
    const pending = bridge.fetch(p.API_URL, { method: "POST", body: "{}" });
    await Promise.resolve();
    const { id } = kernel.last(p.REQUEST);
    kernel.reply({ kind: p.HEAD, id, status: 200, content_type: "text/event-stream" });
    await pending;
    kernel.reply({ kind: p.BEAT, id, sent: 0 });
    expect(kernel.last(p.ALIVE)).toEqual({ kind: p.ALIVE, id });
    const before = kernel.sent.length;
    kernel.reply({ kind: p.BEAT, id: "v9-other:1", sent: 0 }); // another view's request
    expect(kernel.sent.length).toBe(before);
    bridge.close();
    const after = kernel.sent.length;
    kernel.reply({ kind: p.BEAT, id, sent: 0 });
    expect(kernel.sent.length).toBe(after);
  });

  it("logs nothing and throws nothing when disposed after the comm is gone", async () => {
    // A closed notebook tab disposes the kernel connection first: every send then throws.
    const kernel = new FakeKernel();
    let gone = false;
    const send = kernel.send.bind(kernel);
    kernel.send = (content, callbacks, buffers) => {
      if (gone) throw new Error("Cannot send");
      send(content, callbacks, buffers);
    };
    const bridge = new Bridge(kernel);
    const abort = new AbortController();
    const pending = bridge.fetch(p.API_URL, { method: "POST", body: "{}", signal: abort.signal });
    await Promise.resolve();
    const { id } = kernel.last(p.REQUEST);
    kernel.reply({ kind: p.HEAD, id, status: 200, content_type: "text/event-stream" });
    const response = await pending;
    const reading = response.text();
    gone = true;
    const errors: unknown[] = [];
    const original = console.error;
    console.error = (...args: unknown[]) => void errors.push(args);
    try {
      expect(() => abort.abort()).not.toThrow();
      expect(() => bridge.close()).not.toThrow();
    } finally {
      console.error = original;
    }
    await expect(reading).rejects.toThrow();
    expect(errors).toEqual([]);
    await expect(bridge.fetch(p.API_URL, { method: "POST", body: "{}" })).rejects.toThrow(/closed/);
  });

  it("fails requests in flight when the comm goes away under a live view", async () => {
    const kernel = new FakeKernel();
    const bridge = new Bridge(kernel);
    const first = bridge.fetch(p.API_URL, { method: "POST", body: "{}" });
    await Promise.resolve();
    kernel.send = () => {
      throw new Error("Cannot send");
    };
    const second = bridge.fetch(p.API_URL, { method: "POST", body: "{}" });
    await expect(second).rejects.toThrow(/connection to the kernel is gone/);
    await expect(first).rejects.toThrow(/connection to the kernel is gone/);
  });

  it("uploads a FormData file in numbered chunks", async () => {
    const kernel = new FakeKernel();
    const bridge = new Bridge(kernel, { uploadChunkBytes: 4 });
    const form = new FormData();
    form.append("file", new Blob(["0123456789"], { type: "text/plain" }), "digits.txt");
    const pending = bridge.fetch(`${p.UPLOAD_URL}/atc_1`, { method: "POST", body: form });
    await new Promise((r) => setTimeout(r, 20));
    const req = kernel.last(p.REQUEST);
    expect(req).toMatchObject({ chunked: true, url: `${p.UPLOAD_URL}/atc_1` });
    const chunks = kernel.sent.filter((m) => m.content.kind === p.UPLOAD_CHUNK);
    expect(chunks.map(({ content: c }) => c.kind === p.UPLOAD_CHUNK && [c.seq, c.last])).toEqual([
      [0, false],
      [1, false],
      [2, true],
    ]);
    const text = chunks.map((c) => new TextDecoder().decode(c.buffers![0] as ArrayBuffer)).join("");
    expect(text).toBe("0123456789");
    kernel.reply({ kind: p.RESPONSE, id: req.id, status: 200, content_type: "application/json" }, '{"id":"atc_1"}');
    expect(await (await pending).json()).toEqual({ id: "atc_1" });
  });

  it("bridges hook calls and their errors", async () => {
    const kernel = new FakeKernel();
    const bridge = new Bridge(kernel);
    const ok = bridge.call(p.HOOK_CLIENT_TOOL, { name: "t", params: {} });
    const okId = kernel.last(p.CALL).id;
    const bad = bridge.call(p.HOOK_CLIENT_TOOL, { name: "u", params: {} });
    const badId = kernel.last(p.CALL).id;
    kernel.reply({ kind: p.RESULT, id: okId, ok: true, value: { x: 1 } });
    kernel.reply({ kind: p.RESULT, id: badId, ok: false, message: "No Python handler" });
    expect(await ok).toEqual({ x: 1 });
    await expect(bad).rejects.toThrow("No Python handler");
  });

  it("gives up with a clear error when the kernel goes silent, but not while it beats", async () => {
    const kernel = new FakeKernel();
    const errors: Error[] = [];
    const bridge = new Bridge(kernel, { silenceMs: 400, onError: (e) => errors.push(e) });
    const pending = bridge.fetch(p.API_URL, { method: "POST", body: "{}" });
    await Promise.resolve();
    const { id } = kernel.last(p.REQUEST);
    kernel.reply({ kind: p.HEAD, id, status: 200, content_type: "text/event-stream" });
    const response = await pending;
    const reading = readAll(response);
    const outcome = reading.then(
      () => "finished",
      (e: Error) => e.message,
    );
    // Heartbeats keep a slow stream alive past the limit ...
    for (let i = 0; i < 12; i++) {
      await new Promise((r) => setTimeout(r, 50));
      kernel.reply({ kind: p.BEAT, id, sent: 0 });
    }
    expect(errors).toEqual([]);
    // ... silence does not.
    expect(await outcome).toMatch(/No word from the kernel/);
    expect(errors[0].message).toMatch(/busy running a cell/);
    expect(kernel.last(p.CANCEL)).toEqual({ kind: p.CANCEL, id });
    expect(bridge.inFlight).toBe(0);
  });

  it("gives up on a hook call the kernel never answers, unless it beats", async () => {
    const kernel = new FakeKernel();
    const bridge = new Bridge(kernel, { silenceMs: 400 });
    const beating = bridge.call(p.HOOK_CLIENT_TOOL, { name: "slow", params: {} }).then(
      (v) => v,
      (e: Error) => e.message,
    );
    const beatingId = kernel.last(p.CALL).id;
    const silent = bridge.call(p.HOOK_CLIENT_TOOL, { name: "lost", params: {} }).then(
      () => "answered",
      (e: Error) => e.message,
    );
    for (let i = 0; i < 12; i++) {
      await new Promise((r) => setTimeout(r, 50));
      kernel.reply({ kind: p.BEAT, id: beatingId, sent: 0 });
    }
    expect(await silent).toMatch(/No word from the kernel/);
    kernel.reply({ kind: p.RESULT, id: beatingId, ok: true, value: { done: true } });
    expect(await beating).toEqual({ done: true });
  });
});

describe("Bridge.onStream", () => {
  it("hands the kernel's pushed streams and their beats to every subscriber, and stops them on request", () => {
    const kernel = new FakeKernel();
    const bridge = new Bridge(kernel);
    const got: Array<[string, string | null]> = [];
    const off = bridge.onStream((msg, data) => got.push([msg.kind, data ? new TextDecoder().decode(data) : null]));
    kernel.reply({ kind: p.STREAM, id: "ask:1", seq: 0, thread_id: null }, "data: {}\n\n");
    kernel.reply({ kind: p.BEAT, id: "ask:1", sent: 1 });
    kernel.reply({ kind: p.STREAM_END, id: "ask:1", total: 1, thread_id: "thr_1" });
    expect(got).toEqual([
      ["stream", "data: {}\n\n"],
      ["beat", null],
      ["stream_end", null],
    ]);
    expect(kernel.sent).toEqual([]); // a pushed stream's beat needs no answer

    bridge.stopStream("ask:1");
    expect(kernel.last(p.CANCEL)).toEqual({ kind: p.CANCEL, id: "ask:1" });
    off();
    kernel.reply({ kind: p.STREAM, id: "ask:2", seq: 0, thread_id: null }, "x");
    expect(got).toHaveLength(3);
  });
});

describe("a view whose kernel side never speaks", () => {
  // A chat restored from saved widget state (a reopened notebook, a new kernel) has no Python
  // side: its model drops what it sends. The person must hear that in seconds, not after the
  // watchdog's minute.
  it("says so while a request waits, and takes it back when the kernel speaks", async () => {
    const kernel = new FakeKernel();
    const notices: boolean[] = [];
    const bridge = new Bridge(kernel, { unheardMs: 60, onUnheard: (unheard) => notices.push(unheard) });
    const pending = bridge.fetch(p.API_URL, { method: "POST", body: "{}" });
    await new Promise((r) => setTimeout(r, 30));
    expect(notices).toEqual([]);
    await new Promise((r) => setTimeout(r, 60));
    expect(notices).toEqual([true]);
    expect(bridge.inFlight).toBe(1); // still waiting: a busy kernel answers late
    const { id } = kernel.last(p.REQUEST);
    kernel.reply({ kind: p.RESPONSE, id, status: 200, content_type: "application/json" }, "{}");
    expect(notices).toEqual([true, false]);
    expect((await pending).status).toBe(200);
  });

  it("counts a handler call the person waits on (the inspector, an action), not a notification", async () => {
    const kernel = new FakeKernel();
    const notices: boolean[] = [];
    const bridge = new Bridge(kernel, { unheardMs: 30, onUnheard: (unheard) => notices.push(unheard) });
    bridge.notify(p.HOOK_READY, {}); // every view says it at mount: no verdict on its own
    await new Promise((r) => setTimeout(r, 60));
    expect(notices).toEqual([]);
    void bridge.call(p.HOOK_INSPECT, {}).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 60));
    expect(notices).toEqual([true]);
    bridge.close();
  });

  it("says nothing once the kernel has answered this view", async () => {
    const kernel = new FakeKernel();
    const notices: boolean[] = [];
    const bridge = new Bridge(kernel, { unheardMs: 30, onUnheard: (unheard) => notices.push(unheard) });
    const ready = bridge.call(p.HOOK_READY, {});
    kernel.reply({ kind: p.RESULT, id: kernel.last(p.CALL).id, ok: true, value: null });
    await ready;
    // Later the kernel runs a long cell: a request waits, but the link is known to be there.
    void bridge.fetch(p.API_URL, { method: "POST", body: "{}" }).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 80));
    expect(notices).toEqual([]);
    bridge.close();
  });
});
