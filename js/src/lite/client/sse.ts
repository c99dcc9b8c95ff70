// Incremental parser for the server-sent events ChatKitServer streams: `data: <json>\n\n`.
// Bytes are decoded in TextDecoder stream mode (a UTF-8 character may straddle two chunks) and
// split on blank lines as they arrive, so a long response is never buffered whole.

/** Splits decoded text into SSE events and returns the `data` of each complete one. */
export class SseParser {
  private buffer = "";
  private pendingCR = false;

  /** Feeds decoded text; returns the data payloads of the events it completed. */
  push(text: string): string[] {
    if (this.pendingCR) {
      text = `\r${text}`;
      this.pendingCR = false;
    }
    if (text.includes("\r")) {
      // A lone trailing CR may be the first half of a CRLF split across chunks.
      if (text.endsWith("\r")) {
        this.pendingCR = true;
        text = text.slice(0, -1);
      }
      text = text.replace(/\r\n?/g, "\n");
    }
    this.buffer += text;
    const out: string[] = [];
    let start = 0;
    for (;;) {
      const end = this.buffer.indexOf("\n\n", start);
      if (end < 0) break;
      const data = parseEventBlock(this.buffer.slice(start, end));
      if (data !== null) out.push(data);
      start = end + 2;
    }
    if (start > 0) this.buffer = this.buffer.slice(start);
    return out;
  }

  /** Flushes an unterminated last event (a server that closed without the blank line). */
  end(): string[] {
    const rest = this.buffer + (this.pendingCR ? "\n" : "");
    this.buffer = "";
    this.pendingCR = false;
    if (!rest.trim()) return [];
    const data = parseEventBlock(rest.replace(/\n+$/, ""));
    return data === null ? [] : [data];
  }
}

function parseEventBlock(block: string): string | null {
  // Fast path: the single `data: ...` line ChatKitServer writes.
  if (block.startsWith("data: ") && !block.includes("\n")) return block.slice(6);
  let data: string[] | null = null;
  for (const line of block.split("\n")) {
    if (!line || line.startsWith(":")) continue;
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    if (field !== "data") continue;
    let value = colon < 0 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    data ??= [];
    data.push(value);
  }
  return data === null ? null : data.join("\n");
}

/**
 * Reads an SSE body and yields the `data` payload of each event, chunk by chunk.
 * Aborting `signal` cancels the reader, so a stalled bridge can never keep the loop alive.
 */
export async function* readSse(body: ReadableStream<Uint8Array>, signal?: AbortSignal): AsyncGenerator<string[], void, undefined> {
  const reader = body.getReader();
  const decoder = new TextDecoder("utf-8");
  const parser = new SseParser();
  const onAbort = () => {
    reader.cancel(signal?.reason).catch(() => undefined);
  };
  signal?.addEventListener("abort", onAbort, { once: true });
  try {
    for (;;) {
      if (signal?.aborted) throw abortError(signal);
      const { done, value } = await reader.read();
      if (signal?.aborted) throw abortError(signal);
      if (done) break;
      const events = parser.push(typeof value === "string" ? value : decoder.decode(value, { stream: true }));
      if (events.length) yield events;
    }
    const tail = parser.push(decoder.decode());
    tail.push(...parser.end());
    if (tail.length) yield tail;
  } finally {
    signal?.removeEventListener("abort", onAbort);
    try {
      reader.releaseLock();
    } catch {
      // Already released or errored; nothing to do.
    }
  }
}

export function abortError(signal?: AbortSignal): Error {
  const reason = signal?.reason;
  if (reason instanceof Error && reason.name === "AbortError") return reason;
  const err = new Error("The request was aborted.");
  err.name = "AbortError";
  return err;
}

export function isAbortError(err: unknown): boolean {
  return typeof err === "object" && err !== null && "name" in err && (err as { name: unknown }).name === "AbortError";
}
