// Protocol and conversation state of the lite renderer, with no DOM. Every request is a POST of
// `{type, params, metadata}` through the host's fetch; streaming requests answer with SSE, the
// others with JSON (chatkit/server.py). The client applies stream events to its item list and
// tells listeners what changed; the view decides when to paint.

import { Slice } from "../schedule";
import { abortError, isAbortError, readSse, SseParser } from "./sse";
import type {
  Action,
  Annotation,
  AssistantMessageContent,
  Attachment,
  ClientToolCallItem,
  JsonRequestType,
  Page,
  StreamingRequestType,
  StructuredInputSubmission,
  Thread,
  ThreadItem,
  ThreadItemUpdate,
  ThreadMetadata,
  ThreadStreamEvent,
  UserMessageInput,
  UserMessageItem,
  WidgetRoot,
} from "./types";

export type ClientToolHandler = (call: {
  name: string;
  params: Record<string, unknown>;
}) => Promise<Record<string, unknown>> | Record<string, unknown>;

export interface ClientConfig {
  fetch: typeof fetch;
  apiUrl: string;
  /** Read on every call so setOptions() takes effect without rebuilding the client. */
  onClientTool: () => ClientToolHandler | undefined;
  /** Stops a turn the host pushed (see `push`): the view's stop button. */
  stopPushed?: (id: string) => void;
  /** Give a pushed turn up after this long without a word about it (ms; default 60 s). */
  pushedSilenceMs?: number;
}

/**
 * A turn the host runs itself (Python's `ask`), pushed to the view: numbered batches of its SSE
 * bytes (`stream`), heartbeats that count them (`beat`) and its end (`stream_end`, with `error`
 * for a failure outside the stream). The shapes of the comm protocol's messages of those kinds.
 */
export type PushedMessage =
  | { kind: "stream"; id: string; seq: number; thread_id: string | null }
  | { kind: "stream_end"; id: string; total: number; thread_id: string | null; error?: string }
  | { kind: "beat"; id: string; sent: number };

type PushedEnd = Extract<PushedMessage, { kind: "stream_end" }>;

/** A pushed turn as this view follows it. */
interface PushedTurn {
  id: string;
  /**
   * `show`: applied as this view's own stream would be; `watch`: a turn of the thread on screen
   * that cannot be shown (this view was streaming, or came in late), fetched when it ends;
   * `ignore`: another thread's, or stopped here.
   */
  mode: "show" | "watch" | "ignore";
  next: number;
  threadId: string | null;
  decoder: TextDecoder;
  parser: SseParser;
  run: StreamRun;
  queue: string[];
  at: number;
  draining: boolean;
  lost: boolean;
  end: PushedEnd | null;
  silence?: ReturnType<typeof setTimeout>;
}

/** A failure the user should see: a rejected fetch, an HTTP error, a broken stream, an error event. */
export interface LiteError {
  message: string;
  /** `stream.error`, `custom`, `http`, `network`, `client_tool` ... */
  code: string;
  status?: number;
  /** Set when the user may try again; calling it repeats what failed. */
  retry?: () => Promise<void>;
  error: Error;
}

export interface Notice {
  level: "info" | "warning" | "danger";
  message: string;
  title?: string | null;
}

export interface ClientEvents {
  /** The active thread changed (created, switched, or cleared with null). */
  threadChange: { threadId: string | null };
  /** Thread metadata changed (title, status). */
  threadUpdate: { thread: ThreadMetadata | null };
  /** The whole item list was replaced (thread switch); `more` follows in `itemsAppended`. */
  itemsReset: { items: ThreadItem[] };
  /** Older pages of a thread being opened, appended in order. */
  itemsAppended: { items: ThreadItem[] };
  /** A new item; `done` is false while the server is still streaming it. */
  itemAdded: { item: ThreadItem; done: boolean };
  /** An incremental update (a text delta, a task, a widget change) already applied to `item`. */
  itemUpdated: { item: ThreadItem; update: ThreadItemUpdate };
  itemRemoved: { id: string };
  /** An item's whole state changed (thread.item.done / replaced); `previousId` for optimistic swaps. */
  itemReplaced: { item: ThreadItem; previousId?: string; done: boolean };
  busy: { busy: boolean; allowCancel: boolean };
  progress: { icon?: string | null; text: string } | null;
  notice: Notice;
  error: LiteError;
  clearErrors: undefined;
  effect: { name: string; data?: Record<string, unknown> };
  log: { name: string; data?: Record<string, unknown> };
  responseStart: undefined;
  responseEnd: undefined;
  loadStart: { threadId: string };
  loadEnd: { threadId: string };
}

type Listener<T> = (payload: T) => void;

/** One streaming request as the loop sees it. */
interface StreamRun {
  type: StreamingRequestType;
  params: Record<string, unknown>;
  /** The user message the server stored during this stream (the one a retry regenerates after). */
  userItemId: string | null;
  /** A client tool call the server is waiting on when the stream ends. */
  pendingTool: ClientToolCallItem | null;
  ok: boolean;
  /** A turn the host pushed: it answers its own client tools, and a retry regenerates. */
  pushed?: boolean;
}

export class RequestError extends Error {
  constructor(
    message: string,
    readonly status?: number,
    readonly code = "http",
  ) {
    super(message);
    this.name = "RequestError";
  }
}

const PAGE_SIZE = 100;
let optimisticCounter = 0;

export function isHidden(item: ThreadItem): boolean {
  return item.type === "hidden_context_item" || item.type === "sdk_hidden_context";
}

export class ChatClient {
  threadId: string | null = null;
  thread: ThreadMetadata | null = null;
  items: ThreadItem[] = [];
  busy = false;
  allowCancel = true;

  private readonly byId = new Map<string, ThreadItem>();
  private readonly listeners = new Map<keyof ClientEvents, Set<Listener<never>>>();
  private abort: AbortController | null = null;
  private readonly turns = new Map<string, PushedTurn>();
  /** The pushed turn this view shows as its stream, if any. */
  private shown: PushedTurn | null = null;
  private loadToken = 0;
  /** The thread being opened, until it is shown. */
  private loading: string | null = null;
  private destroyed = false;

  constructor(private readonly config: ClientConfig) {}

  // ---------------------------------------------------------------- events

  on<K extends keyof ClientEvents>(name: K, fn: Listener<ClientEvents[K]>): () => void {
    let set = this.listeners.get(name);
    if (!set) {
      set = new Set();
      this.listeners.set(name, set);
    }
    set.add(fn as Listener<never>);
    return () => set!.delete(fn as Listener<never>);
  }

  private emit<K extends keyof ClientEvents>(name: K, payload: ClientEvents[K]): void {
    const set = this.listeners.get(name);
    if (!set) return;
    for (const fn of set) {
      try {
        (fn as Listener<ClientEvents[K]>)(payload);
      } catch (err) {
        // A broken listener must not break the stream for the others.
        console.error("chatkit-jupyter lite: listener failed", err);
      }
    }
  }

  getItem(id: string): ThreadItem | undefined {
    return this.byId.get(id);
  }

  // ---------------------------------------------------------------- transport

  private async post(type: string, params: unknown, signal?: AbortSignal): Promise<Response> {
    this.emit("log", { name: "request", data: { type } });
    let res: Response;
    try {
      res = await this.config.fetch(this.config.apiUrl, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ type, params, metadata: {} }),
        signal,
      });
    } catch (err) {
      if (isAbortError(err) || signal?.aborted) throw abortError(signal);
      throw new RequestError(errorMessage(err), undefined, "network");
    }
    if (!res.ok) throw await responseError(res);
    return res;
  }

  /** Sends a request that answers with JSON. */
  async request<T>(type: JsonRequestType, params: unknown): Promise<T> {
    const res = await this.post(type, params);
    const text = await res.text();
    if (!text) return {} as T;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new RequestError(`Invalid JSON in the response to ${type}.`, res.status);
    }
  }

  // ---------------------------------------------------------------- streaming

  /**
   * Runs one streaming request and whatever it leads to (a client tool call answered with
   * `threads.add_client_tool_output`), as one busy period. Never rejects: failures become
   * `error` events with a retry.
   */
  async stream(type: StreamingRequestType, params: Record<string, unknown>): Promise<void> {
    if (this.busy) {
      this.emitError(new RequestError("A response is still in progress.", undefined, "busy"));
      return;
    }
    this.busy = true;
    this.allowCancel = true;
    this.emit("clearErrors", undefined);
    this.emit("busy", { busy: true, allowCancel: true });
    let next: { type: StreamingRequestType; params: Record<string, unknown> } | null = {
      type,
      params,
    };
    try {
      while (next && !this.destroyed) {
        const outcome = await this.streamOnce(next.type, next.params);
        next = null;
        if (outcome.pendingTool && outcome.ok) {
          const call = outcome.pendingTool;
          const result = await this.runClientTool(call);
          // The server marks the call completed in its store but sends no event for it: stop
          // the spinner here, with the output (an `error` key when the tool failed).
          this.applyEvent({ type: "thread.item.replaced", item: { ...call, status: "completed", output: result } });
          if (this.threadId) {
            next = {
              type: "threads.add_client_tool_output",
              params: { thread_id: this.threadId, result },
            };
          }
        }
      }
    } finally {
      this.busy = false;
      this.abort = null;
      this.emit("progress", null);
      this.emit("busy", { busy: false, allowCancel: this.allowCancel });
    }
  }

  private async streamOnce(type: StreamingRequestType, params: Record<string, unknown>): Promise<StreamRun> {
    const controller = new AbortController();
    this.abort = controller;
    const signal = controller.signal;
    const run: StreamRun = { type, params, userItemId: null, pendingTool: null, ok: true };
    this.emit("responseStart", undefined);
    try {
      const res = await this.post(type, params, signal);
      const slice = new Slice(8);
      const handle = (data: string) => {
        let event: ThreadStreamEvent;
        try {
          event = JSON.parse(data) as ThreadStreamEvent;
        } catch {
          this.emit("log", { name: "stream.invalid_event", data: { data: data.slice(0, 200) } });
          return;
        }
        this.applyEvent(event, run);
      };
      if (res.body) {
        for await (const batch of readSse(res.body, signal)) {
          for (const data of batch) {
            handle(data);
            // 10,000 deltas may arrive in one chunk: give the page a turn every few ms.
            if (slice.spent()) {
              await slice.maybeYield();
              if (signal.aborted) throw abortError(signal);
            }
          }
        }
      } else {
        // A fetch polyfill without streams: parse the whole text at once.
        const parser = new SseParser();
        for (const data of [...parser.push(await res.text()), ...parser.end()]) handle(data);
      }
    } catch (err) {
      run.ok = false;
      if (isAbortError(err) || signal.aborted) {
        this.emit("log", { name: "stream.cancelled", data: { type } });
      } else {
        this.emitError(err, this.retryFor(run));
      }
    } finally {
      this.emit("responseEnd", undefined);
    }
    return run;
  }

  /**
   * What "Retry" does after `run` failed: regenerate after the user message if the server stored
   * it, else send the request again (to the thread that was created meanwhile, if any).
   */
  private retryFor(run: StreamRun): (() => Promise<void>) | undefined {
    const { type, params, userItemId } = run;
    if (run.pushed) return userItemId ? () => this.retryAfterItem(userItemId) : undefined;
    return () => {
      if (userItemId && this.threadId) return this.retryAfterItem(userItemId);
      if (type === "threads.create" && this.threadId) {
        return this.stream("threads.add_user_message", { ...params, thread_id: this.threadId });
      }
      return this.stream(type, params);
    };
  }

  /**
   * Stops the response in progress: aborts the fetch, which the bridge turns into a cancel, or
   * asks the host to stop the pushed turn on screen.
   */
  cancel(): void {
    const turn = this.shown;
    if (turn) {
      this.config.stopPushed?.(turn.id);
      this.leavePushed(turn, "stream.cancelled");
      return;
    }
    this.abort?.abort();
  }

  /** Stops what this view streams itself; a pushed turn goes on for the host (and other views). */
  private stopShowing(): void {
    if (this.shown) this.leavePushed(this.shown, "stream.left");
    else this.abort?.abort();
  }

  private async runClientTool(call: ClientToolCallItem): Promise<Record<string, unknown>> {
    const handler = this.config.onClientTool();
    if (!handler) {
      const message = `No client tool handler is registered for "${call.name}".`;
      this.emitError(new RequestError(message, undefined, "client_tool"));
      return { error: message };
    }
    try {
      const result = await handler({ name: call.name, params: call.arguments ?? {} });
      return result ?? {};
    } catch (err) {
      // Answer anyway: a tool call left pending would break the model's next turn.
      const message = errorMessage(err);
      this.emitError(new RequestError(`Client tool "${call.name}" failed: ${message}`, undefined, "client_tool"));
      return { error: message };
    }
  }

  private emitError(err: unknown, retry?: () => Promise<void>): void {
    const error = err instanceof Error ? err : new Error(errorMessage(err));
    this.emit("error", {
      message: error.message,
      code: err instanceof RequestError ? err.code : "error",
      status: err instanceof RequestError ? err.status : undefined,
      retry,
      error,
    });
  }

  // ---------------------------------------------------------------- pushed turns

  /**
   * Follows a turn the host runs itself (Python's `ask`) from its pushed messages, as if this view
   * had sent it: a turn of the thread on screen, or one that starts a new thread (the view opens
   * it, as "New chat" would), is applied event by event through the same path as the view's own
   * stream, with the composer busy and its stop button stopping the turn. A turn that cannot be
   * shown so (this view is streaming, or opened mid-turn) is fetched from the store once it ends;
   * other threads' turns are left alone. A lost batch is reported and the thread reloaded at the end.
   */
  push(message: PushedMessage, data?: Uint8Array | null): void {
    if (this.destroyed) return;
    let turn = this.turns.get(message.id);
    if (message.kind === "beat") {
      if (!turn || turn.mode === "ignore") return;
      this.heard(turn);
      if (message.sent > turn.next) this.pushedLost(turn, message.sent - turn.next);
      return;
    }
    if (!turn) {
      if (message.kind === "stream_end") {
        this.unseenEnd(message);
        return;
      }
      turn = this.beginPushed(message);
    }
    if (turn.mode === "ignore") {
      if (message.kind === "stream_end") this.turns.delete(turn.id);
      return;
    }
    this.heard(turn);
    if (message.thread_id) turn.threadId = message.thread_id;
    if (message.kind === "stream") {
      if (message.seq !== turn.next) {
        this.pushedLost(turn, message.seq - turn.next);
        turn.next = message.seq;
      }
      turn.next++;
      if (turn.mode === "show" && !turn.lost && data?.byteLength) {
        for (const event of turn.parser.push(turn.decoder.decode(data, { stream: true }))) turn.queue.push(event);
      }
    } else {
      if (message.total > turn.next) this.pushedLost(turn, message.total - turn.next);
      if (turn.mode === "show" && !turn.lost) {
        for (const event of [...turn.parser.push(turn.decoder.decode()), ...turn.parser.end()]) turn.queue.push(event);
      }
      turn.end = message;
    }
    void this.drainPushed(turn);
  }

  private beginPushed(message: Extract<PushedMessage, { kind: "stream" }>): PushedTurn {
    // A thread still being opened is ours too: its store may miss the turn, so it is fetched after.
    const opening = message.thread_id !== null && message.thread_id === this.loading;
    const ours = opening || message.thread_id === null || message.thread_id === this.threadId;
    // Only from its first batch, and not over a response of this view's own.
    const show = message.seq === 0 && ours && !opening && !this.busy;
    const turn: PushedTurn = {
      id: message.id,
      mode: show ? "show" : ours ? "watch" : "ignore",
      next: message.seq,
      threadId: message.thread_id,
      decoder: new TextDecoder("utf-8"),
      parser: new SseParser(),
      run: { type: "threads.add_user_message", params: {}, userItemId: null, pendingTool: null, ok: true, pushed: true },
      queue: [],
      at: 0,
      draining: false,
      lost: false,
      end: null,
    };
    this.turns.set(turn.id, turn);
    if (!show) return turn;
    if (message.thread_id === null && (this.threadId !== null || this.items.length)) {
      // The turn starts a thread: open a new, empty one first, as "New chat" does.
      ++this.loadToken;
      this.loading = null;
      this.resetState(null, null);
      this.emit("threadUpdate", { thread: null });
    }
    this.shown = turn;
    this.busy = true;
    this.allowCancel = true;
    this.emit("clearErrors", undefined);
    this.emit("busy", { busy: true, allowCancel: true });
    this.emit("log", { name: "stream.pushed", data: { id: turn.id } });
    return turn;
  }

  private async drainPushed(turn: PushedTurn): Promise<void> {
    if (turn.draining) return;
    turn.draining = true;
    const slice = new Slice(8);
    try {
      while (turn.at < turn.queue.length && this.shown === turn && !turn.lost) {
        const data = turn.queue[turn.at++];
        let event: ThreadStreamEvent;
        try {
          event = JSON.parse(data) as ThreadStreamEvent;
        } catch {
          this.emit("log", { name: "stream.invalid_event", data: { data: data.slice(0, 200) } });
          continue;
        }
        this.applyEvent(event, turn.run);
        // A batch may hold 10,000 deltas: give the page a turn every few ms.
        if (slice.spent()) await slice.maybeYield();
      }
    } finally {
      turn.draining = false;
    }
    if (turn.at >= turn.queue.length) {
      turn.queue = [];
      turn.at = 0;
    }
    if (turn.end && (turn.at >= turn.queue.length || this.shown !== turn || turn.lost)) this.endPushed(turn);
  }

  private endPushed(turn: PushedTurn): void {
    this.turns.delete(turn.id);
    clearTimeout(turn.silence);
    const end = turn.end;
    const threadId = end?.thread_id ?? turn.threadId;
    if (turn.mode === "show" && this.shown === turn) {
      this.leavePushed(turn, "stream.pushed.end");
      if (end?.error) this.emitError(new RequestError(end.error, undefined, "ask"));
      // What was lost is in the store: show the thread as it is there.
      if (turn.lost && threadId) void this.loadThread(threadId);
    } else if (turn.mode === "watch" && threadId && threadId === this.threadId) {
      this.fetchUpdates().catch((err) => this.emitError(err));
    }
  }

  /** An end of a turn this view saw nothing of (it opened late, or the turn failed at once). */
  private unseenEnd(end: PushedEnd): void {
    if (end.thread_id !== this.threadId || this.busy) return;
    if (end.error) this.emitError(new RequestError(end.error, undefined, "ask"));
    if (end.thread_id && end.total > 0) this.fetchUpdates().catch((err) => this.emitError(err));
  }

  /** The view no longer shows `turn` (it ended, was stopped here, or the view moved on). */
  private leavePushed(turn: PushedTurn, why: string): void {
    // What is still to come of it (if anything) is not for this view.
    turn.mode = "ignore";
    clearTimeout(turn.silence);
    if (this.shown !== turn) return;
    this.shown = null;
    this.busy = false;
    this.emit("log", { name: why, data: { id: turn.id } });
    this.emit("progress", null);
    this.emit("busy", { busy: false, allowCancel: this.allowCancel });
  }

  private pushedLost(turn: PushedTurn, count: number): void {
    if (turn.lost || turn.mode !== "show") return;
    turn.lost = true;
    this.emitError(
      new RequestError(
        `Lost ${count} message(s) of this reply between the kernel and the browser (Jupyter's iopub rate limit?). ` +
          "The chat shows the thread again once the reply is done.",
        undefined,
        "lost",
      ),
    );
  }

  private heard(turn: PushedTurn): void {
    clearTimeout(turn.silence);
    const limit = this.config.pushedSilenceMs ?? 60_000;
    turn.silence = setTimeout(() => {
      if (this.turns.get(turn.id) !== turn) return;
      if (turn.mode === "show") {
        this.emitError(
          new RequestError(
            `No word from the kernel about this reply for ${Math.round(limit / 1000)} s: it may be busy, restarted or stopped.`,
            undefined,
            "network",
          ),
        );
      }
      turn.lost = true;
      turn.end ??= { kind: "stream_end", id: turn.id, total: turn.next, thread_id: turn.threadId };
      this.endPushed(turn);
    }, limit);
  }

  // ---------------------------------------------------------------- event application

  /** Applies one stream event to the state; `run` collects what the stream loop needs to know. */
  applyEvent(event: ThreadStreamEvent, run?: StreamRun): void {
    switch (event.type) {
      case "thread.created": {
        this.setThread(event.thread);
        this.threadId = event.thread.id;
        this.emit("threadChange", { threadId: event.thread.id });
        this.emit("threadUpdate", { thread: this.thread });
        return;
      }
      case "thread.updated": {
        this.setThread(event.thread);
        this.emit("threadUpdate", { thread: this.thread });
        return;
      }
      case "thread.item.added":
      case "thread.item.done": {
        const item = event.item;
        if (isHidden(item)) return;
        this.emit("progress", null);
        const done = event.type === "thread.item.done";
        if (this.byId.has(item.id)) {
          this.replaceItem(item, done);
        } else if (item.type === "user_message" && this.takeOptimistic(item)) {
          // The server's copy of the message we showed optimistically.
        } else {
          this.items.push(item);
          this.byId.set(item.id, item);
          this.emit("itemAdded", { item, done });
        }
        if (run && item.type === "user_message") run.userItemId = item.id;
        if (run && item.type === "client_tool_call") run.pendingTool = item.status === "completed" ? null : item;
        return;
      }
      case "thread.item.replaced": {
        if (isHidden(event.item)) return;
        if (this.byId.has(event.item.id)) this.replaceItem(event.item, true);
        else {
          this.items.push(event.item);
          this.byId.set(event.item.id, event.item);
          this.emit("itemAdded", { item: event.item, done: true });
        }
        return;
      }
      case "thread.item.removed": {
        this.removeItem(event.item_id);
        return;
      }
      case "thread.item.updated": {
        const item = this.byId.get(event.item_id);
        if (!item) {
          this.emit("log", { name: "stream.unknown_item", data: { item_id: event.item_id } });
          return;
        }
        applyUpdate(item, event.update);
        this.emit("itemUpdated", { item, update: event.update });
        return;
      }
      case "stream_options": {
        this.allowCancel = event.stream_options?.allow_cancel !== false;
        this.emit("busy", { busy: this.busy, allowCancel: this.allowCancel });
        return;
      }
      case "progress_update": {
        this.emit("progress", { icon: event.icon, text: event.text });
        return;
      }
      case "client_effect": {
        this.emit("effect", { name: event.name, data: event.data ?? {} });
        return;
      }
      case "notice": {
        this.emit("notice", { level: event.level, message: event.message, title: event.title });
        return;
      }
      case "error": {
        const message = event.message ?? "";
        // The view shows a localized default for code-only errors; listeners get the code.
        const error = new RequestError(message || `ChatKit stream error (${event.code ?? "custom"})`, undefined, event.code ?? "custom");
        if (run) run.ok = false;
        const retry = event.allow_retry && run ? this.retryFor(run) : undefined;
        this.emit("error", {
          message,
          code: event.code ?? "custom",
          retry,
          error,
        });
        return;
      }
      default: {
        this.emit("log", {
          name: "stream.unknown_event",
          data: { type: (event as { type?: string }).type },
        });
        return;
      }
    }
  }

  private setThread(thread: Thread | ThreadMetadata): void {
    const { items: _items, ...meta } = thread as Thread;
    void _items;
    this.thread = { ...(this.thread ?? {}), ...meta };
  }

  private replaceItem(item: ThreadItem, done: boolean, previousId?: string): void {
    const oldId = previousId ?? item.id;
    const index = this.items.findIndex((i) => i.id === oldId);
    if (index < 0) return;
    this.items[index] = item;
    this.byId.delete(oldId);
    this.byId.set(item.id, item);
    this.emit("itemReplaced", { item, previousId: oldId !== item.id ? oldId : undefined, done });
  }

  private removeItem(id: string): void {
    const index = this.items.findIndex((i) => i.id === id);
    if (index < 0) return;
    this.items.splice(index, 1);
    this.byId.delete(id);
    this.emit("itemRemoved", { id });
  }

  /** Swaps the first optimistic user message for the server's copy. */
  private takeOptimistic(item: UserMessageItem): boolean {
    const pending = this.items.find((i) => i.id.startsWith(OPTIMISTIC_PREFIX));
    if (!pending) return false;
    this.replaceItem(item, true, pending.id);
    return true;
  }

  // ---------------------------------------------------------------- operations

  /** Sends a user message, creating the thread first if there is none. */
  async sendUserMessage(input: UserMessageInput, display?: { attachments?: Attachment[] }): Promise<void> {
    if (this.busy) return;
    const threadId = this.threadId;
    const optimistic: UserMessageItem = {
      type: "user_message",
      id: `${OPTIMISTIC_PREFIX}${++optimisticCounter}`,
      thread_id: threadId ?? "",
      created_at: new Date().toISOString(),
      content: input.content,
      attachments: display?.attachments ?? [],
      quoted_text: input.quoted_text ?? null,
      inference_options: input.inference_options,
    };
    // Drop an optimistic message a failed attempt left behind before showing this one.
    for (const stale of this.items.filter((i) => i.id.startsWith(OPTIMISTIC_PREFIX))) {
      this.removeItem(stale.id);
    }
    this.items.push(optimistic);
    this.byId.set(optimistic.id, optimistic);
    this.emit("itemAdded", { item: optimistic, done: true });
    if (threadId) {
      await this.stream("threads.add_user_message", { input, thread_id: threadId });
    } else {
      await this.stream("threads.create", { input });
    }
  }

  /** Regenerates the response to a user message (`threads.retry_after_item`). */
  async retryAfterItem(userItemId: string): Promise<void> {
    if (!this.threadId || this.busy) return;
    // The server deletes everything after the message without telling us; mirror it.
    const index = this.items.findIndex((i) => i.id === userItemId);
    if (index >= 0) {
      for (const item of this.items.slice(index + 1)) this.removeItem(item.id);
    }
    await this.stream("threads.retry_after_item", {
      thread_id: this.threadId,
      item_id: userItemId,
    });
  }

  async customAction(action: Action, itemId: string | null, streaming = true): Promise<void> {
    if (!this.threadId) throw new Error("There is no thread to send the action to yet.");
    const params = { thread_id: this.threadId, item_id: itemId, action };
    if (!streaming) {
      const res = await this.request<{ updated_item?: ThreadItem | null }>("threads.sync_custom_action", params);
      if (res.updated_item) this.applyEvent({ type: "thread.item.replaced", item: res.updated_item });
      return;
    }
    await this.stream("threads.custom_action", params);
  }

  async addStructuredInput(itemId: string, input: StructuredInputSubmission): Promise<void> {
    if (!this.threadId) return;
    await this.stream("threads.add_structured_input", {
      thread_id: this.threadId,
      item_id: itemId,
      input,
    });
  }

  async feedback(itemIds: string[], kind: "positive" | "negative"): Promise<void> {
    if (!this.threadId) return;
    await this.request("items.feedback", { thread_id: this.threadId, item_ids: itemIds, kind });
  }

  /**
   * Switches to a thread (`null`: a new, empty one), loading its items page by page. Resolves
   * to whether the thread is now shown: `false` when loading failed (an `error` event says why)
   * or another switch overtook this one.
   */
  async loadThread(threadId: string | null): Promise<boolean> {
    const token = ++this.loadToken;
    // A load this one overtakes never ends by itself (its finally sees a newer token): end it here,
    // so every load.start has its load.end and no "Loading…" is left on a new chat.
    const overtaken = this.loading;
    this.loading = null;
    if (overtaken !== null) this.emit("loadEnd", { threadId: overtaken });
    if (this.busy) this.stopShowing();
    this.emit("clearErrors", undefined);
    if (threadId === null) {
      const had = this.threadId !== null;
      this.resetState(null, null);
      if (had) this.emit("threadChange", { threadId: null });
      this.emit("threadUpdate", { thread: null });
      return true;
    }
    this.loading = threadId;
    this.emit("loadStart", { threadId });
    try {
      const thread = await this.request<Thread>("threads.get_by_id", { thread_id: threadId });
      if (token !== this.loadToken) return false;
      this.resetState(
        thread,
        (thread.items?.data ?? []).filter((i) => !isHidden(i)),
      );
      this.emit("threadChange", { threadId });
      this.emit("threadUpdate", { thread: this.thread });
      let page: Page<ThreadItem> = thread.items ?? { data: [] };
      while (page.has_more && page.after) {
        page = await this.request<Page<ThreadItem>>("items.list", {
          thread_id: threadId,
          after: page.after,
          order: "asc",
          limit: PAGE_SIZE,
        });
        if (token !== this.loadToken) return false;
        const fresh = (page.data ?? []).filter((i) => !isHidden(i) && !this.byId.has(i.id));
        for (const item of fresh) {
          this.items.push(item);
          this.byId.set(item.id, item);
        }
        if (fresh.length) this.emit("itemsAppended", { items: fresh });
      }
      return true;
    } catch (err) {
      if (token !== this.loadToken) return false;
      this.emitError(err, async () => void (await this.loadThread(threadId)));
      return false;
    } finally {
      if (token === this.loadToken) {
        this.loading = null;
        this.emit("loadEnd", { threadId });
      }
    }
  }

  /**
   * Shows what the server stored in the open thread since it was loaded (items saved by the
   * host, e.g. posted from Python), without reloading it: a running response keeps streaming
   * and nothing on screen is redrawn. Waits for a running response to end first, since the
   * items it streams are stored only as they finish.
   */
  async fetchUpdates(): Promise<void> {
    const threadId = this.threadId;
    if (!threadId) return;
    if (this.busy) await this.until("busy", ({ busy }) => !busy);
    const token = this.loadToken;
    if (this.threadId !== threadId) return;
    const known = this.items.filter((i) => !i.id.startsWith(OPTIMISTIC_PREFIX));
    let after: string | null = known.length ? known[known.length - 1].id : null;
    for (;;) {
      const page = await this.request<Page<ThreadItem>>("items.list", {
        thread_id: threadId,
        order: "asc",
        limit: PAGE_SIZE,
        ...(after ? { after } : {}),
      });
      // The user switched threads meanwhile: these items belong to the old one.
      if (token !== this.loadToken || this.threadId !== threadId) return;
      for (const item of page.data ?? []) {
        if (isHidden(item) || this.byId.has(item.id)) continue;
        this.items.push(item);
        this.byId.set(item.id, item);
        this.emit("itemAdded", { item, done: true });
      }
      if (!page.has_more || !page.after) break;
      after = page.after;
    }
  }

  /** Resolves at the next `name` event that `test` accepts. */
  private until<K extends keyof ClientEvents>(name: K, test: (payload: ClientEvents[K]) => boolean): Promise<void> {
    return new Promise((resolve) => {
      const off = this.on(name, (payload) => {
        if (!test(payload)) return;
        off();
        resolve();
      });
    });
  }

  private resetState(thread: Thread | null, items: ThreadItem[] | null): void {
    this.threadId = thread?.id ?? null;
    this.thread = null;
    if (thread) this.setThread(thread);
    this.items = items ? [...items] : [];
    this.byId.clear();
    for (const item of this.items) this.byId.set(item.id, item);
    this.emit("itemsReset", { items: this.items.slice() });
  }

  listThreads(after?: string | null, limit = 20): Promise<Page<ThreadMetadata>> {
    return this.request<Page<ThreadMetadata>>("threads.list", {
      limit,
      order: "desc",
      ...(after ? { after } : {}),
    });
  }

  async renameThread(threadId: string, title: string): Promise<ThreadMetadata> {
    const thread = await this.request<Thread>("threads.update", { thread_id: threadId, title });
    if (threadId === this.threadId) {
      this.setThread({ ...thread, title });
      this.emit("threadUpdate", { thread: this.thread });
    }
    return thread;
  }

  async deleteThread(threadId: string): Promise<void> {
    await this.request("threads.delete", { thread_id: threadId });
    if (threadId === this.threadId) await this.loadThread(null);
  }

  /** Two-phase upload: register the file, then POST its bytes where the server says. */
  async uploadAttachment(file: File, signal?: AbortSignal): Promise<Attachment> {
    const created = await this.request<Attachment>("attachments.create", {
      name: file.name,
      size: file.size,
      mime_type: file.type || "application/octet-stream",
    });
    const descriptor =
      created.upload_descriptor ?? (created.upload_url ? { url: created.upload_url, method: "POST" as const, headers: {} } : null);
    if (!descriptor) return created;
    const form = new FormData();
    form.append("file", file, file.name);
    let res: Response;
    try {
      res = await this.config.fetch(String(descriptor.url), {
        method: descriptor.method ?? "POST",
        headers: descriptor.headers ?? {},
        body: form,
        signal,
      });
    } catch (err) {
      if (isAbortError(err)) throw err;
      throw new RequestError(errorMessage(err), undefined, "network");
    }
    if (!res.ok) throw await responseError(res);
    const text = await res.text().catch(() => "");
    let updated: Partial<Attachment> = {};
    try {
      updated = text ? (JSON.parse(text) as Partial<Attachment>) : {};
    } catch {
      // Some upload endpoints answer with an empty or non-JSON body; keep what we have.
    }
    const merged = { ...created, ...(updated && typeof updated === "object" && updated.id ? updated : {}) };
    delete merged.upload_descriptor;
    delete merged.upload_url;
    return merged;
  }

  async deleteAttachment(id: string): Promise<void> {
    await this.request("attachments.delete", { attachment_id: id });
  }

  destroy(): void {
    this.destroyed = true;
    this.stopShowing();
    for (const turn of this.turns.values()) clearTimeout(turn.silence);
    this.turns.clear();
    this.listeners.clear();
  }
}

export const OPTIMISTIC_PREFIX = "__ckl_pending_";

// ---------------------------------------------------------------- pure helpers

/** Applies a ThreadItemUpdate to an item in place, as ChatKitServer does for pending items. */
export function applyUpdate(item: ThreadItem, update: ThreadItemUpdate): void {
  switch (update.type) {
    case "assistant_message.content_part.added":
    case "assistant_message.content_part.text_delta":
    case "assistant_message.content_part.annotation_added":
    case "assistant_message.content_part.done": {
      if (item.type !== "assistant_message") return;
      item.content ??= [];
      const content = item.content;
      while (content.length <= update.content_index) {
        content.push({ type: "output_text", text: "", annotations: [] });
      }
      const part = content[update.content_index];
      if (update.type === "assistant_message.content_part.text_delta") {
        part.text += update.delta;
      } else if (update.type === "assistant_message.content_part.annotation_added") {
        part.annotations ??= [];
        const annotations: Annotation[] = part.annotations;
        if (update.annotation_index <= annotations.length) {
          annotations.splice(update.annotation_index, 0, update.annotation);
        } else annotations.push(update.annotation);
      } else {
        content[update.content_index] = normalizeContent(update.content);
      }
      return;
    }
    case "workflow.task.added":
    case "workflow.task.updated": {
      if (item.type !== "workflow") return;
      item.workflow.tasks ??= [];
      const tasks = item.workflow.tasks;
      if (update.type === "workflow.task.added" && update.task_index >= tasks.length) tasks.push(update.task);
      else tasks[update.task_index] = update.task;
      return;
    }
    case "generated_image.updated": {
      if (item.type === "generated_image") item.image = update.image;
      return;
    }
    case "widget.root.updated": {
      if (item.type === "widget") item.widget = update.widget;
      return;
    }
    case "widget.component.updated": {
      if (item.type === "widget") {
        replaceComponent(item.widget, update.component_id, update.component as unknown as WidgetNode);
      }
      return;
    }
    case "widget.streaming_text.value_delta": {
      if (item.type !== "widget") return;
      const node = findComponent(item.widget, update.component_id);
      if (node && typeof node.value === "string") {
        node.value += update.delta;
        if ("streaming" in node || update.done) node.streaming = !update.done;
      }
      return;
    }
  }
}

function normalizeContent(content: AssistantMessageContent): AssistantMessageContent {
  return { type: "output_text", text: content.text ?? "", annotations: content.annotations ?? [] };
}

type WidgetNode = { id?: string; children?: WidgetNode[]; value?: unknown; streaming?: boolean; [k: string]: unknown };

function findComponent(root: WidgetRoot | WidgetNode, id: string): WidgetNode | null {
  const stack: WidgetNode[] = [root as WidgetNode];
  while (stack.length) {
    const node = stack.pop()!;
    if (node.id === id) return node;
    if (Array.isArray(node.children)) stack.push(...node.children);
  }
  return null;
}

function replaceComponent(root: WidgetRoot | WidgetNode, id: string, component: WidgetNode): void {
  const stack: WidgetNode[] = [root as WidgetNode];
  while (stack.length) {
    const node = stack.pop()!;
    const children = node.children;
    if (!Array.isArray(children)) continue;
    const index = children.findIndex((c) => c.id === id);
    if (index >= 0) {
      children[index] = component;
      return;
    }
    stack.push(...children);
  }
}

async function responseError(res: Response): Promise<RequestError> {
  let message = "";
  try {
    const text = await res.text();
    try {
      const body = JSON.parse(text) as Record<string, unknown>;
      const err = body.error ?? body.message ?? body.detail;
      if (typeof err === "string") message = err;
      else if (err && typeof err === "object" && typeof (err as { message?: unknown }).message === "string") {
        message = (err as { message: string }).message;
      }
    } catch {
      message = text.length < 300 ? text.trim() : "";
    }
  } catch {
    // Unreadable body: fall back to the status line.
  }
  return new RequestError(message || `Request failed with status ${res.status}${res.statusText ? ` ${res.statusText}` : ""}.`, res.status);
}

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message || err.name;
  if (typeof err === "string") return err;
  try {
    return JSON.stringify(err);
  } catch {
    return String(err);
  }
}
