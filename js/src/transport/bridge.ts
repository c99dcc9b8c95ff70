// The front end of the comm bridge: a `fetch` that sends ChatKit's requests to the kernel over
// the widget's comm and turns the kernel's numbered chunks back into a streaming Response.
// The kernel side is chatkit_jupyter/_bridge.py.

import * as p from "./protocol";

/** The part of anywidget's model proxy the bridge needs. */
export interface CommModel {
  send(content: unknown, callbacks?: unknown, buffers?: ArrayBuffer[] | ArrayBufferView[]): void;
  on(event: "msg:custom", cb: (msg: unknown, buffers: DataView[]) => void): void;
  off(event: "msg:custom", cb: (msg: unknown, buffers: DataView[]) => void): void;
}

/** Raised into a stream (or a fetch) when the bridge itself fails: lost messages, kernel gone. */
export class BridgeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "BridgeError";
  }
}

export interface BridgeOptions {
  /** Called with every bridge-level failure, so the cell can show it. */
  onError?: (error: Error) => void;
  /** Upload chunk size in bytes. */
  uploadChunkBytes?: number;
  /**
   * Give up on a request after this long without a word from the kernel (ms). The kernel sends
   * a heartbeat every 2 s while it streams, so silence means it is blocked (a long synchronous
   * cell), restarted or dead: say so instead of spinning forever.
   */
  silenceMs?: number;
  /**
   * Called with `true` when a request has waited `unheardMs` (1.5 s) and the kernel has not yet
   * said a word to this view, and with `false` when it first does. A chat restored from saved
   * widget state (a reopened notebook, a new kernel) has no Python side and its messages go
   * nowhere; a live kernel busy running a cell answers late. Either way the person is told.
   */
  onUnheard?: (unheard: boolean) => void;
  unheardMs?: number;
}

interface Pending {
  resolve(response: Response): void;
  reject(error: unknown): void;
  controller?: ReadableStreamDefaultController<Uint8Array>;
  received: number;
  settled: boolean;
  done: boolean;
  heard: number;
}

interface PendingCall {
  resolve(value: unknown): void;
  reject(error: unknown): void;
  heard: number;
}

/** Runs a command the kernel sent this view (see drive.ts); its value or error is the answer. */
export type CommandHandler = (name: string, args: unknown[]) => Promise<unknown>;

/** Gets the messages of the streams the kernel pushes (Python's `ask`): batches, beats, ends. */
export type StreamHandler = (message: p.StreamMessage | p.StreamEndMessage | p.BeatMessage, data: Uint8Array | null) => void;

let viewCounter = 0;

export class Bridge {
  readonly view: string;
  private counter = 0;
  private pending = new Map<string, Pending>();
  private calls = new Map<string, PendingCall>();
  private commandHandler: CommandHandler | undefined;
  private readonly streamHandlers = new Set<StreamHandler>();
  private closed = false;
  private disconnected = false;
  private watchdog: ReturnType<typeof setInterval> | undefined;
  /** The kernel has sent this model something: a Python side exists. */
  private heard = false;
  private unheardTimer: ReturnType<typeof setTimeout> | undefined;
  private unheardSaid = false;
  private readonly listener: (msg: unknown, buffers: DataView[]) => void;

  constructor(
    private model: CommModel,
    private options: BridgeOptions = {},
  ) {
    // Ids must be unique across every view of every widget in the page: all views of one
    // model receive every message the kernel sends.
    this.view = `v${++viewCounter}-${Math.random().toString(36).slice(2, 10)}`;
    this.listener = (msg, buffers) => this.onMessage(msg as p.KernelMessage, buffers);
    model.on("msg:custom", this.listener);
  }

  /**
   * Sends one message to the kernel; the body or file bytes go as buffers. Returns false when
   * the comm is gone: JupyterLab throws "Cannot send" once a notebook's kernel connection is
   * disposed (a closed tab disposes it before its outputs), and nothing can be told then.
   */
  private post(msg: p.FrontendMessage, buffers?: ArrayBuffer[]): boolean {
    if (this.disconnected) return false;
    try {
      this.model.send(msg, undefined, buffers);
      return true;
    } catch (error) {
      this.disconnected = true;
      // While the view is being disposed that is expected; before, the requests in flight can
      // never be answered: fail them with a reason instead of leaving them to the watchdog.
      if (!this.closed) this.lose(`The connection to the kernel is gone (${error instanceof Error ? error.message : String(error)}).`);
      return false;
    }
  }

  private lose(reason: string): void {
    const error = new BridgeError(`${reason} Run the cell again to reconnect.`);
    for (const id of [...this.pending.keys()]) this.finish(id, error);
    for (const [id, call] of this.calls) {
      call.reject(error);
      this.calls.delete(id);
    }
  }

  private nextId(): string {
    return `${this.view}:${++this.counter}`;
  }

  /** A `fetch` for ChatKit's `api.fetch`. */
  readonly fetch = async (input: RequestInfo | URL, init: RequestInit = {}): Promise<Response> => {
    if (this.closed) throw new BridgeError("This chat view was closed.");
    const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
    const signal = init.signal ?? undefined;
    if (signal?.aborted) throw abortError();
    const id = this.nextId();
    const { body, file } = await readBody(init.body ?? (input instanceof Request ? await input.arrayBuffer() : null));
    if (signal?.aborted) throw abortError(); // stopped while the body was being read
    return new Promise<Response>((resolve, reject) => {
      const entry: Pending = { resolve, reject, received: 0, settled: false, done: false, heard: Date.now() };
      this.pending.set(id, entry);
      this.watch();
      this.expectWord();
      const onAbort = () => {
        if (entry.done) return;
        this.post({ kind: p.CANCEL, id });
        this.finish(id, abortError());
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      if (file) {
        this.post({ kind: p.REQUEST, id, view: this.view, url, chunked: true, alive: true }, []);
        void this.sendFile(id, file);
      } else {
        this.post({ kind: p.REQUEST, id, view: this.view, url, alive: true }, [body]);
      }
    });
  };

  private async sendFile(id: string, file: Blob): Promise<void> {
    const size = this.options.uploadChunkBytes ?? 512 * 1024;
    let seq = 0;
    for (let start = 0; start < file.size || seq === 0; start += size) {
      if (!this.pending.has(id)) return; // aborted or failed
      const piece = await file.slice(start, start + size).arrayBuffer();
      const last = start + size >= file.size;
      this.post({ kind: p.UPLOAD_CHUNK, id, seq: seq++, last }, [piece]);
      const entry = this.pending.get(id);
      if (entry) entry.heard = Date.now(); // sending is progress too: a slow uplink is not silence
      if (last) return;
    }
  }

  /** Ask the kernel to run a hook (client tool, action, effect ...) and wait for its answer. */
  call(hook: string, payload: unknown, awaited = true): Promise<unknown> {
    if (this.closed) return Promise.reject(new BridgeError("This chat view was closed."));
    const id = this.nextId();
    return new Promise((resolve, reject) => {
      this.calls.set(id, { resolve, reject, heard: Date.now() });
      this.watch();
      if (awaited) this.expectWord();
      this.post({ kind: p.CALL, id, view: this.view, hook, payload, alive: true });
    });
  }

  /** Runs the kernel's commands addressed to this view with `handler`; returns an unsubscribe. */
  onCommand(handler: CommandHandler): () => void {
    this.commandHandler = handler;
    return () => {
      if (this.commandHandler === handler) this.commandHandler = undefined;
    };
  }

  private async runCommand(msg: p.CommandMessage): Promise<void> {
    const answer = (result: { ok: true; value?: unknown } | { ok: false; message: string }) => {
      if (!this.closed) this.post({ kind: p.COMMAND_RESULT, id: msg.id, view: this.view, ...result });
    };
    const handler = this.commandHandler;
    if (!handler) {
      answer({ ok: false, message: "this chat view has no renderer to run it (it is still loading, or failed to load)" });
      return;
    }
    try {
      const value = await handler(msg.name, Array.isArray(msg.args) ? msg.args : []);
      // Only JSON goes back; element methods answer with nothing anyway.
      answer(value === undefined || value === null ? { ok: true } : { ok: true, value: JSON.parse(JSON.stringify(value)) });
    } catch (error) {
      answer({ ok: false, message: error instanceof Error ? error.message : String(error) });
    }
  }

  /** Gets the streams the kernel pushes to every view; returns an unsubscribe. */
  onStream(handler: StreamHandler): () => void {
    this.streamHandlers.add(handler);
    return () => this.streamHandlers.delete(handler);
  }

  /** Stops a stream the kernel pushed (a view's stop button): the kernel cancels its request. */
  stopStream(id: string): void {
    if (!this.closed) this.post({ kind: p.CANCEL, id });
  }

  private pushed(message: p.StreamMessage | p.StreamEndMessage | p.BeatMessage, buffers: DataView[]): void {
    const data = message.kind === p.STREAM && buffers[0] ? toBytes(buffers[0]) : null;
    for (const handler of this.streamHandlers) {
      try {
        handler(message, data);
      } catch (error) {
        console.error("chatkit-jupyter: a pushed stream's handler failed", error);
      }
    }
  }

  /** Fire-and-forget notification to the kernel (errors are ignored). */
  notify(hook: string, payload: unknown): void {
    this.call(hook, payload, false).catch(() => undefined);
  }

  private watch(): void {
    if (this.watchdog !== undefined) return;
    const limit = this.options.silenceMs ?? 60_000;
    this.watchdog = setInterval(
      () => {
        const now = Date.now();
        for (const [id, entry] of this.pending) {
          if (now - entry.heard < limit) continue;
          const error = new BridgeError(
            `No word from the kernel for ${Math.round(limit / 1000)} s: it may be busy running a cell, ` +
              "or it was restarted or stopped. The reply was given up; send the message again when the kernel is idle.",
          );
          this.post({ kind: p.CANCEL, id });
          this.finish(id, error);
          this.options.onError?.(error);
        }
        for (const [id, call] of this.calls) {
          if (now - call.heard < limit) continue;
          this.calls.delete(id);
          const error = new BridgeError(
            `No word from the kernel for ${Math.round(limit / 1000)} s about a Python handler call: it may be busy ` +
              "running a cell, or it was restarted or stopped.",
          );
          call.reject(error);
          this.options.onError?.(error);
        }
        if (this.pending.size === 0 && this.calls.size === 0) {
          clearInterval(this.watchdog);
          this.watchdog = undefined;
        }
      },
      Math.min(5_000, limit / 2),
    );
  }

  /** The view went away: cancel everything it still runs in the kernel. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.watchdog);
    clearTimeout(this.unheardTimer);
    this.post({ kind: p.VIEW_CLOSED, view: this.view });
    for (const id of [...this.pending.keys()]) this.finish(id, new BridgeError("This chat view was closed."));
    for (const [id, call] of this.calls) {
      call.reject(new BridgeError("This chat view was closed."));
      this.calls.delete(id);
    }
    this.model.off("msg:custom", this.listener);
  }

  get inFlight(): number {
    return this.pending.size + this.calls.size;
  }

  private expectWord(): void {
    if (this.heard || this.unheardTimer !== undefined || !this.options.onUnheard) return;
    this.unheardTimer = setTimeout(() => {
      this.unheardTimer = undefined;
      if (this.heard || this.closed || this.inFlight === 0) return;
      this.unheardSaid = true;
      this.options.onUnheard?.(true);
    }, this.options.unheardMs ?? 1500);
  }

  private onMessage(msg: p.KernelMessage, buffers: DataView[]): void {
    if (!msg || typeof msg !== "object" || typeof msg.id !== "string") return;
    if (!this.heard) {
      this.heard = true;
      clearTimeout(this.unheardTimer);
      this.unheardTimer = undefined;
      if (this.unheardSaid) this.options.onUnheard?.(false);
    }
    if (msg.kind === p.COMMAND) {
      // Every view receives every command; only the one it names runs it.
      if (msg.view === this.view && !this.closed) void this.runCommand(msg);
      return;
    }
    if (msg.kind === p.INSPECT) return; // for the inspector panel, which listens itself
    if (msg.kind === p.STREAM || msg.kind === p.STREAM_END) {
      if (!this.closed) this.pushed(msg, buffers);
      return;
    }
    if (msg.kind === p.BEAT && this.calls.has(msg.id)) {
      this.calls.get(msg.id)!.heard = Date.now();
      if (!this.closed) this.post({ kind: p.ALIVE, id: msg.id });
      return;
    }
    if (msg.kind === p.RESULT) {
      const call = this.calls.get(msg.id);
      if (!call) return;
      this.calls.delete(msg.id);
      if (msg.ok) call.resolve(msg.value);
      else call.reject(new Error(msg.message ?? "The kernel handler failed."));
      return;
    }
    const entry = this.pending.get(msg.id);
    if (!entry) {
      // A pushed stream's beat (the handlers know their ids), another view's request, or one we gave up on.
      if (msg.kind === p.BEAT && !this.closed) this.pushed(msg, buffers);
      return;
    }
    entry.heard = Date.now();
    switch (msg.kind) {
      case p.RESPONSE: {
        const data = buffers[0] ? toBytes(buffers[0]) : new Uint8Array();
        this.settle(
          entry,
          new Response(data as Uint8Array<ArrayBuffer>, { status: msg.status, headers: { "content-type": msg.content_type } }),
        );
        this.pending.delete(msg.id);
        entry.done = true;
        return;
      }
      case p.HEAD: {
        const stream = new ReadableStream<Uint8Array>({
          start: (controller) => {
            entry.controller = controller;
          },
          cancel: () => {
            // The reader gave up on the body: stop the kernel's work too.
            if (!entry.done) this.post({ kind: p.CANCEL, id: msg.id });
            entry.done = true;
            this.pending.delete(msg.id);
          },
        });
        this.settle(entry, new Response(stream, { status: msg.status, headers: { "content-type": msg.content_type } }));
        if (buffers[0]) {
          entry.received++;
          entry.controller?.enqueue(toBytes(buffers[0]));
        }
        return;
      }
      case p.CHUNK: {
        if (!entry.settled) {
          // A chunk before any head: the head (and the batch it carried) went missing.
          this.lost(msg.id, Math.max(1, msg.seq));
          return;
        }
        if (msg.seq !== entry.received) {
          this.lost(msg.id, msg.seq - entry.received);
          return;
        }
        entry.received++;
        if (buffers[0]) entry.controller?.enqueue(toBytes(buffers[0]));
        return;
      }
      case p.BEAT: {
        if (msg.sent > entry.received) {
          this.lost(msg.id, msg.sent - entry.received);
          return;
        }
        // Still reading: a page that goes away without a word stops answering, and the kernel
        // cancels the request (a paid model must not go on generating for nobody).
        if (!this.closed) this.post({ kind: p.ALIVE, id: msg.id });
        return;
      }
      case p.END: {
        if (!entry.settled) {
          // The end of a stream whose head never came: answer the fetch with the loss, or it
          // would wait for ever.
          this.lost(msg.id, 1);
          return;
        }
        if (msg.total !== entry.received) {
          this.lost(msg.id, msg.total - entry.received);
          return;
        }
        entry.done = true;
        this.pending.delete(msg.id);
        try {
          entry.controller?.close();
        } catch {
          // the reader already cancelled the stream
        }
        return;
      }
      case p.ERROR: {
        const error = new BridgeError(msg.message);
        if (!entry.settled) {
          // Before any body: answer like an HTTP server would, with a JSON error response.
          const body = JSON.stringify({ error: msg.message, message: msg.message, status: msg.status });
          this.settle(entry, new Response(body, { status: msg.status, headers: { "content-type": "application/json" } }));
          entry.done = true;
          this.pending.delete(msg.id);
        } else {
          this.finish(msg.id, error);
        }
        this.options.onError?.(error);
        return;
      }
    }
  }

  private lost(id: string, count: number): void {
    const error = new BridgeError(
      `Lost ${count} message(s) of this response between the kernel and the browser ` +
        "(Jupyter's iopub rate limit?). The reply is incomplete; send the message again.",
    );
    this.post({ kind: p.CANCEL, id });
    this.finish(id, error);
    this.options.onError?.(error);
  }

  private settle(entry: Pending, response: Response): void {
    if (entry.settled) return;
    entry.settled = true;
    entry.resolve(response);
  }

  private finish(id: string, error: unknown): void {
    const entry = this.pending.get(id);
    if (!entry) return;
    this.pending.delete(id);
    entry.done = true;
    if (!entry.settled) {
      entry.settled = true;
      entry.reject(error);
    } else {
      try {
        entry.controller?.error(error);
      } catch {
        // already closed
      }
    }
  }
}

function abortError(): Error {
  return new DOMException("The request was aborted.", "AbortError");
}

function toBytes(view: DataView | ArrayBuffer | Uint8Array): Uint8Array {
  if (view instanceof Uint8Array) return view;
  if (view instanceof ArrayBuffer) return new Uint8Array(view);
  return new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
}

async function readBody(body: BodyInit | ArrayBuffer | null): Promise<{ body: ArrayBuffer; file?: Blob }> {
  if (body == null) return { body: new ArrayBuffer(0) };
  if (typeof body === "string") return { body: new TextEncoder().encode(body).buffer as ArrayBuffer };
  if (body instanceof FormData) {
    // ChatKit's two-phase upload posts the file as multipart form data; send the file itself.
    const file = body.get("file") ?? [...body.values()].find((v) => v instanceof Blob);
    if (file instanceof Blob) return { body: new ArrayBuffer(0), file };
    return { body: new TextEncoder().encode(JSON.stringify(Object.fromEntries(body.entries()))).buffer as ArrayBuffer };
  }
  if (body instanceof Blob) return { body: new ArrayBuffer(0), file: body };
  if (body instanceof ArrayBuffer) return { body };
  if (ArrayBuffer.isView(body)) return { body: body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength) as ArrayBuffer };
  if (body instanceof URLSearchParams) return { body: new TextEncoder().encode(body.toString()).buffer as ArrayBuffer };
  return { body: await new Response(body as BodyInit).arrayBuffer() };
}
