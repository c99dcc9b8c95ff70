import { describe, expect, test } from "vitest";
import { readSse, SseParser } from "../../src/lite/client/sse";
import { sseStream } from "./harness";

async function collect(stream: ReadableStream<Uint8Array>, signal?: AbortSignal): Promise<string[]> {
  const out: string[] = [];
  for await (const batch of readSse(stream, signal)) out.push(...batch);
  return out;
}

describe("SseParser", () => {
  test("splits events on blank lines and strips the data prefix", () => {
    const p = new SseParser();
    expect(p.push('data: {"a":1}\n\ndata: {"b":')).toEqual(['{"a":1}']);
    expect(p.push("2}\n\n")).toEqual(['{"b":2}']);
  });

  test("handles CRLF, CRLF split across chunks, comments, other fields and multi-line data", () => {
    const p = new SseParser();
    expect(p.push(": keep-alive\r\n\r\nevent: x\r\ndata: one\r")).toEqual([]);
    expect(p.push("\ndata: two\r\n\r\n")).toEqual(["one\ntwo"]);
    expect(p.push("data:nospace\n\n")).toEqual(["nospace"]);
  });

  test("flushes an unterminated last event at the end", () => {
    const p = new SseParser();
    expect(p.push("data: last")).toEqual([]);
    expect(p.end()).toEqual(["last"]);
  });
});

describe("readSse", () => {
  test("decodes UTF-8 characters split between chunks", async () => {
    const events = [{ text: "grüße 👋 日本" }, { text: "ok" }];
    const data = await collect(sseStream(events, { chunk: 3 }));
    expect(data.map((d) => JSON.parse(d))).toEqual(events);
  });

  test("a stream that errors rejects the iteration", async () => {
    await expect(collect(sseStream([{ a: 1 }], { error: new Error("bridge lost") }))).rejects.toThrow("bridge lost");
  });

  test("aborting cancels a stream that never ends", async () => {
    let cancelled = false;
    const controller = new AbortController();
    const stream = sseStream([{ a: 1 }], { hang: true, onCancel: () => (cancelled = true) });
    const got: string[] = [];
    const done = (async () => {
      for await (const batch of readSse(stream, controller.signal)) {
        got.push(...batch);
        controller.abort();
      }
    })();
    await expect(done).rejects.toMatchObject({ name: "AbortError" });
    expect(got).toEqual(['{"a":1}']);
    expect(cancelled).toBe(true);
  });
});
